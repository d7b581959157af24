using Interp.Analysis.Cases;
using Interp.Autograd;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis.Cases;

/// <summary>The EMA of the weights of the challenge-2 retraining (--ema): its rule, a tiny run, and bad decays (the CLI's: Eis7CaseCommandTests).</summary>
public class Eis7TransformerAverageTests
{
    static void SetAll(HookedTransformer model, float value)
    {
        foreach (var (_, p) in model.NamedParameters()) p.Backend.Copy(Tensor.Full(p.ShapeArray, value), p);
    }

    static IEnumerable<float> Values(HookedTransformer model) => model.NamedParameters().SelectMany(p => p.Param.ToCpuContiguous().ToFloatArray());

    [Fact]
    public void TheAverageFollowsDecayTimesAveragePlusOneMinusDecayTimesWeightsFromTheInitialWeights()
    {
        var o = new Eis7TransformerOptions(DModel: 8, NHeads: 2, DHead: 4, DMlp: 16);
        var model = new HookedTransformer(o.ModelConfig(5));
        SetAll(model, 1);
        var ema = new Eis7TransformerAverage(model, 0.75);
        Assert.All(Values(ema.Model), v => Assert.Equal(1f, v));   // starts at the initial weights
        double expected = 1;
        foreach (float w in new[] { 5f, -3f, 2f })
        {
            SetAll(model, w);
            ema.Update();
            expected = 0.75 * expected + 0.25 * w;   // 2, 0.75, 1.0625
            Assert.All(Values(ema.Model), v => Assert.Equal(expected, v, 5));
        }
        Assert.All(Values(model), v => Assert.Equal(2f, v));   // the trained weights are left as they are
    }

    [Fact]
    public void AnEmaRunTrainsAsWithoutOneAndKeepsStopsOnAndReportsTheAveragedWeights()
    {
        var path = Eis7Labels.DefaultPath;
        Assert.True(path is not null && File.Exists(path), "../shared/data/eis7/transformer_labels.safetensors not found");
        var labels = Eis7Labels.Load(path!);
        var o = new Eis7TransformerOptions(Steps: 300, Seed: 0, DModel: 32, NHeads: 4, DHead: 8, DMlp: 64, LearningRate: 1e-2, WeightDecay: 0.1,
            EvalEvery: 5, MaxPairs: 200, Stop: "fitted", EmaDecay: 0.9);
        var lossesWith = new List<double>();
        var run = Eis7Transformer.Train(labels, o, s => lossesWith.Add(s.Loss));
        var lossesWithout = new List<double>();
        var plain = Eis7Transformer.Train(labels, o with { EmaDecay = null, Stop = "none", Steps = run.StepsRun }, s => lossesWithout.Add(s.Loss));
        Assert.Equal(lossesWithout, lossesWith);   // the average does not change the training
        // the fitted rule read the average: it stopped at the first evaluation where the averaged weights get every training pair right
        Assert.Equal(1.0, run.Final.TrainAccuracy);
        Assert.All(run.Curve.SkipLast(1), e => Assert.True(e.TrainAccuracy < 1));
        Assert.NotEqual(plain.Curve.Select(e => e.TrainLoss), run.Curve.Select(e => e.TrainLoss));
        // the model returned is the average: its own test accuracy and train loss are the last evaluation's
        int p = labels.Size;
        var grid = Eis7Transformer.PredictGrid(run.Model);
        Assert.Equal(run.Final.TestAccuracy, run.TestPairs.Average(i => grid[i / p, i % p] == labels[i / p, i % p] ? 1.0 : 0.0), 6);
        var trainLoss = Eis7Transformer.Loss(Eis7Transformer.AnswerLogits(run.Model, Eis7Transformer.Tokens(run.TrainPairs, p)),
            Tensor.FromArray(run.TrainPairs.Select(i => labels[i / p, i % p]).ToArray())).Item();
        Assert.Equal(run.Final.TrainLoss, trainLoss, 6);
        Assert.NotEqual(Values(plain.Model), Values(run.Model));
        Assert.Contains("EMA of the weights (decay 0.9)", Eis7TransformerStop.Describe(o));

        // flip every test label: the run trains, stops and keeps the same way
        var flipped = (int[,])labels.Labels.Clone();
        foreach (int i in run.TestPairs) flipped[i / p, i % p] ^= 1;
        var blind = Eis7Transformer.Train(new Eis7Labels(flipped), o);
        Assert.Equal(run.StepsRun, blind.StepsRun);
        Assert.Equal(1 - run.Final.TestAccuracy, blind.Final.TestAccuracy, 9);
    }

    [Fact]
    public void BadDecaysAreRefusedWithTheirValues()
    {
        foreach (double bad in new[] { 0.0, 1.0, -0.5, 1.5, double.NaN })
        {
            Assert.Contains($"EMA decay must lie in (0, 1), got {bad}",
                Assert.Throws<ArgumentException>(() => new Eis7TransformerOptions(EmaDecay: bad).Validate()).Message);
            var model = new HookedTransformer(new Eis7TransformerOptions(DModel: 8, NHeads: 2, DHead: 4, DMlp: 16).ModelConfig(5));
            Assert.Contains("EMA decay must lie in (0, 1)", Assert.Throws<ArgumentException>(() => new Eis7TransformerAverage(model, bad)).Message);
        }
    }
}
