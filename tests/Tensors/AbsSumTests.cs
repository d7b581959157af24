using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>The CPU's one-pass Σ|x| (behind x.Norm(1, dims)) against |x| written out and summed.</summary>
public class AbsSumTests
{
    [Theory]
    [InlineData(new[] { 1 })]      // innermost: rows of the tensor itself
    [InlineData(new[] { 0 })]      // leading: rows of a permuted copy
    [InlineData(new[] { 0, 1 })]
    public void OnePassGivesAbsThenSum(int[] dims)
    {
        // rows of 9000 floats: three of the kernel's 4096-element float blocks; a NaN and an infinity in two rows
        var gen = new Generator(3);
        var v = Tensor.Randn([7, 9000], gen).ToDoubleArray();
        v[3] = double.NaN; v[9000 * 5 + 17] = double.NegativeInfinity;
        var x = Tensor.FromArray(v.Select(e => (float)e).ToArray(), [7, 9000]);
        var got = x.Backend.AbsSum(x, dims, keepDim: false).ToDoubleArray();
        var want = x.To(DType.Float64).Abs().Sum(dims).ToDoubleArray();
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            if (double.IsNaN(want[i]) || double.IsInfinity(want[i])) Assert.Equal(want[i], got[i]);
            else Assert.Equal(want[i], got[i], Math.Max(1e-3, Math.Abs(want[i]) * 1e-6));
    }

    [Fact]
    public void TheOneNormAndItsGradientAreThoseOfAbsThenSum()
    {
        var gen = new Generator(4);
        var x = Tensor.Randn([5, 300], gen, DType.Float64).RequiresGrad_();
        var upstream = Tensor.Randn([5], gen, DType.Float64);
        var norm = x.Norm(1, 1);
        (norm * upstream).Sum().Backward();
        var grad = x.Grad!.ToDoubleArray();
        x.Grad = null;
        var plain = x.Abs().Sum(1);
        (plain * upstream).Sum().Backward();
        var (want, got) = (plain.ToDoubleArray(), norm.ToDoubleArray());
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-12 * Math.Max(1, Math.Abs(want[i])));
        Assert.Equal(x.Grad!.ToDoubleArray(), grad);
    }
}
