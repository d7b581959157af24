using Interp.Analysis.Patching;
using Interp.Autograd;
using Interp.Transformers;
using Xunit;
using static Interp.Tests.Analysis.Patching.PatchingTestModels;

namespace Interp.Tests.Analysis.Patching;

public class ActivationPatchingTests
{
    static void Close(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        double worst = e.Zip(a, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst <= tol, $"max |difference| {worst:G3} > {tol:G3}");
    }

    [Fact]
    public void ShapesFollowLayersHeadsAndPositions()
    {
        var model = Random(Config(layers: 2));
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        Assert.Equal([2, 6], ActivationPatching.ResidPreByPosition(model, clean, corrupted, metric).ShapeArray);
        Assert.Equal([2, 6], ActivationPatching.AttnOutByPosition(model, clean, corrupted, metric, PatchDirection.Noising).ShapeArray);
        Assert.Equal([2, 6], ActivationPatching.MlpOutByPosition(model, clean, corrupted, metric).ShapeArray);
        Assert.Equal([2, 2], ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric).ShapeArray);
        Assert.Equal([2, 2, 6], ActivationPatching.HeadsByPosition(model, clean, corrupted, metric, activation: HeadActivation.Result).ShapeArray);
    }

    [Fact]
    public void PatchingAWholeActivationReproducesTheOtherRun()
    {
        var model = Random(Config());
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        var (cleanLd, corruptLd) = ActivationPatching.Baselines(model, clean, corrupted, metric);
        Assert.True(Math.Abs(cleanLd - corruptLd) > 1e-3, "the prompts should give different logit differences");
        foreach (var hook in new[] { "blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_mid" })
        {
            Assert.Equal(cleanLd, ActivationPatching.Patch(model, clean, corrupted, metric, [hook]), 10);
            Assert.Equal(corruptLd, ActivationPatching.Patch(model, clean, corrupted, metric, [hook], PatchDirection.Noising), 10);
        }
    }

    [Fact]
    public void PositionsWhereThePromptsAgreeChangeNothingInTheFirstLayer()
    {
        var model = Random(Config());
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        var (_, corruptLd) = ActivationPatching.Baselines(model, clean, corrupted, metric);
        var resid = ActivationPatching.ResidPreByPosition(model, clean, corrupted, metric);
        foreach (int p in new[] { 0, 3, 4, 5 }) Assert.Equal(corruptLd, resid.GetValue(0, p), 10);
        Assert.NotEqual(corruptLd, resid.GetValue(0, 1), 6);
    }

    [Fact]
    public void ABatchScoresTheMeanOfItsPrompts()
    {
        var model = Random(Config());
        var (clean, corrupted, answers, wrong) = Prompts(batch: 2);
        var both = ActivationPatching.HeadsByPosition(model, clean, corrupted, PatchMetrics.LogitDiff(answers, wrong));
        var each = Enumerable.Range(0, 2).Select(b => ActivationPatching.HeadsByPosition(model, clean[b], corrupted[b],
            PatchMetrics.LogitDiff(answers[b], wrong[b]))).ToArray();
        Close((each[0] + each[1]) * 0.5, both, 1e-10);
    }

    [Fact]
    public void ZAndResultPatchingAgree()
    {
        var model = Random(Config());
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        Close(ActivationPatching.HeadsByPosition(model, clean, corrupted, metric),
              ActivationPatching.HeadsByPosition(model, clean, corrupted, metric, activation: HeadActivation.Result), 1e-10);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DenoisingAndNoisingSeeDifferentHalvesOfAnAndOrCircuit(bool isAnd)
    {
        var model = AndOr(isAnd);
        var clean = Tensor.FromArray(new[] { 1, 1, 2 }, [1, 3]);
        var corrupted = Tensor.FromArray(new[] { 0, 0, 2 }, [1, 3]);
        var metric = PatchMetrics.NormalizedLogitDiff(model, clean, corrupted, Tensor.FromArray(new[] { 1 }), Tensor.FromArray(new[] { 0 }));
        var denoise = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric, PatchDirection.Denoising);
        var noise = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric, PatchDirection.Noising);
        // AND: one clean head alone restores nothing, one corrupted head alone breaks everything; OR: the reverse
        double expected = isAnd ? 0 : 1;
        for (int h = 0; h < 2; h++)
        {
            Assert.Equal(expected, denoise.GetValue(0, h), 6);
            Assert.Equal(expected, noise.GetValue(0, h), 6);
        }
        // the same shows by position in the residual stream: each of positions 0 and 1 holds one of the two facts
        var residDenoise = ActivationPatching.ResidPreByPosition(model, clean, corrupted, metric);
        var residNoise = ActivationPatching.ResidPreByPosition(model, clean, corrupted, metric, PatchDirection.Noising);
        for (int p = 0; p < 2; p++)
        {
            Assert.Equal(expected, residDenoise.GetValue(0, p), 6);
            Assert.Equal(expected, residNoise.GetValue(0, p), 6);
        }
        Assert.Equal(0, residDenoise.GetValue(0, 2), 6);   // the query position is the same in both prompts
        Assert.Equal(1, residNoise.GetValue(0, 2), 6);
    }

    [Fact]
    public void BadInputIsRefusedWithClearErrors()
    {
        var model = Random(Config());
        var attnOnly = Random(Config(dMlp: 0, attnResult: false));
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        string Error(Action a) => Assert.ThrowsAny<ArgumentException>(a).Message;
        Assert.Contains("same [batch, pos]", Error(() => ActivationPatching.ResidPreByPosition(model, clean, corrupted.Narrow(1, 0, 5), metric)));
        Assert.Contains("int32", Error(() => ActivationPatching.ResidPreByPosition(model, clean.To(DType.Float64), corrupted, metric)));
        Assert.Contains("scalar", Error(() => ActivationPatching.ResidPreByPosition(model, clean, corrupted, l => l.Sum(-1))));
        Assert.Contains("attention-only", Error(() => ActivationPatching.MlpOutByPosition(attnOnly, clean, corrupted, metric)));
        Assert.Contains("UseAttnResult", Error(() => ActivationPatching.HeadsAllPositions(attnOnly, clean, corrupted, metric, activation: HeadActivation.Result)));
        Assert.Contains("no hook point 'blocks.0.bogus'", Error(() => ActivationPatching.ByPosition(model, clean, corrupted, metric, l => $"blocks.{l}.bogus")));
        Assert.Contains("must differ", Error(() => PatchMetrics.NormalizedLogitDiff(model, clean, clean, answers, wrong)));
        Assert.Contains("outside the vocabulary", Error(() => PatchMetrics.LogitDiff(model.Forward(clean), Tensor.FromArray(new[] { 3, 11 }), wrong)));
        Assert.Contains("answers must be int32 [batch = 2]", Error(() => PatchMetrics.LogitDiff(model.Forward(clean), Tensor.FromArray(new[] { 3, 4, 5 }), wrong)));
        Assert.Contains("position 6", Error(() => PatchMetrics.LogitDiff(model.Forward(clean), answers, wrong, position: 6)));
    }

    [Fact]
    public void NormalizedLogitDiffIsZeroOnTheCorruptedAndOneOnTheCleanRun()
    {
        var model = Random(Config());
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.NormalizedLogitDiff(model, clean, corrupted, answers, wrong);
        var (c, k) = ActivationPatching.Baselines(model, clean, corrupted, metric);
        Assert.Equal(1, c, 10);
        Assert.Equal(0, k, 10);
    }
}
