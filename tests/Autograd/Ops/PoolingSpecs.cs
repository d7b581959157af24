using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/Pooling.cs: max_pool2d and avg_pool2d (their loop references stay in NnOpProperties).</summary>
[OpSpecs]
public static class PoolingSpecs
{
    /// <summary>
    /// Random kernel, stride and padding (at most half the kernel) on an input just large enough, sometimes channels-last;
    /// no dilation (a dilated window can fall entirely into the padding, −∞ out, where no gradient exists).
    /// </summary>
    static Call RandomPool(TestData d, bool countIncludePad)
    {
        int kh = d.Int(1, 3), kw = d.Int(1, 3);
        int[] pad = [d.Int(0, kh / 2), d.Int(0, kw / 2)];
        int h = Math.Max(1, kh - 2 * pad[0]) + d.Int(0, 3), w = Math.Max(1, kw - 2 * pad[1]) + d.Int(0, 3);
        int[] nchw = [d.Int(1, 2), d.Int(1, 3), h, w];
        var args = Kw(("kernel_size", new[] { kh, kw }), ("stride", new[] { d.Int(1, 3), d.Int(1, 3) }), ("padding", pad));
        if (countIncludePad) args = args.With("count_include_pad", d.Int(0, 1) == 1);
        return On(ConvSpecs.Nchw(nchw, d.Int(0, 1) == 1), args);
    }

    static Kwargs Args(int kernel, int stride, int padding) => Kw(("kernel_size", kernel), ("stride", stride), ("padding", padding));

    public static readonly OpSpec MaxPool2d = new("max_pool2d", [Input.X],
        a => a[0].MaxPool2d(a.Kw.Pair("kernel_size", 1), a.Kw.Has("stride") ? a.Kw.Pair("stride", 1) : null, a.Kw.Pair("padding", 0), a.Kw.Pair("dilation", 1)))
    {
        Torch = "torch.nn.functional.max_pool2d", FloatOnly = false, Sample = d => RandomPool(d, false),
        Fixtures = [new("max_pool2d_k2", On(new Leaf(2, 3, 6, 6), Args(2, 2, 0))), new("max_pool2d_k3s2p1", On(new Leaf(2, 2, 7, 7), Args(3, 2, 1)))],
    };

    public static readonly OpSpec AvgPool2d = new("avg_pool2d", [Input.X],
        a => a[0].AvgPool2d(a.Kw.Pair("kernel_size", 1), a.Kw.Has("stride") ? a.Kw.Pair("stride", 1) : null, a.Kw.Pair("padding", 0), a.Bool("count_include_pad", true)))
    {
        Torch = "torch.nn.functional.avg_pool2d", Sample = d => RandomPool(d, true),
        Fixtures =
        [
            new("avg_pool2d_k2", On(new Leaf(2, 3, 6, 6), Args(2, 2, 0).With("count_include_pad", true))),
            new("avg_pool2d_k3s2p1", On(new Leaf(2, 2, 7, 7), Args(3, 2, 1).With("count_include_pad", true))),
        ],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("max_pool2d of a rank-2 input", Arg, () => F(4, 4).MaxPool2d(2), "max_pool2d", "[4, 4]"),
        new("max_pool2d with a kernel larger than the input", Arg, () => F(1, 1, 2, 2).MaxPool2d(3), "max_pool2d", "[1, 1, 2, 2]", "3"),
        new("max_pool2d with padding over half the kernel", Arg, () => F(1, 1, 4, 4).MaxPool2d(2, padding: 2), "max_pool2d", "padding"),
        new("avg_pool2d with stride 0", Arg, () => F(1, 1, 4, 4).AvgPool2d(2, stride: 0), "avg_pool2d", "stride", "0"),
    ];
}
