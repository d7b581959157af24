using Interp.Analysis.Residual;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis.Residual;

public class ResidualStreamTests
{
    // float64 so the identities hold to ~1e-12; MLPs, LN with non-trivial weights and biases everywhere
    static HookedTransformer Model(bool attnResult = true, string posEmbed = "standard", int dMlp = 24, string norm = "LN", ulong seed = 3)
    {
        var model = new HookedTransformer(new TransformerConfig
        {
            NLayers = 3, DModel = 16, NHeads = 4, DHead = 4, DMlp = dMlp, DVocab = 11, NCtx = 12, Normalization = norm,
            PositionalEmbedding = posEmbed, UseAttnResult = attnResult, Dtype = DType.Float64, Seed = seed,
        });
        var gen = new Generator(seed + 100);
        using (Interp.Autograd.GradMode.NoGrad())   // biases and LN weights away from 0 and 1
            model.LoadStateDict(model.StateDict().ToDictionary(kv => kv.Key,
                kv => (kv.Value + Tensor.Randn(kv.Value.ShapeArray, gen, DType.Float64) * 0.3).Contiguous()));
        return model;
    }

    static Tensor Tokens(int batch = 2, int pos = 7, ulong seed = 9) => Tensor.RandInt(0, 11, [batch, pos], new Generator(seed));

    static void Close(Tensor expected, Tensor actual, double tol = 1e-10)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"[{i}]: expected {e[i]}, got {a[i]}");
    }

    [Theory]
    [InlineData("LN")]
    [InlineData("LNPre")]
    [InlineData("none")]
    public void LogitLensOfTheFinalAccumulatedResidualIsTheModelsLogits(string norm)
    {
        var model = Model(norm: norm);
        var (logits, rs) = ResidualStream.Run(model, Tokens());
        var acc = rs.AccumulatedResid(inclMid: true);
        Assert.Equal(["0_pre", "0_mid", "1_pre", "1_mid", "2_pre", "2_mid", "final_post"], acc.Labels);
        Close(logits, rs.LogitLens(acc)[acc.Count - 1]);
        Close(logits, rs.LogitLens(acc, frozenScale: true)[acc.Count - 1]);
        Close(logits.Select(1, 6), rs.LogitLens(rs.AccumulatedResid(pos: ^1), pos: ^1)[3]);
    }

    [Fact]
    public void LogitLensAtAnEarlierLayerRecomputesTheNormOfThatResidual()
    {
        var model = Model();
        var (_, rs) = ResidualStream.Run(model, Tokens());
        var resid = rs.Cache.ResidPre(1);
        var ln = model.LnFinal!;
        var expected = resid.LayerNorm([16], ln.W, ln.B).MatMul(model.Unembed.W_U!) + model.Unembed.b_U!;
        Close(expected, rs.LogitLens(rs.AccumulatedResid())[1]);
    }

    [Fact]
    public void AccumulatedResidUpToALayerStopsAtItsResidPre()
    {
        var (_, rs) = ResidualStream.Run(Model(), Tokens());
        var acc = rs.AccumulatedResid(layer: 1, inclMid: true);
        Assert.Equal(["0_pre", "0_mid", "1_pre"], acc.Labels);
        Close(rs.Cache.ResidPre(1), acc["1_pre"], 0);
        Close(rs.Cache.ResidMid(0), acc["0_mid"], 0);
    }

    [Theory]
    [InlineData(true, "standard")]
    [InlineData(false, "standard")]
    [InlineData(true, "shortformer")]
    public void DecomposedComponentsSumToTheResidual(bool attnResult, string posEmbed)
    {
        var (_, rs) = ResidualStream.Run(Model(attnResult, posEmbed), Tokens());
        var final = rs.Cache.ResidPost(2);
        var parts = rs.DecomposeResid();
        Assert.Equal(posEmbed == "standard" ? 8 : 7, parts.Count);
        Close(final, parts.Sum());
        Close(rs.Cache.ResidPre(2), rs.DecomposeResid(layer: 2).Sum());
        var full = rs.FullResidDecomposition();
        Assert.Equal(12 + 3 + (posEmbed == "standard" ? 3 : 2), full.Count);
        Assert.Equal("L2H3", full.Labels[11]);
        Close(final, full.Sum());
        var heads = rs.StackHeadResults(inclRemainder: true);
        Assert.Equal("remainder", heads.Labels[^1]);
        Close(final, heads.Sum());
    }

    [Fact]
    public void HeadResultsFromZMatchTheModelsHookResult()
    {
        var tokens = Tokens();
        var (_, with) = ResidualStream.Run(Model(attnResult: true), tokens);
        var (_, without) = ResidualStream.Run(Model(attnResult: false), tokens);
        Assert.False(without.Cache.Contains("blocks.0.attn.hook_result"));
        Close(with.StackHeadResults().Values, without.StackHeadResults().Values);
    }

    [Fact]
    public void AttentionHeadsOfALayerSumToItsOutputLessTheBias()
    {
        var model = Model();
        var (_, rs) = ResidualStream.Run(model, Tokens());
        var heads = rs.StackHeadResults(layer: 2);
        var layer1 = heads.Values.Narrow(0, 4, 4).Sum(0);
        Close(rs.Cache.AttnOut(1) - model.Blocks[1].Attn.b_O!, layer1);
    }

    [Theory]
    [InlineData("LN")]
    [InlineData("none")]
    public void DirectLogitAttributionOfAllComponentsSumsToTheLogitDifference(string norm)
    {
        var model = Model(norm: norm);
        var tokens = Tokens();
        var (logits, rs) = ResidualStream.Run(model, tokens);
        var correct = Tensor.RandInt(0, 11, [2, 7], new Generator(1));
        var wrong = Tensor.RandInt(0, 11, [2, 7], new Generator(2));
        var stack = rs.FullResidDecomposition(applyLn: true);
        var attrs = rs.LogitAttrs(stack, correct, wrong);   // [component, batch, pos]
        Assert.Equal([stack.Count, 2, 7], attrs.ShapeArray);
        var diff = logits.Gather(2, correct.Unsqueeze(2)).Squeeze(2) - logits.Gather(2, wrong.Unsqueeze(2)).Squeeze(2);
        Close(diff, attrs.Sum(0) + rs.LogitBias(correct, wrong));

        // at one position, and for a decomposition into layer outputs instead of heads
        var last = rs.DecomposeResid(applyLn: true, pos: ^1);
        var a = correct.Select(1, 6).Contiguous();
        var b = wrong.Select(1, 6).Contiguous();
        Close(diff.Select(1, 6), rs.LogitAttrs(last, a, b).Sum(0) + rs.LogitBias(a, b));
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        var (_, rs) = ResidualStream.Run(Model(), Tokens());
        Assert.Contains("layer 4", Assert.Throws<ArgumentOutOfRangeException>(() => rs.AccumulatedResid(layer: 4)).Message);
        Assert.Contains("mode", Assert.Throws<ArgumentException>(() => rs.DecomposeResid(mode: "heads")).Message);
        var stack = rs.DecomposeResid(applyLn: true);
        Assert.Contains("id 11", Assert.Throws<ArgumentException>(() => rs.LogitAttrs(stack, Tensor.Full([2, 7], 11, DType.Int32))).Message);
        Assert.Contains("shaped like", Assert.Throws<ArgumentException>(() => rs.LogitAttrs(stack, Tensor.Zeros([2], DType.Int32))).Message);
        Assert.Contains("cached scale", Assert.Throws<ArgumentException>(() => rs.ApplyLnToStack(rs.DecomposeResid(pos: 0))).Message);
    }
}
