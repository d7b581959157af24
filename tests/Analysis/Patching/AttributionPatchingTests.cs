using Interp.Analysis.Patching;
using Interp.Transformers;
using Xunit;
using static Interp.Tests.Analysis.Patching.PatchingTestModels;

namespace Interp.Tests.Analysis.Patching;

public class AttributionPatchingTests
{
    static void Close(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        double worst = e.Zip(a, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst <= tol, $"max |difference| {worst:G3} > {tol:G3}");
    }

    static double MaxDifference(Tensor a, Tensor b) => a.ToDoubleArray().Zip(b.ToDoubleArray(), (x, y) => Math.Abs(x - y)).Max();

    /// <summary>
    /// Without a final LayerNorm the logits, and so a logit difference, are linear in the last layer's attention output,
    /// in each of its heads' z and in its value vectors (the pattern does not depend on v): attribution patching is
    /// exact there, in both directions. In the first layer (softmax and the next layer between) it is not.
    /// </summary>
    [Theory]
    [InlineData(PatchDirection.Denoising)]
    [InlineData(PatchDirection.Noising)]
    public void ExactWhereTheMetricIsLinearInTheActivation(PatchDirection direction)
    {
        var model = Random(Config(dMlp: 0, norm: "none"));
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        var attribution = AttributionPatching.Run(model, clean, corrupted, metric, direction);

        Close(ActivationPatching.AttnOutByPosition(model, clean, corrupted, metric, direction)[1], attribution.AttnOutByPosition[1], 1e-10);
        Close(ActivationPatching.HeadsByPosition(model, clean, corrupted, metric, direction)[1], attribution.HeadsByPosition[1], 1e-10);
        Close(ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric, direction)[1], attribution.HeadsAllPositions[1], 1e-10);
        Close(ActivationPatching.ByPosition(model, clean, corrupted, metric, l => $"blocks.{l}.attn.hook_v", direction)[1],
              attribution.PerLayerByPosition("attn.hook_v")[1], 1e-10);
        Assert.True(MaxDifference(ActivationPatching.HeadsByPosition(model, clean, corrupted, metric, direction)[0], attribution.HeadsByPosition[0]) > 1e-4,
            "the first layer's heads act through a softmax: the linear estimate should not be exact there");
    }

    [Fact]
    public void ExactForTheLastMlpOutputAndResidualStream()
    {
        var model = Random(Config(norm: "none"));
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        var attribution = AttributionPatching.Run(model, clean, corrupted, metric);
        Close(ActivationPatching.MlpOutByPosition(model, clean, corrupted, metric)[1], attribution.MlpOutByPosition[1], 1e-10);
        Close(ActivationPatching.ByPosition(model, clean, corrupted, metric, l => $"blocks.{l}.hook_resid_post")[1], attribution.ResidPostByPosition[1], 1e-10);
    }

    [Fact]
    public void BaselineIsTheBaseRunAndShapesMatchActivationPatching()
    {
        var model = Random(Config());
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        var (cleanLd, corruptLd) = ActivationPatching.Baselines(model, clean, corrupted, metric);
        var denoise = AttributionPatching.Run(model, clean, corrupted, metric);
        var noise = AttributionPatching.Run(model, clean, corrupted, metric, PatchDirection.Noising);
        Assert.Equal(corruptLd, denoise.Baseline, 10);
        Assert.Equal(cleanLd, noise.Baseline, 10);
        Assert.Equal([2, 6], denoise.ResidPreByPosition.ShapeArray);
        Assert.Equal([2, 6], denoise.AttnOutByPosition.ShapeArray);
        Assert.Equal([2, 6], denoise.MlpOutByPosition.ShapeArray);
        Assert.Equal([2, 2, 6], denoise.HeadsByPosition.ShapeArray);
        Assert.Equal([2, 2], denoise.HeadsAllPositions.ShapeArray);
        Assert.Equal([6, 2, 4], denoise.Delta("blocks.0.attn.hook_z").ShapeArray);
        Assert.Equal([2, 6, 6], denoise.Delta("blocks.1.attn.hook_pattern").ShapeArray);
        // positions where the prompts agree have a_clean = a_corrupt in the first layer: no attribution
        Assert.Equal(corruptLd, denoise.ResidPreByPosition.GetValue(0, 0), 12);
    }

    [Fact]
    public void LeavesTheParameterGradientsAlone()
    {
        var model = Random(Config());
        var (clean, corrupted, answers, wrong) = Prompts();
        AttributionPatching.Run(model, clean, corrupted, PatchMetrics.LogitDiff(answers, wrong));
        Assert.All(model.Parameters(), p => { Assert.Null(p.Grad); Assert.True(p.RequiresGrad); });
    }

    [Fact]
    public void BadInputIsRefused()
    {
        var model = Random(Config(dMlp: 0));
        var (clean, corrupted, answers, wrong) = Prompts();
        var result = AttributionPatching.Run(model, clean, corrupted, PatchMetrics.LogitDiff(answers, wrong));
        Assert.Contains("attention-only", Assert.Throws<InvalidOperationException>(() => result.MlpOutByPosition).Message);
        Assert.Contains("no attribution for hook 'bogus'", Assert.Throws<KeyNotFoundException>(() => result.Delta("bogus")).Message);
        Assert.Contains("no gradient", Assert.Throws<ArgumentException>(() =>
            AttributionPatching.Run(model, clean, corrupted, l => Tensor.Scalar(1.0, DType.Float64))).Message);
        Assert.Contains("same [batch, pos]", Assert.Throws<ArgumentException>(() =>
            AttributionPatching.Run(model, clean, corrupted.Narrow(0, 0, 1), PatchMetrics.LogitDiff(answers, wrong))).Message);
    }
}

public class PathPatchingTests
{
    /// <summary>Patches one head's slice of blocks.L.attn.hook_{input} with its value on the source run (written out here, independently of PathPatching).</summary>
    static double PatchHeadInput(HookedTransformer model, Tensor baseTokens, Tensor sourceTokens, Func<Tensor, Tensor> metric, int layer, int head, string input)
    {
        string name = $"blocks.{layer}.attn.hook_{input}";
        var (_, cache) = model.RunWithCache(sourceTokens);
        var source = cache[name];
        ForwardHook replace = (act, _) =>
        {
            var parts = Enumerable.Range(0, act.Size(2)).Select(h => (h == head ? source : act).Narrow(2, h, 1)).ToList();
            return Tensor.Cat(parts, 2);
        };
        using var _ = Interp.Autograd.GradMode.NoGrad();
        return metric(model.RunWithHooks(baseTokens, [(name, replace)])).Item();
    }

    [Theory]
    [InlineData("q", PatchDirection.Noising)]
    [InlineData("k", PatchDirection.Noising)]
    [InlineData("v", PatchDirection.Denoising)]
    public void SendingFromEverythingUpstreamEqualsPatchingTheReceiverInput(string input, PatchDirection direction)
    {
        var model = Random(Config(layers: 3));
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        var path = PathPatching.Run(model, clean, corrupted, PathPatching.Upstream(model, 2), [(2, 1, input)], metric, direction);
        var (baseTokens, source) = direction == PatchDirection.Noising ? (clean, corrupted) : (corrupted, clean);
        Assert.Equal(PatchHeadInput(model, baseTokens, source, metric, 2, 1, input), path, 10);
    }

    [Fact]
    public void ASenderWithoutAPathToTheReceiverChangesNothing()
    {
        // in a 2-layer attention-only model a layer-1 receiver's query sees layer-0 heads only through the residual
        // stream; a sender whose output does not differ between the prompts changes nothing
        var model = Random(Config(layers: 2));
        var (clean, _, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        var (cleanLd, _) = ActivationPatching.Baselines(model, clean, clean, metric);
        Assert.Equal(cleanLd, PathPatching.Run(model, clean, clean, (0, 1), [(1, 0, "q")], metric), 10);
    }

    [Fact]
    public void OneSenderHeadIsPartOfTheUpstreamEffect()
    {
        var model = Random(Config(layers: 2, dMlp: 0));
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        var receivers = new Receiver[] { (1, 0, "q"), (1, 0, "k"), (1, 0, "v") };
        var all = PathPatching.AllSenderHeads(model, clean, corrupted, receivers, metric);
        Assert.Equal([2, 2], all.ShapeArray);
        Assert.True(double.IsNaN(all.GetValue(1, 0)) && double.IsNaN(all.GetValue(1, 1)), "layer-1 heads are not upstream of layer 1");
        for (int h = 0; h < 2; h++)
            Assert.Equal(PathPatching.Run(model, clean, corrupted, (0, h), receivers, metric), all.GetValue(0, h), 12);
        // in an attention-only model with the second layer's heads frozen, both layer-0 heads together are all the
        // upstream difference but the token embedding's direct path into layer 1
        var both = PathPatching.Run(model, clean, corrupted, [(0, 0), (0, 1), PathNode.Embed], receivers, metric);
        double expected = PathPatching.Run(model, clean, corrupted, PathPatching.Upstream(model, 1), receivers, metric);
        Assert.Equal(expected, both, 10);
    }

    [Fact]
    public void BadReceiversAndSendersAreRefused()
    {
        var model = Random(Config(layers: 2));
        var (clean, corrupted, answers, wrong) = Prompts();
        var metric = PatchMetrics.LogitDiff(answers, wrong);
        string Error(Action a) => Assert.Throws<ArgumentException>(a).Message;
        Assert.Contains("\"q\", \"k\" or \"v\"", Error(() => PathPatching.Run(model, clean, corrupted, (0, 0), [(1, 0, "x")], metric)));
        Assert.Contains("not upstream", Error(() => PathPatching.Run(model, clean, corrupted, (1, 0), [(1, 1, "q")], metric)));
        Assert.Contains("head 2 of layer 0", Error(() => PathPatching.Run(model, clean, corrupted, (0, 2), [(1, 1, "q")], metric)));
        Assert.Contains("layer 5", Error(() => PathPatching.Run(model, clean, corrupted, (0, 0), [(5, 1, "q")], metric)));
        Assert.Contains("no receivers", Error(() => PathPatching.Run(model, clean, corrupted, (0, 0), [], metric)));
        Assert.Contains("layer 2", Error(() => PathPatching.Upstream(model, 2)));
    }
}
