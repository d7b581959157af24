using Interp.Analysis.Tokens;
using Interp.Autograd;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis.Tokens;

/// <summary>
/// Unspeakable tokens on a tiny transformer whose unembedding is built by hand: tokens 0–4 are ±e1, ±e2, e3 (vertices
/// of the columns' convex hull) and token 5 is 0.45·e1 + 0.45·e2 = 0.5·e1 + 0.45·e2 + 0.05·(−e1) — inside the hull of
/// tokens 0, 1, 2, so its logit is a convex combination of theirs and never exceeds their maximum.
/// </summary>
public class UnspeakableTokensTests
{
    const int Hull = 5;

    internal static HookedTransformer HullModel(string norm)
    {
        var model = new HookedTransformer(new TransformerConfig
        {
            NLayers = 1, DModel = 4, NHeads = 1, DHead = 4, DVocab = 6, NCtx = 4, Normalization = norm, Seed = 3,
        });
        double[,] columns = { { 1, 0, 0, 0 }, { -1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, -1, 0, 0 }, { 0, 0, 1, 0 }, { 0.45, 0.45, 0, 0 } };
        var wu = new double[4 * 6];
        for (int t = 0; t < 6; t++) for (int d = 0; d < 4; d++) wu[d * 6 + t] = columns[t, d];
        var w = model.Unembed.W_U!;
        using (GradMode.NoGrad()) w.Backend.Copy(Tensor.FromDoubles(wu, [4, 6]), w);
        return model;
    }

    static readonly UnspeakableOptions Options = new() { Steps = 150, LearningRate = 0.1, BatchSize = 4 };

    static void AssertOnlyHullTokenUnreachable(TokenReach[] results)
    {
        Assert.Equal(Enumerable.Range(0, 6), results.Select(r => r.Token));
        for (int t = 0; t < Hull; t++)
        {
            Assert.True(results[t].CanBeArgmax, $"vertex token {t}: margin {results[t].Margin}, p = {results[t].Probability}");
            Assert.True(results[t].Margin > 0 && results[t].Probability > 0.5);
        }
        Assert.False(results[Hull].CanBeArgmax);
        Assert.True(results[Hull].Margin <= 0, $"hull token margin {results[Hull].Margin}");
        Assert.True(results[Hull].Probability < 0.5);
    }

    [Theory]
    [InlineData("LN")]
    [InlineData("none")]
    public void ResidualOptimisationReachesEveryVertexButNotTheTokenInsideTheHull(string norm) =>
        AssertOnlyHullTokenUnreachable(UnspeakableTokens.ViaFinalResidual(HullModel(norm), options: Options));

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 1, 2 })]
    public void EmbeddingOptimisationReachesEveryVertexButNotTheTokenInsideTheHull(int[] prompt) =>
        AssertOnlyHullTokenUnreachable(UnspeakableTokens.ViaInputEmbedding(HullModel("LN"), prompt, options: Options with { Steps = 250 }));

    [Fact]
    public void ModelWeightsAreLeftAsTheyWere()
    {
        var model = HullModel("LN");
        var before = model.StateDictValues();
        UnspeakableTokens.ViaInputEmbedding(model, [0], [2], Options with { Steps = 5 });
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad && p.Grad is null));
        Assert.Equal(before, model.StateDictValues());
    }

    [Fact]
    public void BadTokensAndPromptsAreRejectedWithTheirValues()
    {
        var model = HullModel("LN");
        Assert.Contains("7", Assert.Throws<ArgumentException>(() => UnspeakableTokens.ViaFinalResidual(model, [7], Options)).Message);
        Assert.Contains("n_ctx", Assert.Throws<ArgumentException>(() => UnspeakableTokens.ViaInputEmbedding(model, [0, 1, 2, 3], [0], Options)).Message);
        Assert.Contains("-1", Assert.Throws<ArgumentException>(() => UnspeakableTokens.ViaInputEmbedding(model, [-1], [0], Options)).Message);
    }
}

static class StateDictValuesExtension
{
    public static double[][] StateDictValues(this HookedTransformer model) => model.Parameters().Select(p => p.ToDoubleArray()).ToArray();
}
