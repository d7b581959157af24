using System.Buffers;
using System.Numerics;
using Interp.Cpu;

namespace Interp.Backends;

/// <summary>
/// Fused causal attention: one task per (batch, head) runs its two GEMMs straight on the strided [batch, pos, head, d]
/// operands (row stride head·d, no permuted copies) and the scale, mask and softmax in one pass over each row of scores.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    public (Tensor z, Tensor pattern) CausalAttention(Tensor q, Tensor k, Tensor v, double scale, int offset)
    {
        RequireFloat("causal_attention", q);
        (q, k, v) = (Dense(q), Dense(k), Dense(v));
        int b = q.shape[0], tq = q.shape[1], h = q.shape[2], tk = k.shape[1], dv = v.shape[3];
        var z = Tensor.Empty([b, tq, h, dv], q.DType);
        var pattern = Tensor.Empty([b, h, tq, tk], q.DType);
        if (q.DType == DType.Float32) AttentionForward<float>(q, k, v, z, pattern, (float)scale, offset);
        else AttentionForward<double>(q, k, v, z, pattern, scale, offset);
        return (z, pattern);
    }

    public (Tensor dq, Tensor dk, Tensor dv) CausalAttentionBackward(Tensor dz, Tensor q, Tensor k, Tensor v, Tensor pattern, double scale)
    {
        RequireFloat("causal_attention_backward", q);
        (dz, q, k, v, pattern) = (Dense(dz.DType == q.DType ? dz : ToDType(dz, q.DType)), Dense(q), Dense(k), Dense(v), Dense(pattern));
        var (dq, dk, dv) = (Tensor.Empty(q.ShapeArray, q.DType), Tensor.Empty(k.ShapeArray, q.DType), Tensor.Empty(v.ShapeArray, q.DType));
        if (q.DType == DType.Float32) AttentionBackward<float>(dz, q, k, v, pattern, dq, dk, dv, (float)scale);
        else AttentionBackward<double>(dz, q, k, v, pattern, dq, dk, dv, scale);
        return (dq, dk, dv);
    }

    /// <summary>Per (b, h): P = scale·q·kᵀ into the pattern, row i softmaxed over keys 0 … i + offset and 0 after, z = P·v.</summary>
    static void AttentionForward<T>(Tensor q, Tensor k, Tensor v, Tensor z, Tensor pattern, T scale, int offset) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = q.shape[0], tq = q.shape[1], h = q.shape[2], e = q.shape[3], tk = k.shape[1], dv = v.shape[3];
        T* pq = Ptr<T>(q) + q.Offset, pk = Ptr<T>(k) + k.Offset, pv = Ptr<T>(v) + v.Offset, pz = Ptr<T>(z), pp = Ptr<T>(pattern);
        using var alive = new KeepAlive(q, k, v, z, pattern);
        ForRows(b * h, tq * tk * (e + dv), bh =>
        {
            int bi = bh / h, hi = bh % h;
            T* qb = pq + ((long)bi * tq * h + hi) * e, kb = pk + ((long)bi * tk * h + hi) * e;
            T* vb = pv + ((long)bi * tk * h + hi) * dv, zb = pz + ((long)bi * tq * h + hi) * dv, p = pp + (long)bh * tq * tk;
            Gemm.Run(new GemmProblem<T>(false, true, tq, tk, e, scale, qb, h * e, kb, h * e, T.Zero, p, tk), 1);
            for (int i = 0; i < tq; i++)
            {
                T* row = p + (long)i * tk;
                int visible = Math.Min(tk, i + offset + 1);
                SoftmaxRow(row, row, visible);
                new Span<T>(row + visible, tk - visible).Clear();
            }
            Gemm.Run(new GemmProblem<T>(false, false, tq, dv, tk, T.One, p, tk, vb, h * dv, T.Zero, zb, h * dv), 1);
        });
    }

    /// <summary>Per (b, h): dV = Pᵀ·dZ, dP = dZ·Vᵀ, dS = P⊙(dP − Σ dP⊙P) (in dP's buffer), dQ = scale·dS·K, dK = scale·dSᵀ·Q.</summary>
    static void AttentionBackward<T>(Tensor dz, Tensor q, Tensor k, Tensor v, Tensor pattern, Tensor dq, Tensor dk, Tensor dv, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = q.shape[0], tq = q.shape[1], h = q.shape[2], e = q.shape[3], tk = k.shape[1], ev = v.shape[3];
        T* pdz = Ptr<T>(dz) + dz.Offset, pq = Ptr<T>(q) + q.Offset, pk = Ptr<T>(k) + k.Offset, pv = Ptr<T>(v) + v.Offset;
        T* pp = Ptr<T>(pattern) + pattern.Offset, pdq = Ptr<T>(dq), pdk = Ptr<T>(dk), pdv = Ptr<T>(dv);
        using var alive = new KeepAlive(dz, q, k, v, pattern, dq, dk, dv);
        ForRows(b * h, 2 * tq * tk * (e + ev), bh =>
        {
            int bi = bh / h, hi = bh % h;
            long qAt = (long)bi * tq * h + hi, kAt = (long)bi * tk * h + hi;
            T* p = pp + (long)bh * tq * tk, dzb = pdz + qAt * ev, qb = pq + qAt * e, kb = pk + kAt * e, vb = pv + kAt * ev;
            Gemm.Run(new GemmProblem<T>(true, false, tk, ev, tq, T.One, p, tk, dzb, h * ev, T.Zero, pdv + kAt * ev, h * ev), 1);
            var dsBuffer = ArrayPool<T>.Shared.Rent(tq * tk);
            fixed (T* ds = dsBuffer)
            {
                Gemm.Run(new GemmProblem<T>(false, true, tq, tk, ev, T.One, dzb, h * ev, vb, h * ev, T.Zero, ds, tk), 1);
                for (int i = 0; i < tq; i++) SoftmaxBackwardRow(p + (long)i * tk, ds + (long)i * tk, ds + (long)i * tk, tk);
                Gemm.Run(new GemmProblem<T>(false, false, tq, e, tk, scale, ds, tk, kb, h * e, T.Zero, pdq + qAt * e, h * e), 1);
                Gemm.Run(new GemmProblem<T>(true, false, tk, e, tq, scale, ds, tk, qb, h * e, T.Zero, pdk + kAt * e, h * e), 1);
            }
            ArrayPool<T>.Shared.Return(dsBuffer);
        });
    }
}
