using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The spec of src/Autograd/Ops/Conv.cs: conv2d with strides, padding, dilation, groups, with and without bias.</summary>
[OpSpecs]
public static class ConvSpecs
{
    /// <summary>NCHW stored as NHWC and permuted back when asked, so the op sees a channels-last (non-contiguous) input.</summary>
    public static Leaf Nchw(int[] nchw, bool channelsLast) =>
        channelsLast ? new Leaf(nchw[0], nchw[2], nchw[3], nchw[1]).Permuted(0, 3, 1, 2) : new Leaf(nchw);

    /// <summary>Random sizes, groups 1–3, stride, padding and dilation, and an input just large enough for one output.</summary>
    static Call RandomConv(TestData d)
    {
        int groups = d.Int(1, 3);
        int n = d.Int(1, 2), c = d.Int(1, 2) * groups, o = d.Int(1, 2) * groups, kh = d.Int(1, 3), kw = d.Int(1, 3);
        int[] dil = [d.Int(1, 2), d.Int(1, 2)], pad = [d.Int(0, 2), d.Int(0, 2)], stride = [d.Int(1, 3), d.Int(1, 3)];
        int h = Math.Max(1, dil[0] * (kh - 1) + 1 - 2 * pad[0]) + d.Int(0, 3);
        int w = Math.Max(1, dil[1] * (kw - 1) + 1 - 2 * pad[1]) + d.Int(0, 3);
        Leaf? bias = d.Int(0, 1) == 1 ? new Leaf(o) : null;
        return On([Nchw([n, c, h, w], d.Int(0, 1) == 1), new Leaf(o, c / groups, kh, kw), bias],
            Kw(("stride", stride), ("padding", pad), ("dilation", dil), ("groups", groups)));
    }

    static Kwargs Args(object stride, int padding, int dilation, int groups) =>
        Kw(("stride", stride), ("padding", padding), ("dilation", dilation), ("groups", groups));

    public static readonly OpSpec Conv2d = new("conv2d", [Input.X, new("weight", Domain.Any), new("bias", Domain.Any, Keyword: true)],
        a => a[0].Conv2d(a[1], a.Optional("bias"), a.Kw.Pair("stride", 1), a.Kw.Pair("padding", 0), a.Kw.Pair("dilation", 1), a.Kw.Int("groups", 1)))
    {
        Torch = "torch.nn.functional.conv2d", Sample = RandomConv,
        Fixtures =
        [
            new("conv2d", On([new Leaf(2, 3, 6, 6), new Leaf(4, 3, 3, 3), new Leaf(4)], Args(1, 0, 1, 1))),
            new("conv2d_s2p1", On([new Leaf(2, 3, 7, 7), new Leaf(4, 3, 3, 3), new Leaf(4)], Args(2, 1, 1, 1))),
            new("conv2d_dil2_nobias", On([new Leaf(1, 2, 7, 7), new Leaf(3, 2, 3, 3), null], Args(1, 1, 2, 1))),
            new("conv2d_f32", On([new Leaf(1, 1, 5, 5), new Leaf(2, 1, 3, 3), new Leaf(2)], Args(1, 1, 1, 1)), DType.Float32),
            new("conv2d_groups2", On([new Leaf(2, 4, 6, 5), new Leaf(6, 2, 3, 2), new Leaf(6)], Args(new[] { 2, 1 }, 1, 1, 2))),
            new("conv2d_depthwise", On([new Leaf(1, 3, 6, 6), new Leaf(3, 1, 3, 3), null], Args(1, 1, 2, 3))),
        ],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("conv2d of a rank-3 input", Arg, () => F(1, 3, 5).Conv2d(F(2, 1, 3, 3)), "conv2d", "[1, 3, 5]"),
        new("conv2d with mismatched channels", Arg, () => F(1, 3, 5, 5).Conv2d(F(2, 4, 3, 3)), "conv2d", "[1, 3, 5, 5]", "[2, 4, 3, 3]"),
        new("conv2d with a kernel larger than the input", Arg, () => F(1, 1, 2, 2).Conv2d(F(1, 1, 3, 3)), "conv2d", "[1, 1, 2, 2]", "3x3"),
        new("conv2d with stride 0", Arg, () => F(1, 1, 4, 4).Conv2d(F(1, 1, 3, 3), stride: 0), "conv2d", "stride", "0"),
        new("conv2d with groups that do not divide the channels", Arg, () => F(1, 3, 4, 4).Conv2d(F(2, 1, 3, 3), groups: 2), "conv2d", "groups 2", "[1, 3, 4, 4]"),
        new("conv2d with a weight of the wrong group width", Arg, () => F(1, 4, 4, 4).Conv2d(F(2, 1, 3, 3), groups: 2), "conv2d", "[1, 4, 4, 4]", "[2, 1, 3, 3]"),
        new("conv2d with a negative padding", Arg, () => F(1, 1, 4, 4).Conv2d(F(1, 1, 3, 3), padding: -1), "conv2d", "padding", "-1"),
        new("conv2d with a bias of the wrong size", Arg, () => F(1, 1, 4, 4).Conv2d(F(2, 1, 3, 3), F(3)), "conv2d", "bias", "[3]"),
        new("conv2d of float32 and float64", Arg, () => F32(1, 1, 4, 4).Conv2d(F(1, 1, 3, 3)), "conv2d", "float32", "float64"),
    ];
}
