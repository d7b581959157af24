using Interp.Analysis.Cases;
using Xunit;

namespace Interp.Tests.Analysis.Cases;

/// <summary>The early-stopping rules of the challenge-2 retraining: what they decide, and that they read training data only.</summary>
public class Eis7TransformerStopTests
{
    static Eis7Labels SharedLabels()
    {
        var path = Eis7Labels.DefaultPath;
        Assert.True(path is not null && File.Exists(path), "../shared/data/eis7/transformer_labels.safetensors not found");
        return Eis7Labels.Load(path!);
    }

    // a small model that fits 100 training pairs in well under 300 steps
    static Eis7TransformerOptions Tiny(string stop, int? patience = null) => new(Steps: 300, Seed: 0, DModel: 32, NHeads: 4, DHead: 8, DMlp: 64,
        LearningRate: 1e-2, WeightDecay: 0.1, EvalEvery: 5, MaxPairs: 200, Stop: stop, Patience: patience);

    static Eis7Eval Eval(int step, double trainAccuracy, double validationLoss = double.NaN) =>
        new(step, 0.5, trainAccuracy, 0.5, 0.5, validationLoss, 0.5);

    [Fact]
    public void FittedEndsAtTheFirstEvaluationWithEveryTrainingPairRightOrPatienceStepsAfter()
    {
        var curve = new List<Eis7Eval> { Eval(10, 0.9), Eval(20, 0.999), Eval(30, 1.0), Eval(40, 0.999), Eval(50, 1.0) };
        Assert.Equal(30, Eis7TransformerStop.FittedStep(curve));
        Assert.Null(Eis7TransformerStop.FittedStep(curve[..2]));
        var fitted = new Eis7TransformerOptions(Stop: "fitted");
        Assert.False(Eis7TransformerStop.ShouldStop(curve[..2], fitted));
        Assert.True(Eis7TransformerStop.ShouldStop(curve[..3], fitted));
        // patience counts steps from the first fit, whatever the accuracy does after it
        Assert.False(Eis7TransformerStop.ShouldStop(curve[..4], fitted with { Patience = 20 }));
        Assert.True(Eis7TransformerStop.ShouldStop(curve, fitted with { Patience = 20 }));
        Assert.Equal(4, Eis7TransformerStop.KeptIndex(curve, fitted));   // fitted keeps the last model
        Assert.False(Eis7TransformerStop.ShouldStop(curve, new Eis7TransformerOptions()));   // none never stops early
    }

    [Fact]
    public void ValidationKeepsTheLowestValidationLossAndEndsPatienceStepsAfterIt()
    {
        var curve = new List<Eis7Eval> { Eval(10, 0.8, 0.6), Eval(20, 0.9, 0.3), Eval(30, 1.0, 0.3), Eval(40, 1.0, 0.4), Eval(50, 1.0, 0.5) };
        var validation = new Eis7TransformerOptions(Stop: "validation", Patience: 30);
        Assert.Equal(1, Eis7TransformerStop.KeptIndex(curve, validation));   // the first of equal losses
        Assert.False(Eis7TransformerStop.ShouldStop(curve[..4], validation));
        Assert.True(Eis7TransformerStop.ShouldStop(curve, validation));
        Assert.Equal(100, Eis7TransformerStop.DefaultPatience("validation"));
        Assert.False(Eis7TransformerStop.ShouldStop(curve, validation with { Patience = null }));
        // a lower loss later moves the kept checkpoint and restarts the count
        curve.Add(Eval(60, 1.0, 0.1));
        Assert.Equal(5, Eis7TransformerStop.KeptIndex(curve, validation));
        Assert.False(Eis7TransformerStop.ShouldStop(curve, validation));
    }

    [Fact]
    public void TheValidationSliceIsAFixedPartOfTheTrainHalfNeverTrainedOnOrTested()
    {
        var o = new Eis7TransformerOptions(Stop: "validation");
        var (half, testHalf) = Eis7Transformer.Split(113, o);
        var (train, validation, test) = Eis7Transformer.Pairs(113, o);
        Assert.Equal((5746, 638), (train.Length, validation.Length));   // round(0.1 · 6,384) held out
        Assert.Equal(testHalf, test);                                     // the test half is untouched
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(validation.Intersect(test));
        Assert.Equal(half.Order(), train.Concat(validation).Order());
        Assert.Equal(half.Where(train.ToHashSet().Contains), train);       // the pairs trained on keep the half's order
        // the same slice for every seed of the initialisation; another fraction holds out another number
        Assert.Equal(validation, Eis7Transformer.Pairs(113, o with { Seed = 7 }).Validation);
        Assert.Equal(1277, Eis7Transformer.Pairs(113, o with { ValidationFraction = 0.2 }).Validation.Length);
        // without the validation rule the whole half trains
        Assert.Equal(half, Eis7Transformer.Pairs(113, o with { Stop = "fitted" }).Train);
        Assert.Empty(Eis7Transformer.Pairs(113, o with { Stop = "none" }).Validation);
    }

    [Fact]
    public void AFittedRunStopsWhereTheTrainAccuracyFirstReachesOneHundredPercent()
    {
        var labels = SharedLabels();
        var full = Eis7Transformer.Train(labels, Tiny("none"));
        int? fit = Eis7TransformerStop.FittedStep(full.Curve);
        Assert.True(fit is int s && s < 250, $"the tiny model should fit its 100 pairs early (first fit: {fit})");

        var stopped = Eis7Transformer.Train(labels, Tiny("fitted"));
        Assert.Equal(fit, stopped.StepsRun);
        Assert.Equal(fit, stopped.Final.Step);
        Assert.Equal(1.0, stopped.Final.TrainAccuracy);
        Assert.All(stopped.Curve.SkipLast(1), e => Assert.True(e.TrainAccuracy < 1));
        // the same training up to there: the rule only ends it
        Assert.Equal(full.Curve.TakeWhile(e => e.Step <= fit), stopped.Curve);

        var later = Eis7Transformer.Train(labels, Tiny("fitted", patience: 20));
        Assert.Equal(fit + 20, later.StepsRun);
    }

    [Fact]
    public void AValidationRunKeepsItsLowestValidationLossCheckpointAndNeverReadsTheTestHalf()
    {
        var labels = SharedLabels();
        var o = Tiny("validation", patience: 30);
        var run = Eis7Transformer.Train(labels, o);
        Assert.Equal(10, run.ValidationPairs!.Length);   // 10 % of the 100-pair train half
        Assert.Equal(90, run.TrainPairs.Length);
        Assert.Empty(run.TrainPairs.Intersect(run.ValidationPairs));
        double lowest = run.Curve.Min(e => e.ValidationLoss);
        Assert.Equal(lowest, run.Final.ValidationLoss);
        Assert.True(run.StepsRun < o.Steps && run.StepsRun - run.Final.Step == 30, $"ran {run.StepsRun}, kept {run.Final.Step}");
        Assert.True(run.Curve[^1].ValidationLoss > lowest, "the run should go past its best checkpoint");
        // the model returned is that checkpoint: its own validation loss and test accuracy are the kept evaluation's
        int p = labels.Size;
        var logits = Eis7Transformer.AnswerLogits(run.Model, Eis7Transformer.Tokens(run.ValidationPairs, p));
        double loss = Eis7Transformer.Loss(logits, Tensor.FromArray(run.ValidationPairs.Select(i => labels[i / p, i % p]).ToArray())).Item();
        Assert.Equal(lowest, loss, 6);
        var grid = Eis7Transformer.PredictGrid(run.Model);
        Assert.Equal(run.Final.TestAccuracy, run.TestPairs.Average(i => grid[i / p, i % p] == labels[i / p, i % p] ? 1.0 : 0.0), 6);

        // flip every test label: the rule reads training data only, so it trains and stops the same way
        var flipped = (int[,])labels.Labels.Clone();
        foreach (int i in run.TestPairs) flipped[i / p, i % p] ^= 1;
        var blind = Eis7Transformer.Train(new Eis7Labels(flipped), o);
        Assert.Equal((run.StepsRun, run.Final.Step), (blind.StepsRun, blind.Final.Step));
        Assert.Equal(run.Curve.Select(e => (e.TrainLoss, e.ValidationLoss)), blind.Curve.Select(e => (e.TrainLoss, e.ValidationLoss)));
        Assert.Equal(1 - run.Final.TestAccuracy, blind.Final.TestAccuracy, 9);
    }

    [Fact]
    public void BadStopSettingsAreRefusedWithTheirValues()
    {
        Assert.Contains("stop must be one of none, fitted, validation, got \"early\"",
            Assert.Throws<ArgumentException>(() => new Eis7TransformerOptions(Stop: "early").Validate()).Message);
        Assert.Contains("patience must be non-negative, got -1",
            Assert.Throws<ArgumentException>(() => new Eis7TransformerOptions(Stop: "fitted", Patience: -1).Validate()).Message);
        foreach (double bad in new[] { 0.0, 1.0, 1.5, double.NaN })
            Assert.Contains("validation fraction must lie in (0, 1)",
                Assert.Throws<ArgumentException>(() => new Eis7TransformerOptions(Stop: "validation", ValidationFraction: bad).Validate()).Message);
    }
}
