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
    sealed record Geometry(int N, int C, int O, int H, int W, Window2d Win);

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
        e = Assert.Throws<ArgumentException>(() => be.Conv2d(x, Tensor.Zeros([4, 3, 3, 3]), Tensor.Zeros([5]), win));
        Assert.Contains("conv2d", e.Message);
        Assert.Contains("[5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => be.Conv2d(Tensor.Zeros([2, 3, 5, 5], DType.Int32), Tensor.Zeros([4, 3, 3, 3], DType.Int32), null, win));
        Assert.Contains("int32", e.Message);
    }
}
