using System.Numerics;
using Interp.Cpu;

namespace Interp.Backends;

/// <summary>
/// The fused causal attention of CpuBackend.Attention.cs, keeping the scores: the same kernel, which copies each row of
/// scores out before softmaxing it in place (so a cache of activations gets both, and the forward's z to the bit,
/// without the op-by-op path's scaled, masked and softmaxed copies).
/// </summary>
public sealed unsafe partial class CpuBackend
{
    public (Tensor z, Tensor pattern, Tensor scores) CausalAttentionWithScores(Tensor q, Tensor k, Tensor v, double scale, int offset, double maskValue)
    {
        RequireFloat("causal_attention_with_scores", q);
        (q, k, v) = (RowsInPlace(q), RowsInPlace(k), RowsInPlace(v));
        int b = q.shape[0], tq = q.shape[1], h = q.shape[2], tk = k.shape[1], dv = v.shape[3];
        var z = Tensor.Empty([b, tq, h, dv], q.DType);
        var pattern = Tensor.Empty([b, h, tq, tk], q.DType);
        var scores = Tensor.Empty([b, h, tq, tk], q.DType);
        if (ShortAttentionApplies(q, k)) ShortAttentionForward(q, k, v, z, pattern, scores, (float)scale, offset, (float)maskValue);
        else if (q.DType == DType.Float32) AttentionForward<float>(q, k, v, z, pattern, scores, (float)scale, offset, (float)maskValue);
        else AttentionForward<double>(q, k, v, z, pattern, scores, scale, offset, maskValue);
        return (z, pattern, scores);
    }

    /// <summary>A row of scores as the op-by-op path leaves it: keys 0 … visible − 1 as computed, the hidden ones = mask.</summary>
    static void KeepScoresRow<T>(T* row, T* scores, int visible, int tk, T mask) where T : unmanaged
    {
        new Span<T>(row, visible).CopyTo(new Span<T>(scores, visible));
        new Span<T>(scores + visible, tk - visible).Fill(mask);
    }
}
