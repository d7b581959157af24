using Interp.Analysis.Patching;
using Interp.Analysis.Plot;
using Interp.Training;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Analysis.Patching;

public class InductionPromptsTests
{
    [Fact]
    public void CleanRepeatsItsFirstHalfAndCorruptedDiffersOnlyThere()
    {
        var (clean, corrupted, answers, wrong) = InductionPrompts.Make(vocab: 10, length: 5, batch: 3, bos: 0, seed: 7);
        Assert.Equal([3, 10], clean.ShapeArray);
        Assert.Equal([3, 10], corrupted.ShapeArray);
        var (c, k, ans, wr) = (clean.ToIntArray(), corrupted.ToIntArray(), answers.ToIntArray(), wrong.ToIntArray());
        for (int b = 0; b < 3; b++)
        {
            var row = c.AsSpan(b * 10, 10);
            var bad = k.AsSpan(b * 10, 10);
            Assert.Equal(0, row[0]);
            Assert.Equal(0, bad[0]);
            for (int i = 1; i <= 5; i++) { Assert.NotEqual(row[i], bad[i]); Assert.NotEqual(0, row[i]); Assert.NotEqual(0, bad[i]); }
            for (int i = 0; i < 4; i++) { Assert.Equal(row[1 + i], row[6 + i]); Assert.Equal(row[6 + i], bad[6 + i]); }
            Assert.Equal(row[5], ans[b]);    // the token that followed the last one's first occurrence
            Assert.Equal(bad[5], wr[b]);
        }
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Contains("length", Assert.Throws<ArgumentException>(() => InductionPrompts.Make(10, 1, 2)).Message);
        Assert.Contains("bos 10", Assert.Throws<ArgumentException>(() => InductionPrompts.Make(10, 4, 2, bos: 10)).Message);
        Assert.Contains("too small", Assert.Throws<ArgumentException>(() => InductionPrompts.Make(2, 4, 2)).Message);
    }
}

public class PatchPlotsTests
{
    [Fact]
    public void HeatmapsHaveOneCellPerValueAndPerHeadRowsForThreeDimensionalResults()
    {
        var twoD = Tensor.FromArray(new double[] { 0, 1, 2, 3, 4, 5 }, [2, 3]);
        var image = Png.Decode(PatchPlots.Heatmap(twoD, centre: 2, cellSize: 4).EncodePng());
        Assert.Equal((12, 8), (image.Width, image.Height));
        // the centre value is drawn white, values above it red-ish, below it blue-ish
        Assert.Equal((255, 255, 255), Pixel(image, 2 * 4 + 1, 1));
        var (r, _, b) = Pixel(image, 2 * 4 + 1, 4 + 1);
        Assert.True(r > b, "a value above the centre should be red");
        var threeD = Tensor.Zeros([2, 3, 5]);
        var grid = PatchPlots.Heatmap(threeD + 1, cellSize: 2);
        Assert.Equal((10, 12), (grid.Width, grid.Height));
        Assert.Contains("[layer, pos]", Assert.Throws<ArgumentException>(() => PatchPlots.Heatmap(Tensor.Zeros([3]))).Message);
    }

    static (int, int, int) Pixel(RgbImage image, int x, int y)
    {
        int i = 3 * (y * image.Width + x);
        return (image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]);
    }

    [Fact]
    public void CsvHasOneRowPerValueWithItsCoordinates()
    {
        string csv = PatchPlots.ToCsv([("heads", Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [2, 2]), "layer,head"),
                                       ("by_pos", Tensor.FromArray(new double[] { 5, 6, 7, 8, 9, 10, 11, 12 }, [2, 2, 2]), "layer,head,pos")]);
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("name,layer,head,pos,value", lines[0]);
        Assert.Equal(1 + 4 + 8, lines.Length);
        Assert.Equal("heads,1,0,,3", lines[3]);
        Assert.Equal("by_pos,1,0,1,10", lines[4 + 6]);
        Assert.Throws<ArgumentException>(() => PatchPlots.ToCsv([("x", Tensor.Zeros([2, 2]), "rows,cols")]));
    }

    [Fact]
    public void CorrelationOfAResultWithItselfIsOneAndWithItsNegativeMinusOne()
    {
        var a = Tensor.FromArray(new double[] { 1, 3, 2, 7 });
        Assert.Equal(1, PatchStats.Correlation(a, a * 2 + 1), 12);
        Assert.Equal(-1, PatchStats.Correlation(a, a.Neg()), 12);
        Assert.True(double.IsNaN(PatchStats.Correlation(a, Tensor.Ones([4], DType.Float64))));
        Assert.Throws<ArgumentException>(() => PatchStats.Correlation(a, Tensor.Zeros([3])));
    }
}

/// <summary>On the small trained induction model of the toy-training tests (~10 s of training).</summary>
public class TrainedInductionPatchingTests(ITestOutputHelper output)
{
    [Fact]
    public void AttributionTracksActivationPatchingAndFindsTheInductionHeads()
    {
        var options = new InductionOptions(Steps: 300, VocabSize: 16, Length: 8, DModel: 32, NHeads: 2, DHead: 16, BatchSize: 16,
            LearningRate: 3e-3, EvalEvery: 300, EvalBatch: 64);
        var model = ToyModels.TrainInduction(options).Model;
        model.Eval();
        var (clean, corrupted, answers, wrong) = InductionPrompts.Make(16, 8, batch: 16, seed: 1);
        var metric = PatchMetrics.NormalizedLogitDiff(model, clean, corrupted, answers, wrong);
        var (cleanLd, corruptLd) = ActivationPatching.Baselines(model, clean, corrupted, PatchMetrics.LogitDiff(answers, wrong));
        Assert.True(cleanLd > corruptLd + 2, $"the trained model should prefer the repeated token: clean {cleanLd:F2}, corrupted {corruptLd:F2}");

        var attribution = AttributionPatching.Run(model, clean, corrupted, metric);
        var headsAct = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric);
        var residAct = ActivationPatching.ResidPreByPosition(model, clean, corrupted, metric);
        double rHeads = PatchStats.Correlation(attribution.HeadsAllPositions, headsAct);
        double rResid = PatchStats.Correlation(attribution.ResidPreByPosition, residAct);
        output.WriteLine($"clean LD {cleanLd:F3}, corrupted LD {corruptLd:F3}; heads act {headsAct}, attr {attribution.HeadsAllPositions}");
        output.WriteLine($"correlation heads {rHeads:F3}, resid_pre {rResid:F3}");
        Assert.True(rHeads > 0.9, $"heads: r = {rHeads:F3}");
        Assert.True(rResid > 0.9, $"resid_pre: r = {rResid:F3}");
        // the layer-1 head that restores the most by itself is an induction head: restoring it recovers much of the clean behaviour
        double best = headsAct[1].ToDoubleArray().Max();
        Assert.True(best > 0.3, $"best layer-1 head restores {best:F3}");
    }
}
