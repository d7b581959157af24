using Interp.Cpu;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>Edge cases where PyTorch's numerics are specific: gradients at ties, pow at 0, erf near its branch points.</summary>
public class PyTorchParityTests
{
    static double[] Grad(Func<Tensor, Tensor> f, double[] values, int[] shape)
    {
        var x = Tensor.FromArray(values, shape, requiresGrad: true);
        f(x).Sum().Backward();
        return x.Grad!.ToDoubleArray();
    }

    [Fact]
    public void MaxAlongADimGivesTheGradientToTheFirstTiedIndexLikeTorchMax()
    {
        double[] v = [1, 3, 3, 2, 2, 0];
        Assert.Equal([0.0, 1, 0, 1, 0, 0], Grad(x => x.Max(1), v, [2, 3]));
        Assert.Equal([1.0, 0, 0, 1, 0, 0], Grad(x => x.Min(-1, keepDim: true), [1, 3, 3, 0, 2, 0], [2, 3]));
    }

    [Fact]
    public void AmaxAndMaxOverAllShareTheGradientEvenlyAmongTies()
    {
        double[] v = [1, 3, 3, 2, 2, 0];
        Assert.Equal([0.0, 0.5, 0.5, 0.5, 0.5, 0], Grad(x => x.Max([1]), v, [2, 3]));
        Assert.Equal([0.0, 0.5, 0.5, 0, 0, 0], Grad(x => x.Max(), v, [2, 3]));
    }

    [Fact]
    public void PowGradientsAreZeroWherePyTorchDefinesThemSo()
    {
        // d/dx x^0 = 0 everywhere, also at x = 0 (not 0·0^(−1) = NaN)
        Assert.Equal([0.0, 0], Grad(x => x.Pow(0.0), [0.0, 2], [2]));
        var a = Tensor.FromArray([0.0, 0, 2], requiresGrad: true);
        var b = Tensor.FromArray([2.0, 0, 0], requiresGrad: true);
        a.Pow(b).Sum().Backward();
        Assert.Equal([0.0, 0, 0], a.Grad!.ToDoubleArray());                 // b·a^(b−1), masked where b = 0
        Assert.Equal([0.0, 0, Math.Log(2)], b.Grad!.ToDoubleArray());       // a^b·ln a, 0 where a = 0 and b ≥ 0
    }

    [Fact]
    public void ReductionsOfA0dTensorAlongDim0ReturnItLikePyTorch()
    {
        var x = Tensor.Scalar(2.5, DType.Float64, requiresGrad: true);
        Assert.Equal(2.5, x.Sum(0).Item());
        Assert.Equal(2.5, x.Mean(-1).Item());
        Assert.Equal(0, x.ArgMax(0).Item());
        var m = x.Max(0);
        Assert.Equal(0, m.Rank);
        m.Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }

    [Theory]   // expected: Python's math.erf
    [InlineData(-6.5, -1.0)]
    [InlineData(-5.9, -0.9999999999999999)]
    [InlineData(-4, -0.9999999845827421)]
    [InlineData(-3.0000001, -0.9999779095169267)]
    [InlineData(-3, -0.9999779095030014)]
    [InlineData(-2.9999, -0.9999778955735178)]
    [InlineData(-2, -0.9953222650189527)]
    [InlineData(-1, -0.8427007929497149)]
    [InlineData(-0.001, -0.0011283787909692365)]
    [InlineData(1e-08, 1.1283791670955126e-08)]
    [InlineData(0.3, 0.3286267594591274)]
    [InlineData(0.7, 0.6778011938374184)]
    [InlineData(1.5, 0.9661051464753108)]
    [InlineData(2.5, 0.999593047982555)]
    [InlineData(2.99, 0.9999764743969194)]
    [InlineData(3.01, 0.9999792610363629)]
    [InlineData(4.5, 0.9999999998033839)]
    [InlineData(7, 1.0)]
    public void ErfMatchesLibmToAFewUlps(double x, double expected) =>
        Assert.True(Math.Abs(SpecialFunctions.Erf(x) - expected) <= 1e-15 * Math.Abs(expected), $"erf({x}) = {SpecialFunctions.Erf(x):G17}, libm {expected:G17}");
    [Fact]
    public void AnInt32TensorMeetsANonIntegralNumberAsFloat32LikeAPythonFloat()
    {
        var x = Tensor.FromArray([1, 2, 3, -5], [4]);
        var quotient = x / 2.5;   // torch.tensor([1, 2, 3, -5]) / 2.5
        Assert.Equal(DType.Float32, quotient.DType);
        Assert.Equal([0.4f, 0.8f, 1.2f, -2f], quotient.ToFloatArray());
        Assert.Equal([1.5f, 2.5f, 3.5f, -4.5f], (x + 0.5).ToFloatArray());
        Assert.Equal([2.5f, 1.25f, 2.5f / 3, -0.5f], (2.5 / x).ToFloatArray());
        Assert.Equal([1f, 1f, 0f, 1f], x.Lt(2.5).ToFloatArray());
        Assert.Equal([0f, 0f, 0f, 0f], x.Eq(2.5).ToFloatArray());
        Assert.True(float.IsNaN((x * double.NaN).ToFloatArray()[0]));
        // an integral number keeps int32, as a Python int does
        var doubled = x * 2;
        Assert.Equal(DType.Int32, doubled.DType);
        Assert.Equal([2, 4, 6, -10], doubled.ToIntArray());
        Assert.Equal(DType.Int32, x.Eq(2).DType);
    }
}
