namespace Interp.Tests.FixtureOps;

/// <summary>The fixture ops of the neural-network layer: indexing, losses, conv2d and pooling.</summary>
internal static class NnFixtureOps
{
    static (int, int) Pair(FixtureCase c, string key) => c.Ints(key) is [var h, var w] ? (h, w) : (c.Ints(key)[0], c.Ints(key)[0]);

    [FixtureOp("embedding")] static Tensor Embedding(FixtureCase c) => c.In("weight").Embedding(c.In("indices"));
    [FixtureOp("index_select")] static Tensor IndexSelect(FixtureCase c) => c.In("x").IndexSelect(c.Int("dim"), c.In("index"));
    [FixtureOp("gather")] static Tensor Gather(FixtureCase c) => c.In("x").Gather(c.Int("dim"), c.In("index"));
    [FixtureOp("scatter_add")] static Tensor ScatterAdd(FixtureCase c) => c.In("x").ScatterAdd(c.Int("dim"), c.In("index"), c.In("src"));

    [FixtureOp("cross_entropy")]
    static Tensor CrossEntropy(FixtureCase c) => c.In("logits").CrossEntropy(c.In("target"), c.Int("ignore_index"), c.Str("reduction"), c.Double("label_smoothing"));

    [FixtureOp("mse_loss")] static Tensor MseLoss(FixtureCase c) => c.In("input").MseLoss(c.In("target"), c.Str("reduction"));

    [FixtureOp("conv2d")]
    static Tensor Conv2d(FixtureCase c) =>
        c.In("x").Conv2d(c.In("weight"), c.Has("bias") ? c.In("bias") : null, Pair(c, "stride"), Pair(c, "padding"), Pair(c, "dilation"), c.Int("groups"));

    [FixtureOp("max_pool2d")]
    static Tensor MaxPool2d(FixtureCase c) =>
        c.In("x").MaxPool2d(Pair(c, "kernel_size"), c.HasArg("stride") ? Pair(c, "stride") : null, Pair(c, "padding"), c.HasArg("dilation") ? Pair(c, "dilation") : (1, 1));

    [FixtureOp("avg_pool2d")]
    static Tensor AvgPool2d(FixtureCase c) =>
        c.In("x").AvgPool2d(Pair(c, "kernel_size"), c.HasArg("stride") ? Pair(c, "stride") : null, Pair(c, "padding"), c.Bool("count_include_pad"));
}
