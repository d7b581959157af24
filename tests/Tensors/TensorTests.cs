using Xunit;

namespace Interp.Tests.Tensors;

public class TensorTests
{
    static Tensor Range(params int[] shape) => Tensor.Arange(ShapeUtil.Numel(shape)).Reshape(shape);

    [Fact]
    public void ViewsShareStorageWithoutCopying()
    {
        var x = Range(2, 3, 4);
        foreach (var v in new[] { x.Permute(2, 0, 1), x.Transpose(0, 1), x.Slice(2, 1, 3), x[1], x.Unsqueeze(1), x.Reshape(6, 4), x.Narrow(1, 1, 2) })
            Assert.Same(x.Storage, v.Storage);
        Assert.False(x.Permute(2, 0, 1).IsContiguous);
    }

    [Fact]
    public void PermuteAndSliceReadTheRightElements()
    {
        var x = Range(2, 3, 4);
        var p = x.Permute(2, 0, 1);
        Assert.Equal([4, 2, 3], p.ShapeArray);
        Assert.Equal(x.GetValue(1, 2, 3), p.GetValue(3, 1, 2));
        var s = x.Slice(2, 0, null, 2);       // x[:, :, ::2]
        Assert.Equal([0.0, 2, 4, 6, 8, 10], s[0].ToDoubleArray());
        Assert.Equal([23.0, 22, 21, 20], Enumerable.Range(0, 4).Select(i => x[^1, ^1, ^(i + 1)].Item()).ToArray());
        Assert.Equal([16.0, 17, 18, 19, 20, 21, 22, 23], x[1, 1..].Reshape(-1).ToDoubleArray());
    }

    [Fact]
    public void ReshapeOfNonContiguousCopiesOnlyWhenItMust()
    {
        var x = Range(4, 6);
        var t = x.T;                               // [6, 4], not contiguous
        Assert.Same(x.Storage, t.Unsqueeze(0).Storage);
        Assert.NotSame(x.Storage, t.Reshape(24).Storage);
        Assert.Equal(x.T.Contiguous().ToDoubleArray(), t.Reshape(24).ToDoubleArray());
        Assert.Throws<InvalidOperationException>(() => t.View(24));
        var s = Range(4, 6).Slice(1, 0, 4);        // rows of a wider tensor: [4,4] with stride 6
        Assert.Same(s.Storage, s.Reshape(2, 2, 4).Storage);
    }

    [Fact]
    public void ExpandGivesZeroStridesAndCatStackSplitRoundTrip()
    {
        var x = Tensor.FromArray([1.0, 2, 3], [3, 1]);
        var e = x.Expand(2, 3, 4);
        Assert.Equal(0, e.Strides[0]);
        Assert.Equal(0, e.Strides[2]);
        Assert.Equal(3.0, e.GetValue(1, 2, 3));
        var a = Range(2, 3);
        var b = Range(2, 5) + 100.0;
        var c = Tensor.Cat([a, b], 1);
        Assert.Equal([2, 8], c.ShapeArray);
        var parts = c.Split([3, 5], 1);
        Assert.Equal(a.ToDoubleArray(), parts[0].ToDoubleArray());
        Assert.Equal(b.ToDoubleArray(), parts[1].ToDoubleArray());
        var st = Tensor.Stack([a, a * 2.0], 1);
        Assert.Equal([2, 2, 3], st.ShapeArray);
        Assert.Equal((a * 2.0).ToDoubleArray(), st.Select(1, 1).ToDoubleArray());
        Assert.Equal(3, Range(7).Chunk(3).Length);
    }

    [Fact]
    public void CreationFunctionsMatchTheirDefinitions()
    {
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0], Tensor.Linspace(0, 1, 5, DType.Float64).ToDoubleArray());
        Assert.Equal([2.0, 4.5, 7], Tensor.Arange(2, 8, 2.5).ToDoubleArray());
        Assert.Equal([1.0, 0, 0, 0, 1, 0], Tensor.Eye(2, 3).ToDoubleArray());
        Assert.Equal(Enumerable.Repeat(7.0, 6), Tensor.Full([2, 3], 7).ToDoubleArray());
        Tensor.ManualSeed(3);
        var r1 = Tensor.Randn([1000]);
        Tensor.ManualSeed(3);
        Assert.Equal(r1.ToDoubleArray(), Tensor.Randn([1000]).ToDoubleArray());
        var n = Tensor.Randn([20000], new Generator(5), DType.Float64);
        Assert.InRange(n.Mean().Item(), -0.03, 0.03);
        Assert.InRange((n * n).Mean().Item(), 0.96, 1.04);
        var u = Tensor.Rand([20000], new Generator(6));
        Assert.True(u.Min().Item() >= 0 && u.Max().Item() < 1);
        var ri = Tensor.RandInt(3, 7, [1000], new Generator(7));
        Assert.Equal(DType.Int32, ri.DType);
        Assert.Equal([3, 4, 5, 6], ri.ToIntArray().Distinct().Order().ToArray());
    }

    [Fact]
    public void PrintsLikePyTorch()
    {
        Assert.Equal("tensor([[0.5000, 1.0000],\n        [2.0000, 3.0000]])", Tensor.FromArray([0.5f, 1, 2, 3], [2, 2]).ToString());
        Assert.Equal("tensor([1, 2, 3], dtype=int32)", Tensor.FromArray([1, 2, 3]).ToString());
        Assert.Equal("tensor(2., dtype=float64, requires_grad=True)", Tensor.Scalar(2, DType.Float64, requiresGrad: true).ToString());
        Assert.Contains("...", Tensor.Zeros([2000]).ToString());
    }

    [Fact]
    public void BadShapesAndIndicesAreNamedInErrors()
    {
        var x = Range(2, 3);
        Assert.Contains("add: shapes [2, 3] and [4]", Assert.Throws<ArgumentException>(() => x + Range(4)).Message);
        Assert.Contains("matmul", Assert.Throws<ArgumentException>(() => x.MatMul(x)).Message);
        Assert.Contains("dim 5 is out of range", Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(5)).Message);
        Assert.Contains("index 3 is out of range for dim 1 of size 3", Assert.Throws<IndexOutOfRangeException>(() => x.Select(1, 3)).Message);
        Assert.Contains("cannot reshape a tensor of shape [2, 3]", Assert.Throws<ArgumentException>(() => x.Reshape(4, 2)).Message);
        Assert.Contains("dtypes differ", Assert.Throws<ArgumentException>(() => x + x.To(DType.Float64)).Message);
        Assert.Contains("cat: tensors must match", Assert.Throws<ArgumentException>(() => Tensor.Cat([x, Range(3, 3)], 1)).Message);
    }

    [Fact]
    public void IntTensorsCompareAndCount()
    {
        var a = Tensor.FromArray([1, 2, 3, 4]);
        var b = Tensor.FromArray([1, 0, 3, 0]);
        Assert.Equal(2, (int)a.Eq(b).Sum().Item());
        Assert.Equal([0, 1, 1, 2], (a / Tensor.FromArray([2, 2, 2, 2])).ToIntArray());
        var logits = Tensor.FromArray([0.1f, 0.7f, 0.2f, 0.9f, 0.05f, 0.05f], [2, 3]);
        Assert.Equal([1, 0], logits.ArgMax(1).ToIntArray());
    }

    [Fact]
    public void SetDataMakesALeafAViewOfOtherMemory()
    {
        var param = Tensor.Zeros([2, 3], requiresGrad: true);
        var source = Tensor.FromArray([1f, 2, 3, 4, 5, 6], [3, 2]).T;   // a non-contiguous view
        param.SetData(source);
        Assert.Equal(new double[] { 1, 3, 5, 2, 4, 6 }, param.ToDoubleArray());
        source.Backend.Copy(Tensor.Full([3, 2], 7), source.T);         // writes through to the shared storage
        Assert.All(param.ToDoubleArray(), v => Assert.Equal(7, v));
        Assert.True(param.RequiresGrad);

        var e = Assert.Throws<ArgumentException>(() => param.SetData(Tensor.Zeros([3, 2])));
        Assert.Contains("float32 [3, 2] on cpu, this tensor is float32 [2, 3]", e.Message);
        Assert.Throws<InvalidOperationException>(() => (param * 2).SetData(Tensor.Zeros([2, 3])));
    }
}
