using Interp.Backends;
using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>
/// The register-tiled float32 attention for short contexts (CpuBackend.AttentionShort.cs, on AVX-512) against the
/// GEMM-based kernel and a float64 reference: z, the pattern, the cached scores and the gradients, on GPT-2's shape and on
/// sizes that reach every remainder (query groups of 4, key tiles of 32, d_head not a multiple of 8, dv not a multiple of 16).
/// </summary>
[Collection("Gemm")] // the kernel switch is global: run alone, as the GEMM tests do
public class ShortAttentionKernelTests
{
    [Theory]
    [InlineData(128, 128, 0, 64, 64)]   // GPT-2 small at 1 x 128
    [InlineData(37, 40, 3, 12, 40)]     // partial groups and tiles, e % 8 != 0, dv % 16 != 0
    [InlineData(5, 5, 0, 64, 48)]       // dv = 32 + 16
    [InlineData(1, 9, 8, 16, 16)]       // one new query over a cache of 8
    [InlineData(70, 75, 5, 8, 80)]
    [InlineData(3, 600, 597, 8, 16)]    // past the kernel's key limit: the GEMM path both times
    public void MatchesTheGemmKernelAndFloat64(int tq, int tk, int offset, int e, int dv)
    {
        var gen = new Generator(21);
        int b = 2, h = 3;
        // q and k as views of one [b, pos, 2, h, e] tensor (rows 2·h·e apart, as a fused QKV projection leaves them)
        var qk = Tensor.Randn([b, Math.Max(tq, tk), 2, h, e], gen);
        var q = qk.Narrow(1, 0, tq).Select(2, 0);
        var k = qk.Narrow(1, 0, tk).Select(2, 1);
        var v = Tensor.Randn([b, tk, h, dv], gen);
        var g = Tensor.Randn([b, tq, h, dv], gen);
        double scale = 1 / Math.Sqrt(e);

        var fast = Run(q, k, v, g, scale, offset, shortKernel: true);
        var gemm = Run(q, k, v, g, scale, offset, shortKernel: false);
        var exact = Run(q.To(DType.Float64), k.To(DType.Float64), v.To(DType.Float64), g.To(DType.Float64), scale, offset, shortKernel: true);
        for (int i = 0; i < fast.Length; i++)
        {
            AssertClose(exact[i], fast[i], 2e-5, $"output {i} vs float64");
            AssertClose(gemm[i], fast[i], 2e-5, $"output {i} vs the GEMM kernel");
        }
        // a cache of activations gets the scores masked with the mask value and the same z and pattern to the bit
        var (z, pattern, scores) = Tensor.CausalAttentionWithScores(q, k, v, scale, offset, -1e30);
        AssertClose(fast[0], z, 0, "z with scores");
        AssertClose(fast[1], pattern, 0, "pattern with scores");
        var expectedScores = (Tensor.Einsum("bqhe,bkhe->bhqk", q.To(DType.Float64), k.To(DType.Float64)) * scale)
            .MaskedFill(Tensor.CausalMask(tq, tk, offset, q.Device), -1e30);
        AssertClose(expectedScores, scores, 2e-5, "scores");
    }

    /// <summary>
    /// The cached-scores op runs the forward's kernel, whichever it is (short or GEMM-blocked, float32 or float64), on the
    /// same strided views: z and the pattern equal the forward's to the bit, the scores are the pattern's logits.
    /// </summary>
    [Theory]
    [InlineData(128, 128, 0, true, false)]
    [InlineData(128, 128, 0, false, false)]
    [InlineData(70, 75, 5, false, true)]
    [InlineData(40, 600, 560, true, false)]   // past the short kernel's key limit
    [InlineData(33, 600, 567, false, true)]
    public void WithScoresGivesTheForwardsOutputToTheBit(int tq, int tk, int offset, bool shortKernel, bool float64)
    {
        var gen = new Generator(5);
        int b = 2, h = 3, e = 16;
        var qkv = Tensor.Randn([b, tk, 3, h, e], gen);
        if (float64) qkv = qkv.To(DType.Float64);
        var (q, k, v) = (qkv.Narrow(1, tk - tq, tq).Select(2, 0), qkv.Select(2, 1), qkv.Select(2, 2));
        bool saved = CpuBackend.ShortAttention;
        CpuBackend.ShortAttention = shortKernel;
        try
        {
            var z = Tensor.CausalAttention(q, k, v, 0.25, offset);
            var (zCached, pattern, scores) = Tensor.CausalAttentionWithScores(q, k, v, 0.25, offset, -1e30);
            AssertClose(z, zCached, 0, "z");
            var softmaxed = scores.Softmax(-1);
            AssertClose(softmaxed, pattern, 1e-5, "pattern vs softmax(scores)");
        }
        finally { CpuBackend.ShortAttention = saved; }
    }

    /// <summary>z, the pattern (from the cached-scores op), and dq, dk, dv of Σ g⊙z.</summary>
    static Tensor[] Run(Tensor q, Tensor k, Tensor v, Tensor g, double scale, int offset, bool shortKernel)
    {
        bool saved = CpuBackend.ShortAttention;
        CpuBackend.ShortAttention = shortKernel;
        try
        {
            var leaves = new[] { q, k, v }.Select(t => t.Detach().RequiresGrad_()).ToArray();
            var z = Tensor.CausalAttention(leaves[0], leaves[1], leaves[2], scale, offset);
            (z * g).Sum().Backward();
            var pattern = Tensor.CausalAttentionWithScores(q, k, v, scale, offset).Pattern;
            return [z.Detach(), pattern, leaves[0].Grad!, leaves[1].Grad!, leaves[2].Grad!];
        }
        finally { CpuBackend.ShortAttention = saved; }
    }

    static void AssertClose(Tensor expected, Tensor actual, double tol, string what)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"{what} [{i}]: {a[i]} vs {e[i]}");
    }

    [Fact]
    public void ANaNScoreSpoilsOnlyTheRowsThatSeeIt()
    {
        // the kernel's max may drop a NaN, but its own e^(s − max) is NaN: rows that see key 2 become NaN, earlier rows do not
        var gen = new Generator(3);
        var (q, k, v) = (Tensor.Randn([1, 6, 1, 16], gen), Tensor.Randn([1, 6, 1, 16], gen), Tensor.Randn([1, 6, 1, 16], gen));
        var kData = k.ToFloatArray();
        kData[2 * 16 + 5] = float.NaN;
        var z = Tensor.CausalAttention(q, Tensor.FromArray(kData, [1, 6, 1, 16]), v, 0.25).ToFloatArray();
        for (int i = 0; i < 6; i++)
            for (int c = 0; c < 16; c++) Assert.Equal(i >= 2, float.IsNaN(z[i * 16 + c]));
    }
}
