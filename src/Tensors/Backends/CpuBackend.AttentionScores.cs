using System.Numerics;
using Interp.Cpu;

namespace Interp.Backends;

/// <summary>
/// The fused causal attention of CpuBackend.Attention.cs, keeping the scores: each row of scores is written once by the
/// GEMM, its hidden keys set to the mask value, and softmaxed into the pattern's row (so a cache of activations gets
/// both without the op-by-op path's scaled, masked and softmaxed copies).
/// </summary>
public sealed unsafe partial class CpuBackend
{
    public (Tensor z, Tensor pattern, Tensor scores) CausalAttentionWithScores(Tensor q, Tensor k, Tensor v, double scale, int offset, double maskValue)
    {
        RequireFloat("causal_attention_with_scores", q);
        (q, k, v) = (Dense(q), Dense(k), Dense(v));
        int b = q.shape[0], tq = q.shape[1], h = q.shape[2], tk = k.shape[1], dv = v.shape[3];
        var z = Tensor.Empty([b, tq, h, dv], q.DType);
        var pattern = Tensor.Empty([b, h, tq, tk], q.DType);
        var scores = Tensor.Empty([b, h, tq, tk], q.DType);
        if (ShortAttentionApplies(q, k)) ShortAttentionForward(q, k, v, z, pattern, scores, (float)scale, offset, (float)maskValue);
        else if (q.DType == DType.Float32) AttentionWithScores<float>(q, k, v, z, pattern, scores, (float)scale, offset, (float)maskValue);
        else AttentionWithScores<double>(q, k, v, z, pattern, scores, scale, offset, maskValue);
        return (z, pattern, scores);
    }

    /// <summary>Per (b, h): S = scale·q·kᵀ, S's hidden keys = mask, P's row i = softmax of S's keys 0 … i + offset and 0 after, z = P·v.</summary>
    static void AttentionWithScores<T>(Tensor q, Tensor k, Tensor v, Tensor z, Tensor pattern, Tensor scores, T scale, int offset, T mask)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = q.shape[0], tq = q.shape[1], h = q.shape[2], e = q.shape[3], tk = k.shape[1], dv = v.shape[3];
        T* pq = Ptr<T>(q) + q.Offset, pk = Ptr<T>(k) + k.Offset, pv = Ptr<T>(v) + v.Offset, pz = Ptr<T>(z), pp = Ptr<T>(pattern), ps = Ptr<T>(scores);
        using var alive = new KeepAlive(q, k, v, z, pattern, scores);
        ForRows(b * h, tq * tk * (e + dv), bh =>
        {
            int bi = bh / h, hi = bh % h;
            T* qb = pq + ((long)bi * tq * h + hi) * e, kb = pk + ((long)bi * tk * h + hi) * e;
            T* vb = pv + ((long)bi * tk * h + hi) * dv, zb = pz + ((long)bi * tq * h + hi) * dv;
            T* p = pp + (long)bh * tq * tk, s = ps + (long)bh * tq * tk;
            Gemm.Run(new GemmProblem<T>(false, true, tq, tk, e, scale, qb, h * e, kb, h * e, T.Zero, s, tk), 1);
            for (int i = 0; i < tq; i++)
            {
                T* srow = s + (long)i * tk, prow = p + (long)i * tk;
                int visible = Math.Min(tk, i + offset + 1);
                SoftmaxRow(srow, prow, visible);
                new Span<T>(prow + visible, tk - visible).Clear();
                new Span<T>(srow + visible, tk - visible).Fill(mask);
            }
            Gemm.Run(new GemmProblem<T>(false, false, tq, dv, tk, T.One, p, tk, vb, h * dv, T.Zero, zb, h * dv), 1);
        });
    }
}
