using System.Globalization;
using System.Text.Json;
using Interp.Analysis.Cases;
using Interp.IO;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis.Cases;

public class Eis7TransformerTests
{
    static HookedTransformer RandomModel(int p, bool attnBias = false, DType dtype = DType.Float32, ulong seed = 1) => new(new TransformerConfig
    {
        NLayers = 1, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, DVocab = p + 1, NCtx = 3, ActFn = "relu", Normalization = "none",
        UseAttnBias = attnBias, UseUnembedBias = false, UseAttnResult = false, Seed = seed, InitRange = 0.5, Dtype = dtype,
    });

    static Eis7Labels SharedLabels()
    {
        var path = Eis7Labels.DefaultPath;
        Assert.True(path is not null && File.Exists(path), "../shared/data/eis7/transformer_labels.safetensors not found");
        return Eis7Labels.Load(path!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnswerPositionForwardEqualsTheHookedModelsLastPosition(bool attnBias)
    {
        var model = RandomModel(7, attnBias, DType.Float64);
        if (attnBias)   // non-zero biases, so they are exercised
            foreach (var (name, param) in model.NamedParameters().Where(n => n.Name.Contains(".b_")))
                param.Backend.Copy(Tensor.Randn(param.ShapeArray, new Generator(9), DType.Float64), param);
        var tokens = Eis7Transformer.Tokens(Eis7Transformer.AllPairs(7), 7);
        var expected = model.Forward(tokens).Select(1, 2).ToDoubleArray();
        var actual = AnswerPositionForward.Logits(model, tokens).ToDoubleArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 10);
    }

    [Fact]
    public void AnswerPositionForwardRefusesModelsItCannotExpress()
    {
        var twoLayers = new HookedTransformer(new TransformerConfig { NLayers = 2, DModel = 8, NHeads = 1, DHead = 8, DMlp = 8, DVocab = 5, NCtx = 3 });
        var e = Assert.Throws<ArgumentException>(() => AnswerPositionForward.Logits(twoLayers, Eis7Transformer.Tokens([0, 1], 4)));
        Assert.Contains("1-layer", e.Message);
    }

    [Fact]
    public void LogitDecompositionPartsSumToTheLogitDifference()
    {
        const int p = 11;
        var model = RandomModel(p, dtype: DType.Float64);
        var d = Eis7TransformerAnalysis.DecomposeLogitDifference(model);
        var direct = Eis7Transformer.LogitDifference(model, Eis7Transformer.Tokens(Eis7Transformer.AllPairs(p), p));
        Assert.Equal(p * p, d.Total.Length);
        double scale = d.Total.Max(Math.Abs);
        Assert.True(scale > 0.1, "the random model should have a non-trivial logit difference");
        for (int i = 0; i < p * p; i++)
        {
            Assert.Equal(direct[i], d.Total[i], 9);
            Assert.Equal(d.Total[i], d.Direct[i] + d.AttnX[i] + d.AttnY[i] + d.AttnEq[i] + d.Mlp[i], 9);
            Assert.Equal(d.Mlp[i], d.MlpViaX[i] + d.MlpViaY[i] + d.MlpViaEq[i] + d.MlpViaDirect[i] + d.MlpBias[i], 9);
            Assert.Equal(d.Total[i], d.XPath[i] + d.YPath[i] + d.Rest[i], 9);
        }
        // every part varies the way its input does: the direct term of `=` is the same for every pair
        Assert.All(d.Direct, v => Assert.Equal(d.Direct[0], v, 12));
        Assert.True(d.AttnX.Max() - d.AttnX.Min() > 1e-3 && d.MlpViaY.Max() - d.MlpViaY.Min() > 1e-3);
    }

    [Fact]
    public void AttentionFromEqualsIsAProbabilityOverXYAndEquals()
    {
        const int p = 9;
        var model = RandomModel(p);
        var att = Eis7TransformerAnalysis.AttentionFromEquals(model);
        Assert.Equal([2, 3, p, p], att.Pattern.ShapeArray);
        var sums = att.Pattern.Sum(1).ToFloatArray();
        Assert.All(sums, s => Assert.Equal(1.0, s, 5));
        // pattern[h, 0, x, y] is what hook_pattern says for the pair (x, y)
        var (_, cache) = model.RunWithCache(Eis7Transformer.Tokens([3 * p + 5], p));
        Assert.Equal(cache.Pattern(0).GetValue(0, 1, 2, 0), att.Pattern.GetValue(1, 0, 3, 5), 6);
        for (int h = 0; h < 2; h++) Assert.Equal(1.0, att.MeanBySource[h, 0] + att.MeanBySource[h, 1] + att.MeanBySource[h, 2], 5);
        var resid = Eis7TransformerAnalysis.ResidMidAtEquals(model);
        Assert.Equal([p * p, 16], resid.ShapeArray);
    }

    [Fact]
    public void TheChallengeSplitIsCPythonsShuffleOfThePairs()
    {
        // tests/fixtures/python_random.json: the challenge's gen_train_test run by CPython on the pairs (x, y, 113)
        var fixture = PythonRandomFixture.Root.GetProperty("eis7_split");
        var order = Eis7Transformer.ChallengeOrder(113);
        PythonRandomFixture.AssertSameOrder(fixture.GetProperty("order"), order);
        var (train, test) = Eis7Transformer.Split(113, new Eis7TransformerOptions());
        Assert.Equal(fixture.GetProperty("train_count").GetInt32(), train.Length);
        Assert.Equal(order, train.Concat(test));
        // the seed of the initialisation does not move the challenge's split
        Assert.Equal(train, Eis7Transformer.Split(113, new Eis7TransformerOptions(Seed: 5)).Train);
        var (small, smallTest) = Eis7Transformer.Split(113, new Eis7TransformerOptions(MaxPairs: 101));
        Assert.Equal(order[..50], small);
        Assert.Equal(order[50..101], smallTest);
    }

    [Fact]
    public void TheChallengeModelsAccuracyOnItsTestHalfIsWhatPythonComputes()
    {
        var labels = SharedLabels();
        var fixture = PythonRandomFixture.Root.GetProperty("eis7_split");
        var (train, test) = Eis7Transformer.Split(113, new Eis7TransformerOptions());
        double testAccuracy = Eis7Labels.Agreement(labels.ModelLabels!, labels.Labels, test);
        double trainAccuracy = Eis7Labels.Agreement(labels.ModelLabels!, labels.Labels, train);
        Assert.Equal(fixture.GetProperty("model_test_accuracy").GetDouble(), testAccuracy, 12);
        Assert.Equal(fixture.GetProperty("model_train_accuracy").GetDouble(), trainAccuracy, 12);
        // the split is the one the model was trained on: it fits its train half much better than the other
        Assert.True(trainAccuracy - testAccuracy > 0.015, $"train {trainAccuracy:P2} vs test {testAccuracy:P2}");
    }

    [Fact]
    public void GrokkingInitIsPyTorchsInitialWeightsForTheSameSeed()
    {
        // tests/fixtures/eis7_grokking.safetensors holds the initial weights Nanda's model got from torch.manual_seed(0)
        // in PyTorch (bench/peers/eis7_grokking.py --save-init), in TransformerLens's names: the same bits, not just the scales
        var model = new HookedTransformer(new Eis7TransformerOptions(DModel: 16, NHeads: 2, DHead: 8, DMlp: 64).ModelConfig(113));
        Eis7Transformer.GrokkingInit(model, 0);
        var torch = SafeTensorsDict.Load(FixtureFiles.PathOf("eis7_grokking.safetensors"));
        Assert.Equal(torch.Keys.Order(), model.NamedParameters().Select(p => p.Name).Order());
        foreach (var (name, param) in model.NamedParameters())
            Assert.True(torch[name].ToFloatArray().SequenceEqual(param.ToFloatArray()), $"{name} differs from PyTorch's");
        // another seed draws other weights
        var other = new HookedTransformer(model.Config);
        Eis7Transformer.GrokkingInit(other, 1);
        Assert.False(other.StateDict()["embed.W_E"].ToFloatArray().SequenceEqual(model.StateDict()["embed.W_E"].ToFloatArray()));
    }

    [Fact]
    public void GrokkingInitDrawsNandasScales()
    {
        var model = new HookedTransformer(new Eis7TransformerOptions(DModel: 64, NHeads: 4, DHead: 16, DMlp: 256).ModelConfig(113));
        Eis7Transformer.GrokkingInit(model, 0);
        foreach (var (name, param) in model.NamedParameters())
        {
            var v = param.To(DType.Float64).ToDoubleArray();
            double rms = Math.Sqrt(v.Average(x => x * x));
            if (name.Contains(".b_")) Assert.All(v, x => Assert.Equal(0.0, x));
            else
            {
                // the sample rms of n normals is within ~3/√(2n) of the std (relative) with high probability
                double expected = 1 / Math.Sqrt(name == "unembed.W_U" ? 114 : 64), tolerance = 3 / Math.Sqrt(2.0 * v.Length);
                Assert.True(Math.Abs(rms / expected - 1) < tolerance, $"{name}: rms {rms:F4}, expected {expected:F4} within {tolerance:P1}");
            }
        }
    }

    [Fact]
    public void TrainingFromPyTorchsInitialWeightsFollowsPyTorchsRunStepByStep()
    {
        // tests/fixtures/eis7_grokking.safetensors: PyTorch's own run of the recipe (bench/peers/eis7_grokking.py: Nanda's
        // model and loop, AdamW, LambdaLR warm-up, float64 CE over the 114 tokens) at a tiny size on the challenge's split:
        // its initial weights, and its train loss before each of 100 steps and after the last
        string path = FixtureFiles.PathOf("eis7_grokking.safetensors");
        double[] expected;
        using (var file = SafeTensorsFile.Open(path))
            expected = JsonSerializer.Deserialize<string[]>(file.Metadata["train_losses"])!.Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var o = new Eis7TransformerOptions(Steps: 100, DModel: 16, NHeads: 2, DHead: 8, DMlp: 64, EvalEvery: 100, MaxPairs: 400, InitFrom: path);
        var losses = new List<double>();
        var run = Eis7Transformer.Train(SharedLabels(), o, r => losses.Add(r.Loss));
        losses.Add(run.Final.TrainLoss);
        Assert.Equal(101, expected.Length);
        Assert.Equal(expected.Length, losses.Count);
        Assert.True(expected[0] - expected[^1] > 1, "the reference run should learn (its loss falls by more than 1 nat)");
        // both run in float32 (the loss in float64): only rounding separates them, and it grows slowly over the steps
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(losses[i] - expected[i]) <= 1e-5 * Math.Abs(expected[i]), $"step {i}: Interp {losses[i]:R}, PyTorch {expected[i]:R}");
    }

    [Fact]
    public void TheSplitIsASeededRandomHalfOfThePairs()
    {
        var o = new Eis7TransformerOptions(Seed: 3, Split: "seeded");
        var (train, test) = Eis7Transformer.Split(113, o);
        Assert.Equal(113 * 113, train.Length + test.Length);
        Assert.Equal(6384, train.Length);
        Assert.Equal(Enumerable.Range(0, 113 * 113), train.Concat(test).Order());
        Assert.Equal(train, Eis7Transformer.Split(113, o).Train);
        Assert.NotEqual(train, Eis7Transformer.Split(113, o with { Seed = 4 }).Train);
        var (small, smallTest) = Eis7Transformer.Split(113, o with { MaxPairs = 100 });
        Assert.Equal((50, 50), (small.Length, smallTest.Length));
    }

    [Fact]
    public void SharedLabelsAreReadWithTheChallengeModelsLabels()
    {
        var labels = SharedLabels();
        Assert.Equal(113, labels.Size);
        Assert.NotNull(labels.ModelLabels);
        // the challenge's model: ~100% on its training half, 97.27% on the other, so ~98.6% over all pairs
        Assert.InRange(Eis7Labels.Agreement(labels.Labels, labels.ModelLabels!), 0.98, 0.995);
        Assert.InRange(labels.FractionOnes, 0.2, 0.8);
    }

    [Fact]
    public void ShortTrainingRunOnASubsetBeatsTheMajorityClass()
    {
        var labels = SharedLabels();
        // 1,500 training pairs, a small model, 100 steps: ~82% on the held-out 1,500 (majority class ~57%)
        var o = new Eis7TransformerOptions(Steps: 100, Seed: 0, DModel: 32, NHeads: 4, DHead: 8, DMlp: 64, LearningRate: 1e-2,
            WeightDecay: 0.1, WarmupSteps: 10, EvalEvery: 50, MaxPairs: 3000);
        var run = Eis7Transformer.Train(labels, o);
        Assert.Equal([50, 100], run.Curve.Select(e => e.Step));
        int p = labels.Size;
        double ones = run.TestPairs.Average(i => (double)labels[i / p, i % p]);
        double majority = Math.Max(ones, 1 - ones);
        Assert.True(run.Final.TestAccuracy > majority + 0.1, $"test accuracy {run.Final.TestAccuracy:P1} vs majority class {majority:P1}");
        Assert.True(run.Final.TrainAccuracy >= run.Final.TestAccuracy);
        // the grid of predictions agrees with the evaluation's test accuracy
        var grid = Eis7Transformer.PredictGrid(run.Model);
        Assert.Equal(run.Final.TestAccuracy, run.TestPairs.Average(i => grid[i / p, i % p] == labels[i / p, i % p] ? 1.0 : 0.0), 6);
    }
}
