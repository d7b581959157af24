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

    [Fact]
    public void AnEmptyInnerDimGivesTheBias()
    {
        var bias = Tensor.FromArray([1.5, -2.0, 3.0]);
        var y = Tensor.Zeros([2, 0], DType.Float64).MatMul(Tensor.Zeros([0, 3], DType.Float64), bias);
        Assert.Equal(bias.Expand(2, 3).ToDoubleArray(), y.ToDoubleArray());
    }
}
