using FsCheck.Xunit;
using Interp.Autograd;
using Interp.Backends;
using Interp.Testing;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// The backend's conv2d kernel and its two gradients (IBackend.Conv2d, Conv2dInputGrad, Conv2dWeightGrad; on the CPU an
/// image at a time) against their definitions composed from Im2Col, MatMul and Col2Im, over random geometries, small and
/// large batches (images spread over the workers or one at a time), 1x1 windows (the image is its own columns) and
/// images cut into bands of output rows; their second derivatives; their shape errors.
/// </summary>
public class Conv2dKernelTests
{
    internal sealed record Geometry(int N, int C, int O, int H, int W, Window2d Win);

    static Geometry Random(TestData d)
    {
        int n = new[] { 1, 2, 5, 9 }[d.Int(0, 3)], c = d.Int(1, 4), o = d.Int(1, 5), kh = d.Int(1, 3), kw = d.Int(1, 3);
        int dh = d.Int(1, 2), dw = d.Int(1, 2), ph = d.Int(0, 2), pw = d.Int(0, 2), sh = d.Int(1, 3), sw = d.Int(1, 3);
        if (d.Int(0, 3) == 0) (kh, kw, sh, sw, ph, pw) = (1, 1, 1, 1, 0, 0);   // the direct 1x1 case
        int h = Math.Max(1, dh * (kh - 1) + 1 - 2 * ph) + d.Int(0, 6);
        int w = Math.Max(1, dw * (kw - 1) + 1 - 2 * pw) + d.Int(0, 6);
        return new(n, c, o, h, w, new Window2d(c, h, w, kh, kw, sh, sw, ph, pw, dh, dw));
    }

    static Tensor Reference(Geometry k, Tensor x, Tensor weight, Tensor? bias)
    {
        var cols = x.Backend.Im2Col(x, k.Win);
        var y = weight.Reshape(k.O, -1).MatMul(cols);
        if (bias is not null) y += bias.Reshape(k.O, 1);
        return y.Reshape(k.N, k.O, k.Win.OH, k.Win.OW);
    }

    static void Close(Tensor expect, Tensor got, double tol)
    {
        Assert.Equal(expect.ShapeArray, got.ShapeArray);
        var (e, g) = (expect.ToDoubleArray(), got.ToDoubleArray());
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - g[i]) <= tol * (1 + Math.Abs(e[i])), $"element {i}: {g[i]} vs {e[i]}");
    }

    /// <summary>Every element of got within tol · (1 + the largest |expect|) of expect.</summary>
    static void CloseToScale(Tensor expect, Tensor got, double tol)
    {
        Assert.Equal(expect.ShapeArray, got.ShapeArray);
        var (e, g) = (expect.ToDoubleArray(), got.ToDoubleArray());
        double bound = tol * (1 + e.Max(Math.Abs));
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - g[i]) <= bound, $"element {i}: {g[i]} vs {e[i]} (bound {bound:E2})");
    }

    [Property(MaxTest = 40)]
    public void CpuKernelsEqualTheirComposedDefinitions(int seed)
    {
        var d = new TestData(seed);
        var k = Random(d);
        long budget = CpuBackend.ColumnBudget;
        if (d.Int(0, 1) == 1) CpuBackend.ColumnBudget = 1;   // one output row per band
        try
        {
            foreach (var dtype in new[] { DType.Float64, DType.Float32 })
            {
                double tol = dtype == DType.Float64 ? 1e-12 : 1e-4;
                var x = d.Tensor([k.N, k.C, k.H, k.W]).To(dtype);
                var weight = d.Tensor([k.O, k.C, k.Win.KH, k.Win.KW]).To(dtype);
                var bias = d.Tensor([k.O]).To(dtype);
                var g = d.Tensor([k.N, k.O, k.Win.OH, k.Win.OW]).To(dtype);
                var be = x.Backend;
                Close(Reference(k, x, weight, bias), be.Conv2d(x, weight, bias, k.Win), tol);
                Close(Reference(k, x, weight, null), be.Conv2d(x, weight, null, k.Win), tol);
                var wm = weight.Reshape(k.O, -1);
                var gm = g.Reshape(k.N, k.O, -1);
                Close(be.Col2Im(wm.MT.MatMul(gm), k.Win), be.Conv2dInputGrad(g, weight, k.Win), tol);
                var cols = be.Im2Col(x, k.Win);
                Close(gm.MatMul(cols.MT).Sum(0).Reshape(weight.ShapeArray), be.Conv2dWeightGrad(x, g, k.Win), tol);
                // a permuted (channels-last) input and gradient reach the kernels as they are
                var xp = x.Permute(0, 2, 3, 1).Contiguous().Permute(0, 3, 1, 2);
                var gp = g.Permute(0, 2, 3, 1).Contiguous().Permute(0, 3, 1, 2);
                Close(be.Conv2dWeightGrad(x, g, k.Win), be.Conv2dWeightGrad(xp, gp, k.Win), tol);
                Close(be.Conv2dInputGrad(g, weight, k.Win), be.Conv2dInputGrad(gp, weight, k.Win), tol);
            }
        }
        finally { CpuBackend.ColumnBudget = budget; }
    }

    /// <summary>A 3×3, stride-1, undilated window with padding 0–2: the geometry the Winograd path takes.</summary>
    internal static Geometry RandomThreeByThree(TestData d)
    {
        int n = new[] { 1, 2, 5, 9 }[d.Int(0, 3)], c = d.Int(1, 5), o = d.Int(1, 5), ph = d.Int(0, 2), pw = d.Int(0, 2);
        int h = Math.Max(1, 3 - 2 * ph) + d.Int(0, 9), w = Math.Max(1, 3 - 2 * pw) + d.Int(0, 9);
        return new(n, c, o, h, w, new Window2d(c, h, w, 3, 3, 1, 1, ph, pw, 1, 1));
    }

    /// <summary>body on the Winograd path, its transforms in vectors of laneBits (0: the backend's choice).</summary>
    internal static T WithWinograd<T>(Func<T> body, int laneBits = 0) => WithConvPaths(body, laneBits, winogradMinChannels: 1);

    /// <summary>body with the conv paths' thresholds (those not given kept) and vector width set, all restored after.</summary>
    static T WithConvPaths<T>(Func<T> body, int laneBits, int? winogradMinChannels = null, int? directMaxTaps = null)
    {
        var saved = (CpuBackend.WinogradMinChannels, CpuBackend.DirectMaxTaps, CpuBackend.ConvLaneBits);
        (CpuBackend.WinogradMinChannels, CpuBackend.DirectMaxTaps, CpuBackend.ConvLaneBits) =
            (winogradMinChannels ?? saved.WinogradMinChannels, directMaxTaps ?? saved.DirectMaxTaps, laneBits);
        try { return body(); }
        finally { (CpuBackend.WinogradMinChannels, CpuBackend.DirectMaxTaps, CpuBackend.ConvLaneBits) = saved; }
    }

    // Winograd's F(4×4, 3×3) (conv2d and its two gradients for 3×3 stride-1 windows) against the im2col definitions:
    // sizes that are and are not multiples of the 4×4 tile, every padding it takes, both dtypes, the transforms in
    // 256-bit and in 512-bit vectors (Vector512 runs in software where AVX-512 is missing)
    [Property(MaxTest = 40)]
    public void WinogradKernelsEqualTheirComposedDefinitions(int seed)
    {
        var d = new TestData(seed);
        AssertKernelsMatchDefinitions(d, RandomThreeByThree(d), WithWinograd, inputGrad: true);
    }

    /// <summary>
    /// conv2d (with and without bias), its weight gradient and, with <paramref name="inputGrad"/>, its input gradient, each
    /// run through <paramref name="on"/> (a path and a vector width) in both dtypes, against the im2col definitions in
    /// float64 on the same (rounded) inputs. Errors are measured against the result's scale: a weight gradient sums
    /// hundreds of products, and one that cancels to a small value keeps the float32 rounding of the large terms.
    /// </summary>
    internal static void AssertKernelsMatchDefinitions(TestData d, Geometry k, Func<Func<Tensor>, int, Tensor> on, bool inputGrad)
    {
        foreach (var (dtype, bits) in new[] { (DType.Float64, 256), (DType.Float64, 512), (DType.Float32, 256), (DType.Float32, 512) })
        {
            double tol = dtype == DType.Float64 ? 1e-12 : 3e-5;
            var x = d.Tensor([k.N, k.C, k.H, k.W]).To(dtype);
            var weight = d.Tensor([k.O, k.C, k.Win.KH, k.Win.KW]).To(dtype);
            var bias = d.Tensor([k.O]).To(dtype);
            var g = d.Tensor([k.N, k.O, k.Win.OH, k.Win.OW]).To(dtype);
            var (x64, w64, b64, g64) = (x.To(DType.Float64), weight.To(DType.Float64), bias.To(DType.Float64), g.To(DType.Float64));
            var be = x.Backend;
            CloseToScale(Reference(k, x64, w64, b64), on(() => be.Conv2d(x, weight, bias, k.Win), bits), tol);
            CloseToScale(Reference(k, x64, w64, null), on(() => be.Conv2d(x, weight, null, k.Win), bits), tol);
            if (inputGrad) CloseToScale(InputGradReference(k, w64, g64), on(() => be.Conv2dInputGrad(g, weight, k.Win), bits), tol);
            CloseToScale(WeightGradReference(k, x64, g64), on(() => be.Conv2dWeightGrad(x, g, k.Win), bits), tol);
            if (!inputGrad) continue;
            // both gradients in one call (on the Winograd path, g moved channels last once for both)
            CloseToScale(InputGradReference(k, w64, g64), on(() => be.Conv2dGrads(x, weight, g, k.Win).InputGrad, bits), tol);
            CloseToScale(WeightGradReference(k, x64, g64), on(() => be.Conv2dGrads(x, weight, g, k.Win).WeightGrad, bits), tol);
        }
    }

    /// <summary>The input gradient by its definition: col2im of Wᵀ·g.</summary>
    static Tensor InputGradReference(Geometry k, Tensor weight, Tensor g) =>
        weight.Backend.Col2Im(weight.Reshape(k.O, -1).MT.MatMul(g.Reshape(k.N, k.O, -1)), k.Win);

    /// <summary>The weight gradient by its definition: g·im2col(x)ᵀ summed over the batch.</summary>
    static Tensor WeightGradReference(Geometry k, Tensor x, Tensor g) =>
        g.Reshape(k.N, k.O, -1).MatMul(x.Backend.Im2Col(x, k.Win).MT).Sum(0).Reshape(k.O, k.C, k.Win.KH, k.Win.KW);

    /// <summary>A stride-1, undilated window with few taps (C·KH·KW up to 5 × 5): the geometry the direct path takes.</summary>
    static Geometry RandomFewTaps(TestData d)
    {
        int n = new[] { 1, 2, 5, 9 }[d.Int(0, 3)], c = d.Int(1, 3), o = d.Int(1, 6), kh = d.Int(1, 5), kw = d.Int(kh == 1 ? 2 : 1, 5);
        if (c * kh * kw > 25) c = 1;
        int ph = d.Int(0, Math.Min(2, kh - 1)), pw = d.Int(0, Math.Min(2, kw - 1));
        int h = Math.Max(1, kh - 2 * ph) + d.Int(0, 20), w = Math.Max(1, kw - 2 * pw) + d.Int(0, 20);
        return new(n, c, o, h, w, new Window2d(c, h, w, kh, kw, 1, 1, ph, pw, 1, 1));
    }

    /// <summary>body on the direct path for up to 25 taps, in vectors of laneBits.</summary>
    static T WithDirect<T>(Func<T> body, int laneBits) => WithConvPaths(body, laneBits, directMaxTaps: 25);

    // the direct conv (stride 1, few taps: a first conv on grey images) and its weight gradient against the im2col
    // definitions: rows narrower and wider than a vector, every padding the window allows, 256- and 512-bit vectors
    [Property(MaxTest = 40)]
    public void DirectKernelsEqualTheirComposedDefinitions(int seed)
    {
        var d = new TestData(seed);
        AssertKernelsMatchDefinitions(d, RandomFewTaps(d), WithDirect, inputGrad: false);
    }

    [Property(MaxTest = 10)]
    public void DirectGradientsPassFiniteDifferences(int seed)
    {
        var d = new TestData(seed);
        AssertGradientsPassFiniteDifferences(d, RandomFewTaps(d) with { N = 2 }, WithDirect, inputGrad: false);
    }

    // at the side-by-side CNN's first conv (1 → 32 channels, 28×28, batch 64: several images to each worker) float32
    // stays within 1e-5 of the output's scale of the float64 im2col result
    [Fact]
    public void DirectInFloat32StaysCloseAtTheCnnsFirstConv()
    {
        var k = new Geometry(64, 1, 32, 28, 28, new Window2d(1, 28, 28, 3, 3, 1, 1, 0, 0, 1, 1));
        var (forward, _, weightGrad) = Float32ScaledErrors(new TestData(29), k, inputGrad: false);
        Assert.True(forward < 1e-5 && weightGrad < 1e-5, $"conv2d {forward:E2}, weight gradient {weightGrad:E2} of the output's scale");
    }

    /// <summary>
    /// Float32 conv2d and its gradients on random float64 data, each as its largest error against the float64 im2col
    /// definition over that result's scale (the input gradient only when asked, else NaN).
    /// </summary>
    static (double Forward, double InputGrad, double WeightGrad) Float32ScaledErrors(TestData d, Geometry k, bool inputGrad)
    {
        var (x, weight, bias) = (d.Tensor([k.N, k.C, k.H, k.W]), d.Tensor([k.O, k.C, 3, 3]), d.Tensor([k.O]));
        var g = d.Tensor([k.N, k.O, k.Win.OH, k.Win.OW]);
        var be = x.Backend;
        var (x32, w32, g32) = (x.To(DType.Float32), weight.To(DType.Float32), g.To(DType.Float32));
        double forward = ScaledError(Reference(k, x, weight, bias), be.Conv2d(x32, w32, bias.To(DType.Float32), k.Win));
        double input = inputGrad ? ScaledError(InputGradReference(k, weight, g), be.Conv2dInputGrad(g32, w32, k.Win)) : double.NaN;
        double weightGrad = ScaledError(WeightGradReference(k, x, g), be.Conv2dWeightGrad(x32, g32, k.Win));
        return (forward, input, weightGrad);
    }

    /// <summary>The largest error of got against expect, over the largest |expect|.</summary>
    static double ScaledError(Tensor expect, Tensor got)
    {
        var (e, g) = (expect.ToDoubleArray(), got.ToDoubleArray());
        return e.Zip(g, (a, b) => Math.Abs(a - b)).Max() / e.Max(Math.Abs);
    }

    // at the side-by-side CNN's channel counts (the default threshold takes the Winograd path) float32 stays within
    // 1e-5 of the output's scale of the float64 im2col result: the transforms' constants, up to 25 and down to 1/24,
    // cost some digits but not many. 13 images of 26×25 make several chunks of images, spread over the workers.
    [Fact]
    public void WinogradInFloat32StaysCloseAtRealChannelCounts()
    {
        var k = new Geometry(13, 32, 64, 26, 25, new Window2d(32, 26, 25, 3, 3, 1, 1, 0, 1, 1, 1));
        var (forward, inputGrad, weightGrad) = Float32ScaledErrors(new TestData(17), k, inputGrad: true);
        Assert.True(forward < 1e-5 && inputGrad < 1e-5 && weightGrad < 1e-5,
            $"conv2d {forward:E2}, input gradient {inputGrad:E2}, weight gradient {weightGrad:E2} of the output's scale");
    }

    // both gradients in one call at the side-by-side CNN's channel counts, with padding 0 and 1: the images in several
    // chunks spread over the workers, each image's g moved once into the input gradient's field, which the weight
    // gradient reads too; the same values as the two gradients made apart
    [Fact]
    public void WinogradGradientsTogetherEqualThemApart()
    {
        var d = new TestData(23);
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var k = new Geometry(13, 32, 64, 26, 25, new Window2d(32, 26, 25, 3, 3, 1, 1, 0, 1, 1, 1));
            var (x, weight) = (d.Tensor([k.N, k.C, k.H, k.W]).To(dtype), d.Tensor([k.O, k.C, 3, 3]).To(dtype));
            var g = d.Tensor([k.N, k.O, k.Win.OH, k.Win.OW]).To(dtype);
            var be = x.Backend;
            var (dx, dw) = be.Conv2dGrads(x, weight, g, k.Win);
            double tol = dtype == DType.Float64 ? 1e-12 : 1e-5;
            CloseToScale(be.Conv2dInputGrad(g, weight, k.Win), dx, tol);
            CloseToScale(be.Conv2dWeightGrad(x, g, k.Win), dw, tol);
        }
    }

    [Property(MaxTest = 10)]
    public void WinogradGradientsPassFiniteDifferences(int seed)
    {
        var d = new TestData(seed);
        AssertGradientsPassFiniteDifferences(d, RandomThreeByThree(d) with { N = 2 }, WithWinograd, inputGrad: true);
    }

    /// <summary>
    /// conv2d's gradients and, through <see cref="GradOf"/>, the weight gradient's (and with <paramref name="inputGrad"/>
    /// the input gradient's) own derivatives against finite differences in float64, run through <paramref name="on"/>
    /// in vectors of 256 or 512 bits.
    /// </summary>
    static void AssertGradientsPassFiniteDifferences(TestData d, Geometry k, Func<Func<int>, int, int> on, bool inputGrad)
    {
        (int, int) p = (k.Win.PH, k.Win.PW);
        var (x, w, b) = (d.Tensor([k.N, k.C, k.H, k.W]), d.Tensor([k.O, k.C, k.Win.KH, k.Win.KW]), d.Tensor([k.O]));
        var g = d.Tensor([k.N, k.O, k.Win.OH, k.Win.OW]);
        on(() =>
        {
            GradCheck.Assert(xs => xs[0].Conv2d(xs[1], xs[2], (1, 1), p, (1, 1)), [x, w, b]);
            if (inputGrad) GradCheck.Assert(xs => GradOf(x, v => v.Conv2d(xs[1], null, (1, 1), p, (1, 1)), xs[0], xs[1]), [g, w]);
            GradCheck.Assert(xs => GradOf(w, v => xs[1].Conv2d(v, null, (1, 1), p, (1, 1)), xs[0], xs[1]), [g, x]);
            return 0;
        }, d.Int(0, 1) == 0 ? 256 : 512);
    }

    // the gradient of v ↦ ⟨op(v), g⟩ at input, with createGraph, so GradCheck sees the second derivative
    static Tensor GradOf(Tensor input, Func<Tensor, Tensor> op, Tensor g, Tensor other)
    {
        using var _ = GradMode.EnableGrad();   // GradCheck's finite differences call this under NoGrad
        var leaf = input.Detach().Clone().RequiresGrad_();
        op(leaf).Backward(g, createGraph: true);
        other.Grad = null;   // the inner backward reached the other operand too: not the gradient checked
        return leaf.Grad!;
    }

    [Property(MaxTest = 10)]
    public void SecondDerivativesThroughBothGradients(int seed)
    {
        var d = new TestData(seed);
        var k = Random(d) with { N = 2 };
        var win = k.Win;
        (int, int) s = (win.SH, win.SW), p = (win.PH, win.PW), dil = (win.DH, win.DW);
        var x = d.Tensor([k.N, k.C, k.H, k.W]);
        var w = d.Tensor([k.O, k.C, win.KH, win.KW]);
        var g = d.Tensor([k.N, k.O, win.OH, win.OW]);
        // dW as a function of (g, x), and dx as a function of (g, w)
        GradCheck.Assert(xs => GradOf(w, v => xs[1].Conv2d(v, null, s, p, dil), xs[0], xs[1]), [g, x]);
        GradCheck.Assert(xs => GradOf(x, v => v.Conv2d(xs[1], null, s, p, dil), xs[0], xs[1]), [g, w]);
    }

    [Fact]
    public void KernelsNameThemselvesAndTheShapesOnABadCall()
    {
        var be = Device.Cpu.Backend;
        var win = new Window2d(3, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1);
        var x = Tensor.Zeros([2, 3, 5, 5]);
        var e = Assert.Throws<ArgumentException>(() => be.Conv2dWeightGrad(x, Tensor.Zeros([2, 4, 2, 3]), win));
        Assert.Contains("conv2d_weight_grad", e.Message);
        Assert.Contains("[2, 4, 2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => be.Conv2dInputGrad(Tensor.Zeros([2, 4, 3, 3]), Tensor.Zeros([4, 2, 3, 3]), win));
        Assert.Contains("conv2d_input_grad", e.Message);
        Assert.Contains("[4, 2, 3, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => be.Conv2dGrads(x, Tensor.Zeros([4, 3, 3, 3]), Tensor.Zeros([2, 4, 3, 2]), win));
        Assert.Contains("conv2d_grads", e.Message);
        Assert.Contains("[2, 4, 3, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => be.Conv2dGrads(x, Tensor.Zeros([4, 3, 3, 3], DType.Float64), Tensor.Zeros([2, 4, 3, 3]), win));
        Assert.Contains("conv2d_grads", e.Message);
        Assert.Contains("float64", e.Message);
        e = Assert.Throws<ArgumentException>(() => be.Conv2d(x, Tensor.Zeros([4, 3, 3, 3]), Tensor.Zeros([5]), win));
        Assert.Contains("conv2d", e.Message);
        Assert.Contains("[5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => be.Conv2d(Tensor.Zeros([2, 3, 5, 5], DType.Int32), Tensor.Zeros([4, 3, 3, 3], DType.Int32), null, win));
        Assert.Contains("int32", e.Message);
    }
}
