using FsCheck.Xunit;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// The neural-network ops (indexing, losses, conv2d, pooling, dropout): outputs against direct loop references,
/// numerical edge cases and the messages of bad inputs. Their gradients on random calls are checked from the op table
/// (tests/Autograd/Ops/GradientTests.cs); pooling's here also take dilation and the fallback from all-padding windows.
/// </summary>
public class NnOpProperties
{
    const int Runs = 25;

    static Tensor Ids(TestData d, int[] shape, int bound) =>
        Tensor.FromArray(Enumerable.Range(0, ShapeUtil.Numel(shape)).Select(_ => d.Int(0, bound - 1)).ToArray(), shape);

    // ---- indexing ----

    [Property(MaxTest = Runs)]
    public void GatherThenScatterAddMatchLoops(int seed)
    {
        var d = new TestData(seed);
        int rows = d.Int(1, 4), cols = d.Int(1, 5), k = d.Int(1, 5);
        var x = d.Tensor([rows, cols]);
        var index = Ids(d, [rows, k], cols);
        var got = x.Gather(1, index).ToDoubleArray();
        var scattered = Tensor.Zeros([rows, cols], DType.Float64).ScatterAdd(1, index, x.Gather(1, index)).ToDoubleArray();
        var expect = new double[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < k; j++)
            {
                int c = (int)index.GetValue(i, j);
                Assert.Equal(x.GetValue(i, c), got[i * k + j]);
                expect[i * cols + c] += x.GetValue(i, c);
            }
        Assert.Equal(expect, scattered);
    }

    [Property(MaxTest = Runs)]
    public void EmbeddingPicksRowsAndAccumulatesRepeatedIds(int seed)
    {
        var d = new TestData(seed);
        int vocab = d.Int(1, 6), dim = d.Int(1, 4);
        var ids = Ids(d, d.Shape(0, 2, 4), vocab);
        var w = d.Tensor([vocab, dim]);
        var y = w.Embedding(ids);
        Assert.Equal([.. ids.ShapeArray, dim], y.ShapeArray);
        var flat = ids.ToIntArray();
        var yv = y.ToDoubleArray();
        for (int i = 0; i < flat.Length; i++)
            for (int j = 0; j < dim; j++) Assert.Equal(w.GetValue(flat[i], j), yv[i * dim + j]);
        GradCheck.Assert(xs => xs[0].Embedding(ids), [w]);
        w.Grad = null;
        w.Embedding(ids).Sum().Backward();
        for (int r = 0; r < vocab; r++) Assert.Equal(flat.Count(v => v == r), w.Grad!.GetValue(r, 0));
    }

    // ---- losses ----

    /// <summary>−log_softmax(x)[t] composed from Max, Exp, Sum, Log and Gather.</summary>
    static Tensor ComposedNll(Tensor x, Tensor t)
    {
        var m = x.Max(1, keepDim: true).Detach();
        var lse = (x - m).Exp().Sum(1, keepDim: true).Log() + m;
        return -(x - lse).Gather(1, t.Unsqueeze(1)).Squeeze(1);
    }

    [Property(MaxTest = Runs)]
    public void CrossEntropyEqualsNegativeLogSoftmaxAtTargets(int seed)
    {
        var d = new TestData(seed);
        int n = d.Int(1, 6), c = d.Int(1, 7);
        var x = d.Tensor([n, c], -5, 5);
        var t = Ids(d, [n], c);
        var expect = ComposedNll(x, t).ToDoubleArray();
        var none = x.CrossEntropy(t, reduction: "none").ToDoubleArray();
        for (int i = 0; i < n; i++) Assert.Equal(expect[i], none[i], 1e-12);
        Assert.Equal(expect.Average(), x.CrossEntropy(t).Item(), 1e-12);
        Assert.Equal(expect.Sum(), x.CrossEntropy(t, reduction: "sum").Item(), 1e-12);
        Assert.Equal(expect[0], x[0].CrossEntropy(t[0]).Item(), 1e-12);   // unbatched: [C] and a 0-d target
        // label smoothing ε: (1 − ε)·nll + ε·mean over classes of −log_softmax
        var m = x.Max(1, keepDim: true);
        var logp = x - ((x - m).Exp().Sum(1, keepDim: true).Log() + m);
        var smoothed = (0.7 * ComposedNll(x, t) - 0.3 * logp.Mean(1)).ToDoubleArray();
        var got = x.CrossEntropy(t, reduction: "none", labelSmoothing: 0.3).ToDoubleArray();
        for (int i = 0; i < n; i++) Assert.Equal(smoothed[i], got[i], 1e-12);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void CrossEntropyIsFiniteForHugeLogits(DType dtype)
    {
        var x = Tensor.FromDoubles([1e4, -1e4, 0, -1e4, 1e4, 3e3], [2, 3], dtype);
        x.RequiresGrad = true;
        var t = Tensor.FromArray([0, 2], [2]);
        var loss = x.CrossEntropy(t);
        loss.Backward();
        Assert.Equal(0.5 * (0 + 7e3), loss.Item(), 1e-3);
        Assert.All(x.Grad!.ToDoubleArray(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void IgnoredTargetsGetZeroGradientAndDoNotCount()
    {
        var d = new TestData(3);
        var x = d.Tensor([4, 5]);
        x.RequiresGrad = true;
        var t = Tensor.FromArray([1, -100, 4, -100], [4]);
        var loss = x.CrossEntropy(t);
        loss.Backward();
        var picked = ComposedNll(x.Detach().IndexSelect(0, Tensor.FromArray([0, 2])), Tensor.FromArray([1, 4])).ToDoubleArray();
        Assert.Equal(picked.Average(), loss.Item(), 1e-12);
        foreach (int r in new[] { 1, 3 })
            for (int j = 0; j < 5; j++) Assert.Equal(0.0, x.Grad!.GetValue(r, j));
        Assert.True(x.Grad!.GetValue(0, 0) != 0);
    }

    // ---- conv2d ----

    /// <summary>
    /// y[n, o, i, j] = b[o] + Σ_{c, p, q} x[n, g·C' + c, i·s − pad + p·dil, j·s − pad + q·dil] · w[o, c, p, q], with C' = C/G
    /// input channels per group and g = o / (O/G) the group of output channel o.
    /// </summary>
    static double[] DirectConv(Tensor x, Tensor w, Tensor? b, (int h, int w) s, (int h, int w) pad, (int h, int w) dil, int groups, out int oh, out int ow)
    {
        int n = x.Size(0), cin = x.Size(1), h = x.Size(2), wd = x.Size(3), o = w.Size(0), c = w.Size(1), kh = w.Size(2), kw = w.Size(3);
        oh = (h + 2 * pad.h - dil.h * (kh - 1) - 1) / s.h + 1;
        ow = (wd + 2 * pad.w - dil.w * (kw - 1) - 1) / s.w + 1;
        var xv = x.ToDoubleArray(); var wv = w.ToDoubleArray(); var bv = b?.ToDoubleArray();
        var y = new double[n * o * oh * ow];
        for (int ni = 0; ni < n; ni++)
            for (int oi = 0; oi < o; oi++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double acc = bv?[oi] ?? 0;
                        int first = oi / (o / groups) * c;   // the group's first input channel
                        for (int ci = 0; ci < c; ci++)
                            for (int p = 0; p < kh; p++)
                                for (int q = 0; q < kw; q++)
                                {
                                    int ih = i * s.h - pad.h + p * dil.h, iw = j * s.w - pad.w + q * dil.w;
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < wd)
                                        acc += xv[((ni * cin + first + ci) * h + ih) * wd + iw] * wv[((oi * c + ci) * kh + p) * kw + q];
                                }
                        y[((ni * o + oi) * oh + i) * ow + j] = acc;
                    }
        return y;
    }

    sealed record ConvCase(int[] XShape, int[] WShape, bool Bias, (int, int) Stride, (int, int) Pad, (int, int) Dil, bool Permuted, int Groups);

    static ConvCase RandomConv(TestData d)
    {
        int groups = d.Int(1, 3);
        int n = d.Int(1, 2), c = d.Int(1, 2) * groups, o = d.Int(1, 2) * groups, kh = d.Int(1, 3), kw = d.Int(1, 3);
        (int, int) dil = (d.Int(1, 2), d.Int(1, 2)), pad = (d.Int(0, 2), d.Int(0, 2)), stride = (d.Int(1, 3), d.Int(1, 3));
        int h = Math.Max(1, dil.Item1 * (kh - 1) + 1 - 2 * pad.Item1) + d.Int(0, 3);
        int w = Math.Max(1, dil.Item2 * (kw - 1) + 1 - 2 * pad.Item2) + d.Int(0, 3);
        return new([n, c, h, w], [o, c / groups, kh, kw], d.Int(0, 1) == 1, stride, pad, dil, d.Int(0, 1) == 1, groups);
    }

    static Tensor AsNchw(Tensor leaf, bool permuted) => permuted ? leaf.Permute(0, 3, 1, 2) : leaf;
    static int[] LeafShape(int[] nchw, bool permuted) => permuted ? [nchw[0], nchw[2], nchw[3], nchw[1]] : nchw;

    [Property(MaxTest = Runs)]
    public void Conv2dEqualsDirectLoops(int seed)
    {
        var d = new TestData(seed);
        var k = RandomConv(d);
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var x = AsNchw(d.Tensor(LeafShape(k.XShape, k.Permuted)).To(dtype), k.Permuted);
            var w = d.Tensor(k.WShape).To(dtype);
            var b = k.Bias ? d.Tensor([k.WShape[0]]).To(dtype) : null;
            var expect = DirectConv(x, w, b, k.Stride, k.Pad, k.Dil, k.Groups, out int oh, out int ow);
            var y = x.Conv2d(w, b, k.Stride, k.Pad, k.Dil, k.Groups);
            Assert.Equal([k.XShape[0], k.WShape[0], oh, ow], y.ShapeArray);
            var got = y.ToDoubleArray();
            double tol = dtype == DType.Float64 ? 1e-12 : 1e-4;
            for (int i = 0; i < expect.Length; i++) Assert.True(Math.Abs(expect[i] - got[i]) <= tol, $"element {i}: {got[i]} vs {expect[i]}");
        }
    }

    // ---- pooling ----

    sealed record PoolCase(int[] XShape, (int, int) Kernel, (int, int) Stride, (int, int) Pad, (int, int) Dil);

    static PoolCase RandomPool(TestData d, bool dilate)
    {
        int kh = d.Int(1, 3), kw = d.Int(1, 3);
        (int, int) dil = dilate ? (d.Int(1, 2), d.Int(1, 2)) : (1, 1), pad = (d.Int(0, kh / 2), d.Int(0, kw / 2));
        int h = Math.Max(1, dil.Item1 * (kh - 1) + 1 - 2 * pad.Item1) + d.Int(0, 3);
        int w = Math.Max(1, dil.Item2 * (kw - 1) + 1 - 2 * pad.Item2) + d.Int(0, 3);
        return new([d.Int(1, 2), d.Int(1, 3), h, w], (kh, kw), (d.Int(1, 3), d.Int(1, 3)), pad, dil);
    }

    /// <summary>Each window's max (−∞ padding) or mean (divisor KH·KW or the in-bounds count) by direct loops.</summary>
    static double[] DirectPool(Tensor x, PoolCase p, bool max, bool countIncludePad)
    {
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        var (kh, kw) = p.Kernel; var (sh, sw) = p.Stride; var (ph, pw) = p.Pad; var (dh, dw) = p.Dil;
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        var xv = x.ToDoubleArray();
        var y = new List<double>();
        for (int plane = 0; plane < n * c; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double best = double.NegativeInfinity, sum = 0; int count = 0;
                    for (int a = 0; a < kh; a++)
                        for (int b = 0; b < kw; b++)
                        {
                            int ih = i * sh - ph + a * dh, iw = j * sw - pw + b * dw;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            double v = xv[(plane * h + ih) * w + iw];
                            best = Math.Max(best, v); sum += v; count++;
                        }
                    y.Add(max ? best : sum / (countIncludePad ? kh * kw : count));
                }
        return y.ToArray();
    }

    [Property(MaxTest = Runs)]
    public void MaxPool2dMatchesLoopsAndGradient(int seed)
    {
        var d = new TestData(seed);
        var p = RandomPool(d, dilate: true);
        bool permuted = d.Int(0, 1) == 1;
        var leaf = d.Tensor(LeafShape(p.XShape, permuted));
        // a dilated window can fall entirely into the padding (−∞ out, as in PyTorch): check that, then drop the dilation
        if (DirectPool(AsNchw(leaf, permuted), p, max: true, false).Any(double.IsNegativeInfinity))
        {
            Assert.Contains(double.NegativeInfinity, AsNchw(leaf, permuted).MaxPool2d(p.Kernel, p.Stride, p.Pad, p.Dil).ToDoubleArray());
            p = p with { Dil = (1, 1) };
        }
        var y = AsNchw(leaf, permuted).MaxPool2d(p.Kernel, p.Stride, p.Pad, p.Dil);
        Assert.Equal(DirectPool(AsNchw(leaf, permuted), p, max: true, false), y.ToDoubleArray());
        GradCheck.Assert(xs => AsNchw(xs[0], permuted).MaxPool2d(p.Kernel, p.Stride, p.Pad, p.Dil), [leaf]);
    }

    /// <summary>
    /// The float32 2×2 stride-2 pool (a SIMD kernel, eight windows at a time, the last eight overlapping) picks what the
    /// float64 loop picks — the first NaN, else the first maximum — on widths below and above eight, with many ties and
    /// some NaNs; the gradient goes to the same element.
    /// </summary>
    [Property(MaxTest = Runs)]
    public void MaxPool2x2Float32MatchesTheLoopWithTiesAndNaNs(int seed)
    {
        var d = new TestData(seed);
        int[] shape = [d.Int(1, 2), d.Int(1, 3), d.Int(2, 9), d.Int(2, 40)];
        var values = Enumerable.Range(0, ShapeUtil.Numel(shape))
            .Select(_ => d.Int(0, 30) == 0 ? double.NaN : d.Int(-3, 3)).ToArray();   // small integers: ties everywhere
        var x64 = Tensor.FromArray(values, shape).RequiresGrad_();
        var x32 = Tensor.FromArray(values.Select(v => (float)v).ToArray(), shape).RequiresGrad_();
        var y64 = x64.MaxPool2d(2);
        var y32 = x32.MaxPool2d(2);
        Assert.Equal(y64.ToDoubleArray(), y32.ToDoubleArray());
        var g = d.Tensor(y64.ShapeArray);
        y64.Backward(g);
        y32.Backward(g.To(DType.Float32));
        Assert.Equal(x64.Grad!.ToDoubleArray(), x32.Grad!.ToDoubleArray().Select(v => (double)(float)v), new Float32Close());
    }

    sealed class Float32Close : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Abs(a));
        public int GetHashCode(double v) => 0;
    }

    [Property(MaxTest = Runs)]
    public void AvgPool2dMatchesLoopsAndGradient(int seed)
    {
        var d = new TestData(seed);
        var p = RandomPool(d, dilate: false);
        bool include = d.Int(0, 1) == 1, permuted = d.Int(0, 1) == 1;
        var leaf = d.Tensor(LeafShape(p.XShape, permuted));
        var got = AsNchw(leaf, permuted).AvgPool2d(p.Kernel, p.Stride, p.Pad, include).ToDoubleArray();
        var expect = DirectPool(AsNchw(leaf, permuted), p, max: false, include);
        for (int i = 0; i < expect.Length; i++) Assert.Equal(expect[i], got[i], 1e-12);
        GradCheck.Assert(xs => AsNchw(xs[0], permuted).AvgPool2d(p.Kernel, p.Stride, p.Pad, include), [leaf]);
    }

    /// <summary>d(op)/d(input) at a fixed input as a function of the incoming gradient g (and of the other inputs), recorded with createGraph.</summary>
    static Tensor InputGrad(Tensor input, Func<Tensor, Tensor> op, Tensor g, Tensor? other = null)
    {
        using var _ = Interp.Autograd.GradMode.EnableGrad();
        var leaf = input.Detach().Clone().RequiresGrad_();
        op(leaf).Backward(g, createGraph: true);
        if (other is not null) other.Grad = null;   // this inner backward reached the other input too: not the gradient checked
        return leaf.Grad!;
    }

    [Property(MaxTest = 10)]
    public void DoubleBackwardThroughConvAndPools(int seed)
    {
        var d = new TestData(seed);
        var k = RandomConv(d);
        var x = d.Tensor(k.XShape);
        var w = d.Tensor(k.WShape);
        var gShape = x.Conv2d(w, null, k.Stride, k.Pad, k.Dil, k.Groups).ShapeArray;
        GradCheck.Assert(xs => InputGrad(x, v => v.Conv2d(xs[1], null, k.Stride, k.Pad, k.Dil, k.Groups), xs[0], xs[1]), [d.Tensor(gShape), w]);

        var p = RandomPool(d, dilate: false);
        var xp = d.Tensor(p.XShape);
        var pShape = xp.MaxPool2d(p.Kernel, p.Stride, p.Pad, p.Dil).ShapeArray;
        GradCheck.Assert(xs => InputGrad(xp, v => v.MaxPool2d(p.Kernel, p.Stride, p.Pad, p.Dil), xs[0]), [d.Tensor(pShape)]);
        GradCheck.Assert(xs => InputGrad(xp, v => v.AvgPool2d(p.Kernel, p.Stride, p.Pad), xs[0]), [d.Tensor(pShape)]);
    }

    // ---- dropout ----

    [Property(MaxTest = 10)]
    public void DropoutKeepsTheMeanAndReusesItsMask(int seed)
    {
        var d = new TestData(seed);
        double p = new[] { 0.1, 0.5, 0.8 }[d.Int(0, 2)];
        var x = Tensor.Ones([20000], DType.Float64, requiresGrad: true);
        var y = x.Dropout(p, training: true, new Generator((ulong)seed));
        var yv = y.ToDoubleArray();
        Assert.InRange(yv.Average(), 0.95, 1.05);
        Assert.All(yv, v => Assert.True(v == 0 || Math.Abs(v - 1 / (1 - p)) < 1e-12));
        (y * 3.0).Sum().Backward();
        Assert.Equal(yv.Select(v => 3 * v), x.Grad!.ToDoubleArray());
        var again = x.Dropout(p, true, new Generator((ulong)seed)).ToDoubleArray();
        Assert.Equal(yv, again);
        Assert.Same(x, x.Dropout(p, training: false));
        Assert.Same(x, x.Dropout(0));
    }

    // ---- sizes large enough for the kernels' parallel paths ----

    [Fact]
    public void ParallelKernelsMatchReferences()
    {
        var d = new TestData(11);
        var x = d.Tensor([2, 8, 30, 30]).To(DType.Float32);
        var w = d.Tensor([4, 8, 3, 3]).To(DType.Float32);
        var expect = DirectConv(x, w, null, (1, 1), (1, 1), (1, 1), 1, out _, out _);
        var got = x.Conv2d(w, null, 1, 1).ToDoubleArray();
        for (int i = 0; i < expect.Length; i++) Assert.True(Math.Abs(expect[i] - got[i]) < 1e-3, $"conv2d element {i}: {got[i]} vs {expect[i]}");

        var pool = new PoolCase([2, 8, 30, 30], (3, 3), (1, 1), (1, 1), (1, 1));
        Assert.Equal(DirectPool(x, pool, max: true, false), x.MaxPool2d(3, 1, 1).ToDoubleArray());

        var table = d.Tensor([50, 700]);
        table.RequiresGrad = true;
        var ids = Ids(d, [100], 50);
        table.Embedding(ids).Sum().Backward();
        var counts = ids.ToIntArray();
        for (int r = 0; r < 50; r++) Assert.Equal(counts.Count(v => v == r), table.Grad!.GetValue(r, 699));

        var logits = d.Tensor([300, 200], -5, 5);
        var t = Ids(d, [300], 200);
        Assert.Equal(ComposedNll(logits, t).ToDoubleArray().Average(), logits.CrossEntropy(t).Item(), 1e-10);
    }

    // ---- bad inputs ----

    static void Throws<TEx>(Action act, params string[] fragments) where TEx : Exception
    {
        var e = Assert.ThrowsAny<TEx>(act);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }

    [Fact]
    public void BadInputsNameTheOpAndTheShapes()
    {
        var x4 = Tensor.Zeros([1, 3, 5, 5], DType.Float64);
        Throws<ArgumentException>(() => Tensor.Zeros([3, 5, 5]).Conv2d(Tensor.Zeros([2, 3, 3, 3])), "conv2d", "[3, 5, 5]");
        Throws<ArgumentException>(() => x4.Conv2d(Tensor.Zeros([2, 4, 3, 3], DType.Float64)), "conv2d", "3 channels", "[2, 4, 3, 3]");
        Throws<ArgumentException>(() => x4.Conv2d(Tensor.Zeros([2, 3, 7, 3], DType.Float64)), "conv2d", "7x3", "5x5");
        Throws<ArgumentException>(() => x4.Conv2d(Tensor.Zeros([2, 3, 3, 3], DType.Float64), Tensor.Zeros([3], DType.Float64)), "conv2d", "bias", "[3]");
        Throws<ArgumentException>(() => x4.MaxPool2d(7), "max_pool2d", "7x7", "5x5");
        Throws<ArgumentException>(() => x4.AvgPool2d(2, padding: 2), "avg_pool2d", "padding");
        Throws<ArgumentException>(() => Tensor.Zeros([5, 5]).MaxPool2d(2), "max_pool2d", "[5, 5]");

        var logits = Tensor.Zeros([2, 3]);
        Throws<IndexOutOfRangeException>(() => logits.CrossEntropy(Tensor.FromArray([0, 3])), "cross_entropy", "target 3", "3 classes");
        Throws<ArgumentException>(() => logits.CrossEntropy(Tensor.FromArray([0, 1, 2])), "cross_entropy", "[2, 3]", "[3]");
        Throws<ArgumentException>(() => logits.CrossEntropy(Tensor.FromArray([0, 1]), reduction: "avg"), "cross_entropy", "avg");
        Throws<ArgumentException>(() => logits.MseLoss(Tensor.Zeros([3, 2])), "mse_loss", "[2, 3]", "[3, 2]");

        var t = Tensor.Zeros([4, 3]);
        Throws<IndexOutOfRangeException>(() => t.IndexSelect(0, Tensor.FromArray([1, 4])), "index_select", "index 4", "size 4");
        Throws<IndexOutOfRangeException>(() => t.IndexSelect(1, Tensor.FromArray([-1])), "index_select", "index -1", "size 3");
        Throws<IndexOutOfRangeException>(() => t.Gather(1, Tensor.FromArray([0, 5], [1, 2])), "gather", "index 5", "size 3");
        Throws<ArgumentException>(() => t.Gather(0, Tensor.FromArray([0, 1])), "gather", "[2]", "[4, 3]");
        Throws<IndexOutOfRangeException>(() => t.ScatterAdd(0, Tensor.FromArray([9], [1, 1]), Tensor.Zeros([1, 1])), "scatter_add", "index 9", "size 4");
        Throws<IndexOutOfRangeException>(() => t.Embedding(Tensor.FromArray([0, 7])), "index_select", "index 7", "size 4");
        Throws<ArgumentException>(() => t.Embedding(Tensor.FromArray([0f])), "embedding", "int32");
        Throws<ArgumentException>(() => t.Dropout(1.5), "dropout", "1.5");
    }
}
