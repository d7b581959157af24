namespace Interp.Tests.FixtureOps;

/// <summary>The fixture ops of softmax, causal attention, layer norm and the statistics (var, std, norm, logsumexp).</summary>
internal static class NormFixtureOps
{
    [FixtureOp("softmax")] static Tensor Softmax(FixtureCase c) => c.In("x").Softmax(c.Int("dim"));
    [FixtureOp("log_softmax")] static Tensor LogSoftmax(FixtureCase c) => c.In("x").LogSoftmax(c.Int("dim"));
    [FixtureOp("causal_attention")]
    static Tensor CausalAttention(FixtureCase c) => Tensor.CausalAttention(c.In("q"), c.In("k"), c.In("v"), c.Double("scale"), c.Int("offset"));

    [FixtureOp("layer_norm")]
    static Tensor LayerNorm(FixtureCase c) => c.In("x").LayerNorm(c.Ints("normalized_shape"),
        c.Has("weight") ? c.In("weight") : null, c.Has("bias") ? c.In("bias") : null, c.HasArg("eps") ? c.Double("eps") : 1e-5);

    [FixtureOp("var")] static Tensor Var(FixtureCase c) => c.In("x").Var(Dims(c), KeepDim(c), Correction(c));
    [FixtureOp("std")] static Tensor Std(FixtureCase c) => c.In("x").Std(Dims(c), KeepDim(c), Correction(c));
    [FixtureOp("norm")] static Tensor Norm(FixtureCase c) => c.In("x").Norm(c.HasArg("p") ? c.Double("p") : 2, Dims(c), KeepDim(c));
    [FixtureOp("logsumexp")] static Tensor LogSumExp(FixtureCase c) => c.In("x").LogSumExp(c.Ints("dim"), KeepDim(c));

    static int[]? Dims(FixtureCase c) => c.HasArg("dim") ? c.Ints("dim") : null;
    static bool KeepDim(FixtureCase c) => c.HasArg("keepdim") && c.Bool("keepdim");
    static int Correction(FixtureCase c) => c.HasArg("correction") ? c.Int("correction") : c.HasArg("unbiased") && !c.Bool("unbiased") ? 0 : 1;
}
