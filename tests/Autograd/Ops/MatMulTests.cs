using FsCheck.Xunit;
using Xunit;

namespace Interp.Tests.Autograd.Ops;

/// <summary>matmul's values beyond the table's gradient checks (MatMulSpecs.cs): the bias written by the GEMM.</summary>
public class MatMulTests
{
    [Property(MaxTest = 25)]
    public void ABiasInTheGemmGivesThePlainSum(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 4), k = d.Int(1, 4), n = d.Int(1, 4);
        var batchA = d.Shape(0, 2, 3);
        var batchB = d.Int(0, 1) == 1 ? [] : d.BroadcastPartner(batchA);
        bool transposed = d.Int(0, 1) == 1;
        var a = transposed ? d.Tensor([.. batchA, k, m]).MT : d.Tensor([.. batchA, m, k]);
        var (b, bias) = (d.Tensor([.. batchB, k, n]), d.Tensor([n]));
        var (fused, plain) = (a.MatMul(b, bias).ToDoubleArray(), (a.MatMul(b) + bias).ToDoubleArray());
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], fused[i], 1e-12);
    }

    [Property(MaxTest = 25)]
    public void ReluInTheGemmGivesTheComposedOpsAndTheirGradients(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 5), k = d.Int(1, 5), n = d.Int(1, 5);
        var batchA = d.Shape(0, 2, 3);
        bool transposed = d.Int(0, 1) == 1;
        var a = (transposed ? d.Tensor([.. batchA, k, m]).MT : d.Tensor([.. batchA, m, k])).Detach().RequiresGrad_();
        var (b, bias) = (d.Tensor([k, n]).RequiresGrad_(), d.Tensor([n]).RequiresGrad_());
        var upstream = d.Tensor([.. batchA, m, n]);
        var fused = a.MatMulRelu(b, bias);
        (fused * upstream).Sum().Backward();
        var fusedGrads = new[] { a.Grad!, b.Grad!, bias.Grad! }.Select(g => g.ToDoubleArray()).ToArray();
        (a.Grad, b.Grad, bias.Grad) = (null, null, null);
        var plain = (a.MatMul(b) + bias).Relu();
        (plain * upstream).Sum().Backward();
        Close(plain.ToDoubleArray(), fused.ToDoubleArray());
        foreach (var (got, want) in fusedGrads.Zip(new[] { a.Grad!, b.Grad!, bias.Grad! }))
            Close(want.ToDoubleArray(), got);
    }

    static void Close(double[] want, double[] got)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-12);
    }

    [Fact]
    public void TheFusedReluBackwardMatchesMulSignAndAColumnSum()
    {
        // 700 rows: three blocks of the kernel's 256, run in parallel; zeros, a NaN and an infinity in y
        var gen = new Generator(5);
        var g = Tensor.Randn([700, 37], gen);
        var y = Tensor.Randn([700, 37], gen).Relu();
        var yv = y.ToDoubleArray();
        yv[5] = double.NaN; yv[40] = double.PositiveInfinity;
        y = Tensor.FromArray(yv.Select(v => (float)v).ToArray(), [700, 37]);
        var (d, biasGrad) = g.Backend.ReluBackwardWithBiasGrad(g, y);
        var want = g.Backend.Binary(Backends.BinaryOp.MulSign, g, y);
        Assert.Equal(want.ToDoubleArray(), d.ToDoubleArray());
        var wantSum = want.To(DType.Float64).Sum(0).ToDoubleArray();
        var gotSum = biasGrad.ToDoubleArray();
        for (int j = 0; j < wantSum.Length; j++)
            if (double.IsNaN(wantSum[j])) Assert.True(double.IsNaN(gotSum[j]));
            else Assert.Equal(wantSum[j], gotSum[j], 1e-4);
    }

    [Fact]
    public void AnEmptyInnerDimGivesTheBias()
    {
        var bias = Tensor.FromArray([1.5, -2.0, 3.0]);
        var y = Tensor.Zeros([2, 0], DType.Float64).MatMul(Tensor.Zeros([0, 3], DType.Float64), bias);
        Assert.Equal(bias.Expand(2, 3).ToDoubleArray(), y.ToDoubleArray());
    }
}
