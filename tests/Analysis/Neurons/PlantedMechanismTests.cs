using Interp.Analysis.Datasets;
using Interp.Analysis.Neurons;
using Interp.Nn;
using Xunit;

namespace Interp.Tests.Analysis.Neurons;

/// <summary>The neuron tools on <see cref="PlantedMlp"/> over 500 real digits: each finds the mechanism that was planted.</summary>
public class PlantedMechanismTests
{
    static readonly Lazy<ModelOnDataset> Shared = new(() => new ModelOnDataset(HookedClassifier.Of(PlantedMlp.Build()), Digits.Every(20)));
    static ModelOnDataset Run => Shared.Value;
    const string Hidden = "hook_relu1";

    [Fact]
    public void TheModelComputesThePlantedLabel()
    {
        var run = Run;
        var expected = Enumerable.Range(0, run.Count).Select(i => PlantedMlp.Label(ImageFeatures.Pixels(run.Data, i))).ToArray();
        Assert.Equal(expected, run.Labels);
        Assert.InRange(run.Labels.Average(), 0.2, 0.8);
    }

    [Fact]
    public void TheCensusFindsTheDeadAndTheAlwaysOnUnits()
    {
        var census = NeuronCensus.Take(Hidden, Run.UnitValues(Hidden));
        Assert.Equal([3, 5], census.Of(UnitKind.Dead));
        Assert.Equal([4], census.Of(UnitKind.AlwaysOn));
        Assert.Equal([0, 1, 2, 4], census.Live);
        Assert.Equal(1.0, census.Units[0].FractionActive + census.Units[2].FractionActive, 12);
    }

    [Fact]
    public void DirectAttributionSumsToTheLogitDifferenceAndRanksThePlantedUnitsFirst()
    {
        var run = Run;
        var a = DirectAttribution.Compute(run, Hidden, 1, 0)!;
        var diff = run.LogitDifference(1, 0);
        for (int i = 0; i < run.Count; i++)
            Assert.Equal(diff[i], a.GroupSum(Enumerable.Range(0, PlantedMlp.Hidden))[i] + a.Bias, 4);
        Assert.Equal([0, 1, 2], a.Ranked.Take(3).Order().ToArray());
        Assert.Equal(2 * a.Units[0].Mean, a.Units[1].Mean, 6);
        Assert.True(a.Units[2].Mean < 0 && a.Units[1].MeanByLabel[0] == 0 && a.Units[2].MeanByLabel[1] == 0);
        Assert.All(a.Units.Skip(3), u => Assert.Equal(0, u.Mean));
    }

    [Fact]
    public void CoactivationGroupsPairTheUnitsThatFireTogetherApartFromTheirOpposite()
    {
        var g = CoactivationGroups.Find(Run.UnitValues(Hidden), [0, 1, 2]);
        Assert.Equal(2, g.Groups.Length);
        Assert.Equal([0, 1], g.Groups[0].Units);
        Assert.Equal([2], g.Groups[1].Units);
        Assert.Equal([(0, 1)], g.NeverTogether().ToArray());
        Assert.Equal(1.0, g.Groups[0].FractionActive + g.Groups[1].FractionActive, 12);
    }

    [Fact]
    public void AblatingThePlantedUnitsDestroysTheBehaviourAndKeepingThemPreservesIt()
    {
        var run = Run;
        var zero = Ablation.Run(run, Hidden, [0, 1, 2], AblationMode.Zero);
        Assert.Equal(1 - run.Labels.Average(), zero.Agreement, 12);   // logit difference 0: every label falls to 0
        Assert.Equal(run.Labels.Sum(), zero.ChangeCount(1, 0));
        Assert.Equal(0, zero.MetricAfter);
        var keep = Ablation.Run(run, Hidden, Ablation.AllBut(run, Hidden, [0, 1, 2]), AblationMode.Mean);
        Assert.Equal(1.0, keep.Agreement);
        Assert.Empty(keep.Changed);
        var resample = Ablation.Run(run, Hidden, [0, 1, 2], AblationMode.Resample, seed: 3);
        Assert.InRange(resample.Agreement, 0.3, 0.7);   // labels of random other digits
    }

    [Fact]
    public void TheFaithfulnessCurveReachesFullAgreementAtThePlantedUnitCount()
    {
        var run = Run;
        var ranking = DirectAttribution.Compute(run, Hidden, 1, 0)!.Ranked;
        var curve = Faithfulness.KeepTopK(run, Hidden, ranking, [0, 3, 6]);
        Assert.True(curve[0].Agreement < 0.9);
        Assert.Equal(1.0, curve[1].Agreement);
        Assert.Equal(1.0, curve[2].Agreement);
    }

    [Fact]
    public void APixelReadoutOfTheLinearUnitShowsTheTopAgainstTheBottomHalf()
    {
        var run = new ModelOnDataset(HookedClassifier.Of(PlantedMlp.Build()), Digits.Every(4));   // 2,500 digits: more than the 784 pixels
        var pre = run.UnitValues("hook_fc1");
        var y = Enumerable.Range(0, run.Count).Select(i => pre[i, 0]).ToArray();
        var fit = PixelReadout.Fit(run.Data, y, lambda: 1e-6);
        Assert.True(fit.TrainR2 > 0.999 && fit.HeldOutR2 > 0.99, $"R² {fit.TrainR2} / {fit.HeldOutR2}");
        double top = Centre(fit.Weights, 6, 13), bottom = Centre(fit.Weights, 14, 21);
        Assert.True(top > 0.8 / 392 && bottom < -0.8 / 392, $"mean weight {top} on rows 6..13, {bottom} on rows 14..21 (planted: ±{1 / 392.0})");
    }

    // mean weight over the given rows and the central columns 8..19, where every digit class has ink
    static double Centre(double[] w, int firstRow, int lastRow) =>
        Enumerable.Range(firstRow, lastRow - firstRow + 1).SelectMany(r => Enumerable.Range(8, 12).Select(c => w[r * 28 + c])).Average();
    [Fact]
    public void AModelWithNonFiniteLogitsIsRefusedNamingTheFirstOne()
    {
        var mlp = PlantedMlp.Build();
        var state = mlp.StateDict();
        state["layers.1.bias"] = Tensor.FromArray([0f, float.NaN]);
        mlp.LoadStateDict(state);
        var e = Assert.Throws<ArgumentException>(() => new ModelOnDataset(HookedClassifier.Of(mlp), Digits.Every(500)));
        Assert.Contains("logit 1 of image 0 is NaN", e.Message);
    }
}
