using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>
/// Elementwise kernels on tensors large enough to be split over the cores — by rows, or, for a few long rows (a
/// contiguous tensor is one), each row in pieces — give exactly the element-by-element result.
/// </summary>
public class LargeElementwiseTests
{
    public static TheoryData<int[]> Shapes => new() { new[] { 200_003 }, new[] { 2, 70_001 }, new[] { 3, 5, 9_001 }, new[] { 40, 4_099 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Binary_unary_and_fill_match_the_elementwise_definition(int[] shape)
    {
        var gen = new Generator(11);
        var a = Tensor.Randn(shape, gen);
        var b = Tensor.Randn([shape[^1]], gen);   // broadcast along the rows
        var (av, bv) = (a.ToFloatArray(), b.ToFloatArray());
        int inner = shape[^1];

        var sum = (a + b).ToFloatArray();
        var exp = a.Exp().ToFloatArray();
        for (int i = 0; i < av.Length; i++)
        {
            Assert.Equal(av[i] + bv[i % inner], sum[i]);
            Assert.Equal(MathF.Exp(av[i]), exp[i], 5e-6f * Math.Max(1, exp[i]));
        }
        var filled = Tensor.Full(shape, 2.5);
        Assert.All(filled.ToFloatArray(), v => Assert.Equal(2.5f, v));
    }

    [Fact]
    public void A_transposed_view_with_two_long_rows_is_copied_in_order()
    {
        var x = Tensor.Arange(2 * 70_001, dtype: DType.Float64).Reshape(70_001, 2);
        var t = x.T.Contiguous().ToDoubleArray();   // [2, 70001]: row r holds x[:, r]
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 70_001; c++)
                Assert.Equal(2.0 * c + r, t[r * 70_001 + c]);
    }
    [Theory]
    [InlineData(new[] { 1024, 1024 }, new[] { 0 })]
    [InlineData(new[] { 8, 128, 259 }, new[] { 0, 1 })]
    [InlineData(new[] { 3, 700, 37 }, new[] { 0, 1 })]
    public void Sums_over_leading_dims_match_a_float64_loop(int[] shape, int[] dims)
    {
        // reduced dims before kept ones (a bias gradient) take the column kernel, split over the cores when large
        var x = Tensor.Randn(shape, new Generator(12));
        var v = x.ToFloatArray();
        int cols = shape[dims.Length..].Aggregate(1, (p, d) => p * d), rows = v.Length / cols;
        var expected = new double[cols];
        for (int r = 0; r < rows; r++) for (int j = 0; j < cols; j++) expected[j] += v[(long)r * cols + j];
        var sum = x.Sum(dims).ToFloatArray();
        var mean = x.Mean(dims).ToFloatArray();
        Assert.Equal(shape[dims.Length..], x.Sum(dims).ShapeArray);
        for (int j = 0; j < cols; j++)
        {
            Assert.Equal(expected[j], sum[j], 2e-6 * Math.Sqrt(rows));
            Assert.Equal(expected[j] / rows, mean[j], 2e-6);
        }
    }

    [Theory]
    [InlineData(new[] { 64, 32, 26, 26 }, new[] { 0, 2, 3 })]
    [InlineData(new[] { 3, 5, 7 }, new[] { 0, 2 })]
    [InlineData(new[] { 2, 3, 4, 5, 6 }, new[] { 0, 1, 4 })]
    public void Sums_over_leading_and_trailing_dims_match_a_float64_loop(int[] shape, int[] dims)
    {
        // reduced dims around the kept ones (a conv's bias gradient) are summed in place, without a permuted copy
        var x = Tensor.Randn(shape, new Generator(13));
        var v = x.ToFloatArray();
        int lead = dims.TakeWhile((d, i) => d == i).Count(), kept = shape.Length - dims.Length;
        int outer = shape[..lead].Aggregate(1, (p, d) => p * d), cols = shape[lead..(lead + kept)].Aggregate(1, (p, d) => p * d);
        int inner = v.Length / outer / cols;
        var expected = new double[cols];
        for (int a = 0; a < outer; a++) for (int j = 0; j < cols; j++) for (int i = 0; i < inner; i++) expected[j] += v[((long)a * cols + j) * inner + i];
        var sum = x.Sum(dims).ToFloatArray();
        var mean = x.Mean(dims).ToFloatArray();
        Assert.Equal(shape[lead..(lead + kept)], x.Sum(dims).ShapeArray);
        for (int j = 0; j < cols; j++)
        {
            Assert.Equal(expected[j], sum[j], 2e-6 * Math.Sqrt(outer * inner));
            Assert.Equal(expected[j] / (outer * inner), mean[j], 2e-6);
        }
    }
}
