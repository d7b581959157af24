using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using Interp.Cpu;

namespace Interp.Backends;

/// <summary>
/// Fused causal attention: one task per (batch, head) runs its GEMMs straight on the strided [batch, pos, head, d]
/// operands (row stride head·d, no permuted copies), block of queries by block, each block's products only over the keys
/// it may see, and the scale, mask and softmax in one pass over each row of scores.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    public (Tensor z, Tensor pattern) CausalAttention(Tensor q, Tensor k, Tensor v, double scale, int offset)
    {
        RequireFloat("causal_attention", q);
        (q, k, v) = (RowsInPlace(q), RowsInPlace(k), RowsInPlace(v));
        int b = q.shape[0], tq = q.shape[1], h = q.shape[2], tk = k.shape[1], dv = v.shape[3];
        var z = Tensor.Empty([b, tq, h, dv], q.DType);
        var pattern = Tensor.Empty([b, h, tq, tk], q.DType);
        if (ShortAttentionApplies(q, k)) ShortAttentionForward(q, k, v, z, pattern, null, (float)scale, offset, 0);
        else if (q.DType == DType.Float32) AttentionForward<float>(q, k, v, z, pattern, null, (float)scale, offset, 0);
        else AttentionForward<double>(q, k, v, z, pattern, null, scale, offset, 0);
        return (z, pattern);
    }

    public (Tensor dq, Tensor dk, Tensor dv) CausalAttentionBackward(Tensor dz, Tensor q, Tensor k, Tensor v, Tensor pattern, double scale, int offset)
    {
        var (dq, dk, dv) = (Tensor.Empty(q.ShapeArray, q.DType), Tensor.Empty(k.ShapeArray, q.DType), Tensor.Empty(v.ShapeArray, q.DType));
        CausalAttentionBackwardInto(dz, q, k, v, pattern, scale, offset, dq, dk, dv);
        return (dq, dk, dv);
    }

    /// <summary>
    /// The backward's GEMMs read q, k, v where they lie and write dq, dk, dv where they go when each has its elements
    /// contiguous along d (the slices of a packed [batch, pos, 3, head, d] tensor: rows 3·h·d apart); anything else goes
    /// through a contiguous copy.
    /// </summary>
    public void CausalAttentionBackwardInto(Tensor dz, Tensor q, Tensor k, Tensor v, Tensor pattern, double scale, int offset, Tensor dq, Tensor dk, Tensor dv)
    {
        const string op = "causal_attention_backward";
        RequireFloat(op, q);
        foreach (var (name, grad, input) in new[] { ("dq", dq, q), ("dk", dk, k), ("dv", dv, v) })
            if (!ShapeUtil.SameShape(grad.shape, input.shape) || grad.DType != q.DType || grad.Device != Device.Cpu)
                throw new ArgumentException($"{op}: {name} must be a {q.DType.Name()} CPU tensor of shape {ShapeUtil.Format(input.shape)}, got {grad.DType.Name()} {ShapeUtil.Format(grad.shape)} on {grad.Device}");
        (dz, q, k, v, pattern) = (Dense(dz.DType == q.DType ? dz : ToDType(dz, q.DType)), RowsInPlace(q), RowsInPlace(k), RowsInPlace(v), Dense(pattern));
        var targets = new[] { dq, dk, dv };
        var outs = targets.Select(t => WritableInPlace(t) ? t : Tensor.Empty(t.ShapeArray, t.DType)).ToArray();
        if (q.DType == DType.Float32) AttentionBackward<float>(dz, q, k, v, pattern, outs[0], outs[1], outs[2], (float)scale, offset);
        else AttentionBackward<double>(dz, q, k, v, pattern, outs[0], outs[1], outs[2], scale, offset);
        for (int i = 0; i < 3; i++) if (!ReferenceEquals(outs[i], targets[i])) Copy(outs[i], targets[i]);
    }

    /// <summary>Whether the backward's GEMMs can write a gradient where it lies: contiguous along d, the rows of
    /// different (batch, pos, head) apart without overlapping (so a broadcast view, stride 0, is not).</summary>
    static bool WritableInPlace(Tensor x) =>
        x.strides[3] == 1 && x.strides[2] >= x.shape[3] && x.strides[1] >= x.shape[2] * x.strides[2] && x.strides[0] >= x.shape[1] * x.strides[1];

    /// <summary>
    /// x itself when its GEMMs can read it where it lies (elements contiguous along d, other strides non-negative: the
    /// q, k and v views of a fused QKV projection, rows 3·h·e apart), else a contiguous copy.
    /// </summary>
    Tensor RowsInPlace(Tensor x) =>
        x.strides[3] == 1 && x.strides[0] >= 0 && x.strides[1] >= 0 && x.strides[2] >= 0 ? x : Dense(x);

    /// <summary>
    /// Queries go in blocks of this many rows: a block's rows see no key after its last row's, so its two GEMMs stop
    /// there (at 128 positions, 62.5 % of the full products' work). 32 rows fill the AVX-512 kernel's 12-row tiles well.
    /// </summary>
    const int QueryBlock = 32;

    /// <summary>Keys visible to some query of rows [r0, r1): those up to the last row's own position.</summary>
    static int VisibleKeys(int r1, int offset, int tk) => Math.Min(tk, r1 + offset);

    /// <summary>
    /// Per (b, h) and query block [r0, r1) over its visible keys [0, vis): P = scale·q·kᵀ into the pattern, row i
    /// softmaxed over keys 0 … i + offset and 0 after (the pattern is written in full), z = P·v. With scores (the cached
    /// path, CpuBackend.AttentionScores.cs) each row of scale·q·kᵀ is also kept there, its hidden keys set to mask.
    /// </summary>
    static void AttentionForward<T>(Tensor q, Tensor k, Tensor v, Tensor z, Tensor pattern, Tensor? scores, T scale, int offset, T mask)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = q.shape[0], tq = q.shape[1], h = q.shape[2], e = q.shape[3], tk = k.shape[1], dv = v.shape[3];
        T* pq = Ptr<T>(q) + q.Offset, pk = Ptr<T>(k) + k.Offset, pv = Ptr<T>(v) + v.Offset, pz = Ptr<T>(z), pp = Ptr<T>(pattern);
        T* ps = scores is null ? null : Ptr<T>(scores);
        int qRow = q.strides[1], kRow = k.strides[1], vRow = v.strides[1];   // q, k, v element (b, t, h, d) at b·s0 + t·s1 + h·s2 + d
        using var alive = new KeepAlive(q, k, v, z, pattern, scores ?? pattern);
        ForRows(b * h, tq * tk * (e + dv), bh =>
        {
            int bi = bh / h, hi = bh % h;
            T* qb = pq + (long)bi * q.strides[0] + (long)hi * q.strides[2], kb = pk + (long)bi * k.strides[0] + (long)hi * k.strides[2];
            T* vb = pv + (long)bi * v.strides[0] + (long)hi * v.strides[2], zb = pz + ((long)bi * tq * h + hi) * dv, p = pp + (long)bh * tq * tk;
            for (int r0 = 0; r0 < tq; r0 += QueryBlock)
            {
                int rows = Math.Min(QueryBlock, tq - r0), vis = VisibleKeys(r0 + rows, offset, tk);
                T* pBlock = p + (long)r0 * tk;
                Gemm.Run(new GemmProblem<T>(false, true, rows, vis, e, scale, qb + (long)r0 * qRow, qRow, kb, kRow, T.Zero, pBlock, tk), 1);
                for (int i = r0; i < r0 + rows; i++)
                {
                    T* row = p + (long)i * tk;
                    int visible = Math.Min(tk, i + offset + 1);
                    if (ps != null) KeepScoresRow(row, ps + ((long)bh * tq + i) * tk, visible, tk, mask);
                    // masked keys up to a whole vector count as −∞ (e^−∞ = 0): the softmax then runs no scalar tail
                    int whole = Math.Min(tk, (visible + Vector256<T>.Count - 1) / Vector256<T>.Count * Vector256<T>.Count);
                    new Span<T>(row + visible, whole - visible).Fill(T.NegativeInfinity);
                    SoftmaxRow(row, row, whole);
                    new Span<T>(row + whole, tk - whole).Clear();
                }
                Gemm.Run(new GemmProblem<T>(false, false, rows, dv, vis, T.One, pBlock, tk, vb, vRow, T.Zero, zb + (long)r0 * h * dv, h * dv), 1);
            }
        });
    }

    /// <summary>
    /// Per (b, h) and query block [r0, r1) over its visible keys [0, vis), the last block first (it sees the most keys,
    /// and its products initialise dV and dK; earlier blocks add to theirs): dV += Pᵀ·dZ, dP = dZ·Vᵀ,
    /// dS = P⊙(dP − Σ dP⊙P) (in dP's buffer), dQ = scale·dS·K, dK += scale·dSᵀ·Q. Keys no query sees get dK = dV = 0.
    /// </summary>
    static void AttentionBackward<T>(Tensor dz, Tensor q, Tensor k, Tensor v, Tensor pattern, Tensor dq, Tensor dk, Tensor dv, T scale, int offset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = q.shape[0], tq = q.shape[1], h = q.shape[2], e = q.shape[3], tk = k.shape[1], ev = v.shape[3];
        T* pdz = Ptr<T>(dz) + dz.Offset, pq = Ptr<T>(q) + q.Offset, pk = Ptr<T>(k) + k.Offset, pv = Ptr<T>(v) + v.Offset;
        T* pp = Ptr<T>(pattern) + pattern.Offset, pdq = Ptr<T>(dq) + dq.Offset, pdk = Ptr<T>(dk) + dk.Offset, pdv = Ptr<T>(dv) + dv.Offset;
        // element (b, t, h, d) of each at b·s0 + t·s1 + h·s2 + d: dense, or the slices of a packed q, k, v (rows 3·h·d apart)
        int zRow = dz.strides[1], qRow = q.strides[1], kRow = k.strides[1], vRow = v.strides[1];
        int dqRow = dq.strides[1], dkRow = dk.strides[1], dvRow = dv.strides[1];
        using var alive = new KeepAlive(dz, q, k, v, pattern, dq, dk, dv);
        ForRows(b * h, 2 * tq * tk * (e + ev), bh =>
        {
            int bi = bh / h, hi = bh % h;
            T* p = pp + (long)bh * tq * tk;
            T* dzb = pdz + (long)bi * dz.strides[0] + (long)hi * dz.strides[2], qb = pq + (long)bi * q.strides[0] + (long)hi * q.strides[2];
            T* kb = pk + (long)bi * k.strides[0] + (long)hi * k.strides[2], vb = pv + (long)bi * v.strides[0] + (long)hi * v.strides[2];
            T* dqb = pdq + (long)bi * dq.strides[0] + (long)hi * dq.strides[2], dkb = pdk + (long)bi * dk.strides[0] + (long)hi * dk.strides[2];
            T* dvb = pdv + (long)bi * dv.strides[0] + (long)hi * dv.strides[2];
            var dsBuffer = ArrayPool<T>.Shared.Rent(QueryBlock * tk);
            fixed (T* ds = dsBuffer)
            {
                int lastStart = tq == 0 ? -1 : (tq - 1) / QueryBlock * QueryBlock;
                for (int r0 = lastStart; r0 >= 0; r0 -= QueryBlock)
                {
                    int rows = Math.Min(QueryBlock, tq - r0), vis = VisibleKeys(r0 + rows, offset, tk);
                    T beta = r0 == lastStart ? T.Zero : T.One;
                    T* pBlock = p + (long)r0 * tk, dzBlock = dzb + (long)r0 * zRow, qBlock = qb + (long)r0 * qRow;
                    Gemm.Run(new GemmProblem<T>(true, false, vis, ev, rows, T.One, pBlock, tk, dzBlock, zRow, beta, dvb, dvRow), 1);
                    Gemm.Run(new GemmProblem<T>(false, true, rows, vis, ev, T.One, dzBlock, zRow, vb, vRow, T.Zero, ds, vis), 1);
                    for (int i = 0; i < rows; i++) SoftmaxBackwardRow(pBlock + (long)i * tk, ds + (long)i * vis, ds + (long)i * vis, vis);
                    Gemm.Run(new GemmProblem<T>(false, false, rows, e, vis, scale, ds, vis, kb, kRow, T.Zero, dqb + (long)r0 * dqRow, dqRow), 1);
                    Gemm.Run(new GemmProblem<T>(true, false, vis, e, rows, scale, ds, vis, qBlock, qRow, beta, dkb, dkRow), 1);
                }
                ClearRows(dkb, dvb, tq == 0 ? 0 : VisibleKeys(tq, offset, tk), tk, dkRow, dvRow, e, ev);
            }
            ArrayPool<T>.Shared.Return(dsBuffer);
        });
    }

    /// <summary>Zeroes rows [from, to) of one head's dK and dV (row strides dkRow and dvRow): keys that no query sees.</summary>
    static void ClearRows<T>(T* dk, T* dv, int from, int to, int dkRow, int dvRow, int e, int ev) where T : unmanaged
    {
        for (int j = from; j < to; j++)
        {
            new Span<T>(dk + (long)j * dkRow, e).Clear();
            new Span<T>(dv + (long)j * dvRow, ev).Clear();
        }
    }
}
