using FsCheck.Xunit;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// The fused causal attention op: gradients against finite differences on random shapes, offsets and non-contiguous
/// views; equal to the op-by-op composition (einsum, masked fill, softmax, einsum) in float64 and float32; the errors.
/// </summary>
public class CausalAttentionTests
{
    /// <summary>Random [batch, pos, head, d] shapes for q, k and v with an offset (cached positions before the first query).</summary>
    static (int[] q, int[] k, int[] v, int offset) Shapes(TestData d)
    {
        int b = d.Int(1, 2), tq = d.Int(1, 4), h = d.Int(1, 3), e = d.Int(1, 4), dv = d.Int(1, 4), offset = d.Int(0, 3);
        int tk = Math.Max(1, tq + offset - d.Int(0, 1));   // usually all keys up to the last query, sometimes one fewer
        return ([b, tq, h, e], [b, tk, h, e], [b, tk, h, dv], offset);
    }

    /// <summary>The attention core op by op, as the hooked path of the transformer computes it.</summary>
    static Tensor Composed(Tensor q, Tensor k, Tensor v, double scale, int offset) =>
        Tensor.Einsum("bhqk,bkhe->bqhe", ComposedScores(q, k, scale, offset).Softmax(-1), v);

    /// <summary>scale·q·kᵀ [batch, head, q, k] with the keys after each query + offset masked to −1e30.</summary>
    static Tensor ComposedScores(Tensor q, Tensor k, double scale, int offset)
    {
        int tq = q.Size(1), tk = k.Size(1);
        var mask = new int[tq * tk];
        for (int i = 0; i < tq; i++) for (int j = offset + i + 1; j < tk; j++) mask[i * tk + j] = 1;
        return (Tensor.Einsum("bqhe,bkhe->bhqk", q, k) * scale).MaskedFill(Tensor.FromArray(mask, [tq, tk]), -1e30);
    }

    [Property(MaxTest = 25)]
    public void Gradient(int seed)
    {
        var d = new TestData(seed);
        var (qs, ks, vs, offset) = Shapes(d);
        var (ql, qv, _) = d.View(qs);
        var (kl, kv, _) = d.View(ks);
        var (vl, vv, _) = d.View(vs);
        double scale = 0.3 + d.Int(0, 10) / 10.0;
        GradCheck.Assert(xs => Tensor.CausalAttention(qv(xs[0]), kv(xs[1]), vv(xs[2]), scale, offset), [d.Tensor(ql), d.Tensor(kl), d.Tensor(vl)]);
    }

    [Property(MaxTest = 25)]
    public void EqualsTheComposition(int seed)
    {
        var d = new TestData(seed);
        var (qs, ks, vs, offset) = Shapes(d);
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            double tol = dtype == DType.Float64 ? 1e-12 : 2e-5;
            var (q, k, v) = (d.Tensor(qs).To(dtype), d.Tensor(ks).To(dtype), d.Tensor(vs).To(dtype));
            var g = d.Tensor([qs[0], qs[1], qs[2], vs[3]]).To(dtype);
            var (fused, fusedGrads) = Run(q, k, v, g, (a, b, c) => Tensor.CausalAttention(a, b, c, 0.5, offset));
            var (composed, composedGrads) = Run(q, k, v, g, (a, b, c) => Composed(a, b, c, 0.5, offset));
            AssertClose(composed, fused, tol);
            for (int i = 0; i < 3; i++) AssertClose(composedGrads[i], fusedGrads[i], tol);
        }
    }

    [Property(MaxTest = 25)]
    public void PackedGradient(int seed)
    {
        var d = new TestData(seed);
        int b = d.Int(1, 2), t = d.Int(1, 5), h = d.Int(1, 3), e = d.Int(1, 4);
        var (leaf, view, _) = d.View([b, t, 3, h, e]);
        double scale = 0.3 + d.Int(0, 10) / 10.0;
        GradCheck.Assert(xs => Tensor.CausalAttentionPacked(view(xs[0]), scale), [d.Tensor(leaf)]);
    }

    [Property(MaxTest = 25)]
    public void PackedEqualsAttentionOnTheThreeSlices(int seed)
    {
        // the reference: CausalAttention on q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]; the gradient of qkv is theirs stacked
        var d = new TestData(seed);
        int[] shape = [d.Int(1, 2), d.Int(1, 5), 3, d.Int(1, 3), d.Int(1, 4)];
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var qkv = d.Tensor(shape).To(dtype);
            var g = d.Tensor([shape[0], shape[1], shape[3], shape[4]]).To(dtype);
            var packedLeaf = qkv.Detach().RequiresGrad_();
            var packed = Tensor.CausalAttentionPacked(packedLeaf, 0.45);
            (packed * g).Sum().Backward();
            var (sliced, slicedGrads) = Run(qkv.Select(2, 0), qkv.Select(2, 1), qkv.Select(2, 2), g, (a, b, c) => Tensor.CausalAttention(a, b, c, 0.45));
            Assert.Equal(sliced.ToDoubleArray(), packed.ToDoubleArray());
            Assert.Equal(Tensor.Stack(slicedGrads, 2).ToDoubleArray(), packedLeaf.Grad!.ToDoubleArray());
        }
    }

    [Fact]
    public void BackwardIntoAWronglyShapedGradientNamesTheOpAndTheShapes()
    {
        var gen = new Generator(6);
        var (q, k, v) = (Tensor.Randn([1, 3, 1, 2], gen), Tensor.Randn([1, 3, 1, 2], gen), Tensor.Randn([1, 3, 1, 2], gen));
        var (z, pattern) = q.Backend.CausalAttention(q, k, v, 0.5, 0);
        var e = Assert.Throws<ArgumentException>(() => q.Backend.CausalAttentionBackwardInto(Tensor.OnesLike(z), q, k, v, pattern, 0.5, 0,
            Tensor.Zeros([1, 3, 1, 2]), Tensor.Zeros([1, 2, 1, 2]), Tensor.Zeros([1, 3, 1, 2])));
        Assert.Contains("causal_attention_backward", e.Message);
        Assert.Contains("dk", e.Message);
        Assert.Contains("[1, 2, 1, 2]", e.Message);
    }

    [Fact]
    public void PackedRefusesASecondDerivative()
    {
        var qkv = Tensor.Randn([1, 3, 3, 1, 2], new Generator(4), DType.Float64).RequiresGrad_();
        Tensor.CausalAttentionPacked(qkv, 0.5).Square().Sum().Backward(createGraph: true);
        var grad = qkv.Grad!;
        qkv.Grad = null;
        var e = Assert.Throws<NotSupportedException>(() => grad.Sum().Backward());
        Assert.Contains("causal_attention_packed", e.Message);
    }

    [Property(MaxTest = 15)]
    public void WithScoresGradient(int seed)
    {
        var d = new TestData(seed);
        var (qs, ks, vs, offset) = Shapes(d);
        var (ql, qv, _) = d.View(qs);
        var (kl, kv, _) = d.View(ks);
        var (vl, vv, _) = d.View(vs);
        GradCheck.Assert(xs => Tensor.CausalAttentionWithScores(qv(xs[0]), kv(xs[1]), vv(xs[2]), 0.6, offset).Z, [d.Tensor(ql), d.Tensor(kl), d.Tensor(vl)]);
    }

    /// <summary>
    /// What a cache of activations gets from the fused kernel: the composition's masked scores and pattern, and z to the
    /// bit as CausalAttention computes it (so a cached run's logits are the forward's).
    /// </summary>
    [Property(MaxTest = 25)]
    public void WithScoresHandsOverTheCompositionsScoresAndPattern(int seed)
    {
        var d = new TestData(seed);
        var (qs, ks, vs, offset) = Shapes(d);
        var (ql, qv, _) = d.View(qs);
        var (kl, kv, _) = d.View(ks);
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            double tol = dtype == DType.Float64 ? 1e-12 : 2e-5;
            var (q, k, v) = (qv(d.Tensor(ql).To(dtype)), kv(d.Tensor(kl).To(dtype)), d.Tensor(vs).To(dtype));
            var (z, pattern, scores) = Tensor.CausalAttentionWithScores(q, k, v, 0.5, offset);
            var expectedScores = ComposedScores(q, k, 0.5, offset);
            AssertClose(expectedScores, scores, tol);
            AssertClose(expectedScores.Softmax(-1), pattern, tol);
            Assert.Equal(Tensor.CausalAttention(q, k, v, 0.5, offset).ToDoubleArray(), z.ToDoubleArray());
            Assert.False(scores.RequiresGrad || pattern.RequiresGrad);
        }
    }

    /// <summary>
    /// Past 32 queries the CPU kernel works in blocks of queries, each over the keys it may see: several blocks, a last
    /// partial one, an offset, fewer keys than the last query could see, and keys that no query sees (their dK, dV are 0).
    /// </summary>
    [Theory]
    [InlineData(70, 0, 70)]
    [InlineData(65, 3, 68)]
    [InlineData(40, 2, 45)]
    [InlineData(33, 0, 31)]
    public void ManyQueryBlocksEqualTheComposition(int tq, int offset, int tk)
    {
        var gen = new Generator(11);
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            double tol = dtype == DType.Float64 ? 1e-12 : 2e-5;
            var (q, k, v) = (Tensor.Randn([2, tq, 2, 5], gen, dtype), Tensor.Randn([2, tk, 2, 5], gen, dtype), Tensor.Randn([2, tk, 2, 3], gen, dtype));
            var g = Tensor.Randn([2, tq, 2, 3], gen, dtype);
            var (fused, fusedGrads) = Run(q, k, v, g, (a, b, c) => Tensor.CausalAttention(a, b, c, 0.4, offset));
            var (composed, composedGrads) = Run(q, k, v, g, (a, b, c) => Composed(a, b, c, 0.4, offset));
            AssertClose(composed, fused, tol);
            for (int i = 0; i < 3; i++) AssertClose(composedGrads[i], fusedGrads[i], tol);
            if (tk > tq + offset)
                foreach (var unseen in new[] { fusedGrads[1], fusedGrads[2] })
                    Assert.All(unseen.Narrow(1, tq + offset, tk - tq - offset).ToDoubleArray(), x => Assert.Equal(0.0, x));
        }
    }

    [Fact]
    public void GradientAcrossQueryBlocks()
    {
        var gen = new Generator(12);
        var (q, k, v) = (Tensor.Randn([1, 34, 1, 2], gen, DType.Float64), Tensor.Randn([1, 35, 1, 2], gen, DType.Float64), Tensor.Randn([1, 35, 1, 2], gen, DType.Float64));
        GradCheck.Assert(xs => Tensor.CausalAttention(xs[0], xs[1], xs[2], 0.6, 1), [q, k, v]);
    }

    static (Tensor y, Tensor[] grads) Run(Tensor q, Tensor k, Tensor v, Tensor g, Func<Tensor, Tensor, Tensor, Tensor> f)
    {
        var leaves = new[] { q, k, v }.Select(t => t.Detach().RequiresGrad_()).ToArray();
        var y = f(leaves[0], leaves[1], leaves[2]);
        (y * g).Sum().Backward();
        return (y.Detach(), leaves.Select(l => l.Grad!).ToArray());
    }

    static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"[{i}]: {a[i]} vs {e[i]}");
    }

    [Fact]
    public void AQueryGivesNoWeightToLaterKeys()
    {
        var gen = new Generator(5);
        var (q, k, v) = (Tensor.Randn([1, 3, 1, 2], gen), Tensor.Randn([1, 3, 1, 2], gen), Tensor.Randn([1, 3, 1, 2], gen));
        var z = Tensor.CausalAttention(q, k, v, 1.0);
        // query 0 sees only key 0, so its output is v[0] exactly; changing later values leaves it alone
        Assert.Equal(v.Select(1, 0).ToFloatArray(), z.Select(1, 0).ToFloatArray());
        var v2 = Tensor.Cat([v.Narrow(1, 0, 2), v.Narrow(1, 2, 1) + 100], 1);
        Assert.Equal(z.Narrow(1, 0, 2).ToFloatArray(), Tensor.CausalAttention(q, k, v2, 1.0).Narrow(1, 0, 2).ToFloatArray());
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 3, 1, 4 }, new[] { 2, 3, 1, 4 }, 0, "[batch, pos, head, d_head]")]
    [InlineData(new[] { 2, 3, 2, 4 }, new[] { 2, 3, 1, 4 }, new[] { 2, 3, 1, 4 }, 0, "batch and head dims differ")]
    [InlineData(new[] { 2, 3, 1, 4 }, new[] { 2, 3, 1, 5 }, new[] { 2, 3, 1, 4 }, 0, "different d_head")]
    [InlineData(new[] { 2, 3, 1, 4 }, new[] { 2, 3, 1, 4 }, new[] { 2, 2, 1, 4 }, 0, "different numbers of positions")]
    [InlineData(new[] { 2, 3, 1, 4 }, new[] { 2, 3, 1, 4 }, new[] { 2, 3, 1, 4 }, -1, "offset must be >= 0")]
    public void BadInputNamesTheOpAndTheShapes(int[] qs, int[] ks, int[] vs, int offset, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.CausalAttention(Tensor.Zeros(qs), Tensor.Zeros(ks), Tensor.Zeros(vs), 1.0, offset));
        Assert.Contains("causal_attention", e.Message);
        Assert.Contains(message, e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.CausalAttentionWithScores(Tensor.Zeros(qs), Tensor.Zeros(ks), Tensor.Zeros(vs), 1.0, offset));
        Assert.Contains("causal_attention_with_scores", e.Message);
        Assert.Contains(message, e.Message);
    }
}
