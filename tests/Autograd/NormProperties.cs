using FsCheck.Xunit;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// softmax, log_softmax, layer_norm, var, std, norm and logsumexp: their algebraic properties; the fused kernels (SIMD
/// bodies, long rows, parallel paths, float32) against compositions of elementwise ops; and the errors on bad
/// arguments. Their gradients are checked from the op table (tests/Autograd/Ops/GradientTests.cs).
/// </summary>
public class NormProperties
{
    const int Runs = 25;

    /// <summary>A random float64 leaf, a view of it of a random shape (rank ≥ minRank), and a random dim of that shape.</summary>
    static (Tensor leaf, Func<Tensor, Tensor> view, int[] shape) Input(TestData d, int minRank = 1, int minDim = 1)
    {
        var shape = d.Shape(minRank, 3).Select(s => Math.Max(s, minDim)).ToArray();
        var (leafShape, view, _) = d.View(shape);
        return (d.Tensor(leafShape), view, shape);
    }

    static int[] SomeDims(TestData d, int rank)
    {
        var dims = Enumerable.Range(0, rank).Where(_ => d.Int(0, 1) == 1).Select(i => d.Int(0, 1) == 1 ? i - rank : i).ToArray();
        return dims.Length == 0 ? [d.Int(0, rank - 1)] : dims;
    }

    // ---- algebraic properties ----

    [Property(MaxTest = Runs)]
    public void SoftmaxRowsSumToOneAndIgnoreAConstantShift(int seed)
    {
        var d = new TestData(seed);
        var (x, view, shape) = Input(d);
        int dim = d.Int(0, shape.Length - 1);
        var v = view(x);
        var y = v.Softmax(dim);
        AssertClose(Tensor.Ones(y.Sum(dim).ShapeArray, DType.Float64), y.Sum(dim), 1e-12);
        AssertClose(y, (v + 123.25).Softmax(dim), 1e-12);
        AssertClose(y.Log(), v.LogSoftmax(dim), 1e-12);
    }

    [Fact]
    public void SoftmaxIsExactForHugeLogits()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var small = Tensor.FromArray(new double[] { 0, -1, -2.5, 3, 0.5, -4, 1, 2, 0.25 }, [1, 9]).To(dtype);
            var huge = small + 1e4;
            AssertClose(small.Softmax(-1), huge.Softmax(-1), dtype == DType.Float32 ? 1e-3 : 1e-12);
            AssertClose(small.LogSoftmax(-1), huge.LogSoftmax(-1), dtype == DType.Float32 ? 1e-3 : 1e-12);
            Assert.All((-huge).Softmax(-1).ToDoubleArray(), v => Assert.True(double.IsFinite(v)));
        }
    }

    [Property(MaxTest = Runs)]
    public void LayerNormWithoutAffineHasMeanZeroAndVarianceOne(int seed)
    {
        var d = new TestData(seed);
        var (x, view, shape) = Input(d, minDim: 2);
        var norm = shape[^d.Int(1, shape.Length)..];
        var dims = Enumerable.Range(shape.Length - norm.Length, norm.Length).ToArray();
        var y = (view(x) * 10.0 + 50.0).LayerNorm(norm, eps: 0);
        bool constantRows = view(x).Var(dims, correction: 0).ToDoubleArray().Any(v => v < 1e-12);   // an expanded view
        if (constantRows) return;
        AssertClose(Tensor.Zeros(y.Mean(dims).ShapeArray, DType.Float64), y.Mean(dims), 1e-12);
        AssertClose(Tensor.Ones(y.Mean(dims).ShapeArray, DType.Float64), y.Var(dims, correction: 0), 1e-10);
    }

    [Property(MaxTest = Runs)]
    public void LogSumExpMatchesTheNaiveFormulaAndStaysFinite(int seed)
    {
        var d = new TestData(seed);
        var (x, view, shape) = Input(d);
        var dims = SomeDims(d, shape.Length);
        var v = view(x);
        AssertClose(v.Exp().Sum(dims).Log(), v.LogSumExp(dims), 1e-12);
        var huge = (v + 1e4).LogSumExp(dims);
        AssertClose(v.LogSumExp(dims) + 1e4, huge, 1e-12);
        Assert.Equal(double.NegativeInfinity, Tensor.Full([3], double.NegativeInfinity, DType.Float64).LogSumExp(0).Item());
    }

    [Property(MaxTest = Runs)]
    public void StdSquaredIsVar(int seed)
    {
        var d = new TestData(seed);
        var (x, view, shape) = Input(d, minDim: 2);
        var dims = SomeDims(d, shape.Length);
        int correction = d.Int(0, 1);
        var v = view(x);
        AssertClose(v.Var(dims, true, correction), v.Std(dims, true, correction).Square(), 1e-12);
        var mean = v.Mean(dims, keepDim: true);
        int count = dims.Aggregate(1, (acc, i) => acc * shape[(i + shape.Length) % shape.Length]);
        AssertClose(((v - mean).Square().Sum(dims, true) / (count - correction)), v.Var(dims, true, correction), 1e-12);
    }

    [Fact]
    public void VarIsAccurateUnderALargeOffset()
    {
        var x = Tensor.FromArray(new float[] { 1e4f + 1, 1e4f + 2, 1e4f + 3, 1e4f + 4 }, [4]);
        Assert.Equal(5.0 / 3, x.Var().Item(), 1e-6);
    }

    [Fact]
    public void NormVariants()
    {
        var x = Tensor.FromArray(new double[] { 3, -4, 0, 1, -2, 2 }, [2, 3]);
        AssertClose(Tensor.FromArray(new double[] { 5, 3 }, [2]), x.Norm(2, 1), 1e-15);
        AssertClose(Tensor.FromArray(new double[] { 7, 5 }, [2]), x.Norm(1, 1), 1e-15);
        AssertClose(Tensor.FromArray(new double[] { 4, 2 }, [2]), x.Norm(double.PositiveInfinity, 1), 1e-15);
        var z = Tensor.Zeros([3], DType.Float64, requiresGrad: true);
        z.Norm().Backward();
        Assert.Equal(new double[] { 0, 0, 0 }, z.Grad!.ToDoubleArray());
    }

    // ---- the fused kernels against compositions (SIMD bodies, long rows, parallel paths, float32) ----

    [Theory]
    [InlineData(5, 19, 1)] [InlineData(3, 40, 0)] [InlineData(16, 5000, 1)] [InlineData(2, 9000, 1)]
    public void SoftmaxKernelsMatchComposition(int rows, int len, int dim)
    {
        var gen = new Generator(7);
        var x = Tensor.Randn([rows, len], gen, DType.Float64) * 3.0;
        var g = Tensor.Randn([rows, len], gen, DType.Float64);
        foreach (bool log in new[] { false, true })
        {
            var (y1, gx1) = Run(x, g, v => log ? v.LogSoftmax(dim) : v.Softmax(dim));
            var (y2, gx2) = Run(x, g, v =>
            {
                var s = v - v.Detach().Max(dim, keepDim: true);
                var lse = s.Exp().Sum(dim, keepDim: true).Log();
                return log ? s - lse : (s - lse).Exp();
            });
            AssertClose(y2, y1, 1e-12);
            AssertClose(gx2, gx1, 1e-11);
            var (y32, gx32) = Run(x.To(DType.Float32), g.To(DType.Float32), v => log ? v.LogSoftmax(dim) : v.Softmax(dim));
            AssertClose(y1, y32, 1e-5);
            AssertClose(gx1, gx32, 1e-4);
        }
    }

    [Theory]
    [InlineData(7, 33)] [InlineData(64, 600)] [InlineData(3, 4100)]
    public void LayerNormKernelsMatchComposition(int rows, int len)
    {
        var gen = new Generator(11);
        var x = Tensor.Randn([rows, len], gen, DType.Float64) * 2.0 + 1.0;
        var w = Tensor.Randn([len], gen, DType.Float64);
        var b = Tensor.Randn([len], gen, DType.Float64);
        var g = Tensor.Randn([rows, len], gen, DType.Float64);
        Tensor[] Grads(DType dtype, bool fused)
        {
            var xs = new[] { x, w, b }.Select(t => t.To(dtype).Detach()).ToArray();
            foreach (var t in xs) t.RequiresGrad = true;
            Tensor y;
            if (fused) y = xs[0].LayerNorm([len], xs[1], xs[2]);
            else
            {
                var c = xs[0] - xs[0].Mean(-1, keepDim: true);
                y = c * ((c * c).Mean(-1, keepDim: true) + 1e-5).Rsqrt() * xs[1] + xs[2];
            }
            y.Backward(g.To(dtype));
            return [y.Detach(), xs[0].Grad!, xs[1].Grad!, xs[2].Grad!];
        }
        var fused64 = Grads(DType.Float64, true);
        var composed = Grads(DType.Float64, false);
        var fused32 = Grads(DType.Float32, true);
        for (int i = 0; i < 4; i++)
        {
            AssertClose(composed[i], fused64[i], 1e-11);
            AssertClose(fused64[i], fused32[i], 2e-4 * (i >= 2 ? Math.Sqrt(rows) : 1));
        }
    }

    static (Tensor y, Tensor gx) Run(Tensor x, Tensor g, Func<Tensor, Tensor> f)
    {
        var leaf = x.Detach().Clone();
        leaf.RequiresGrad = true;
        var y = f(leaf);
        y.Backward(g);
        return (y.Detach(), leaf.Grad!);
    }

    // ---- errors ----

    [Fact]
    public void BadArgumentsNameTheOpAndTheShapes()
    {
        var x = Tensor.Zeros([2, 3], DType.Float64);
        AssertThrows<ArgumentException>(() => x.Softmax(2), "softmax", "dim 2", "[2, 3]");
        AssertThrows<ArgumentException>(() => x.LogSoftmax(-3), "log_softmax", "dim -3", "[2, 3]");
        AssertThrows<ArgumentException>(() => x.LayerNorm([2]), "layer_norm", "[2]", "[2, 3]");
        AssertThrows<ArgumentException>(() => x.LayerNorm([4, 2, 3]), "layer_norm", "[4, 2, 3]", "[2, 3]");
        AssertThrows<ArgumentException>(() => x.LayerNorm([3], Tensor.Ones([2], DType.Float64)), "layer_norm", "weight", "[2]", "[3]");
        AssertThrows<ArgumentException>(() => x.LayerNorm([3], null, Tensor.Ones([1, 3], DType.Float64)), "layer_norm", "bias", "[1, 3]", "[3]");
        AssertThrows<ArgumentException>(() => x.Var(5), "var", "dim 5", "[2, 3]");
        AssertThrows<ArgumentException>(() => x.Std([0, 0]), "std", "dim 0");
        AssertThrows<ArgumentException>(() => x.Norm(2, [-4]), "norm", "dim -4", "[2, 3]");
        AssertThrows<ArgumentException>(() => x.Norm(-1), "norm", "p", "[2, 3]");
        AssertThrows<ArgumentException>(() => x.LogSumExp([1, 2]), "logsumexp", "dim 2", "[2, 3]");
        AssertThrows<ArgumentException>(() => Tensor.Zeros([2, 3], DType.Int32).Softmax(1), "softmax", "int32");
    }

    static void AssertThrows<E>(Action act, params string[] parts) where E : Exception
    {
        var e = Assert.ThrowsAny<E>(act);
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }

    static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= tol * (1 + Math.Abs(e[i])), $"element {i}: {a[i]:G17} vs expected {e[i]:G17}");
    }
}
