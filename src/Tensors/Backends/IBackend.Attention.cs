namespace Interp.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Causal scaled dot-product attention on TransformerLens's layout: q [batch, q, head, d_head], k [batch, k, head,
    /// d_head], v [batch, k, head, d_v]. Per batch b and head h: S = scale·q_bh·k_bhᵀ, key j hidden from query i when
    /// j &gt; i + offset (its weight exactly 0), P = softmax of S over the visible keys, z_bh = P·v_bh.
    /// Returns z [batch, q, head, d_v] and the pattern P [batch, head, q, k], which the backward reads.
    /// This default composes the other kernels (two permuted batched matmuls, a mask and a softmax); a backend may fuse it.
    /// </summary>
    (Tensor z, Tensor pattern) CausalAttention(Tensor q, Tensor k, Tensor v, double scale, int offset)
    {
        var scores = Binary(BinaryOp.Mul, MatMul(Heads(q), HeadsTransposed(k)), Tensor.Scalar(scale, q.DType, q.Device));
        var future = Tensor.CausalMask(q.shape[1], k.shape[1], offset, q.Device);
        var pattern = Softmax(Where(future, Tensor.Scalar(-1e30, q.DType, q.Device), scores), 3, log: false);
        return (BackToPositions(MatMul(pattern, Heads(v))), pattern);
    }

    /// <summary>
    /// The gradients of <see cref="CausalAttention"/> from dz and the saved pattern P: dV = Pᵀ·dZ, dP = dZ·Vᵀ,
    /// dS = P ⊙ (dP − Σ_keys dP⊙P), dQ = scale·dS·K, dK = scale·dSᵀ·Q (each in the inputs' layout). The forward's
    /// <paramref name="offset"/> says which keys each query saw (a backend may skip the products with the hidden ones).
    /// </summary>
    (Tensor dq, Tensor dk, Tensor dv) CausalAttentionBackward(Tensor dz, Tensor q, Tensor k, Tensor v, Tensor pattern, double scale, int offset)
    {
        var dzHeads = Heads(dz);
        var dv = MatMul(Transposed(pattern), dzHeads);
        var ds = SoftmaxBackward(pattern, MatMul(dzHeads, HeadsTransposed(v)), 3, log: false);
        ds = Binary(BinaryOp.Mul, ds, Tensor.Scalar(scale, q.DType, q.Device));
        return (BackToPositions(MatMul(ds, Heads(k))), BackToPositions(MatMul(Transposed(ds), Heads(q))), BackToPositions(dv));
    }

    /// <summary>
    /// <see cref="CausalAttentionBackward"/> written into <paramref name="dq"/>, <paramref name="dk"/> and
    /// <paramref name="dv"/> (views of the inputs' shapes, for instance the q, k, v slices of one packed gradient), so the
    /// caller needs no copy to put them together. This default copies the three results there; a backend may write in place.
    /// </summary>
    void CausalAttentionBackwardInto(Tensor dz, Tensor q, Tensor k, Tensor v, Tensor pattern, double scale, int offset, Tensor dq, Tensor dk, Tensor dv)
    {
        var (gq, gk, gv) = CausalAttentionBackward(dz, q, k, v, pattern, scale, offset);
        Copy(gq, dq);
        Copy(gk, dk);
        Copy(gv, dv);
    }

    /// <summary>[batch, pos, head, d] viewed as [batch, head, pos, d] (no copy; also [b, h, p, d] as [b, p, h, d]).</summary>
    private static Tensor Heads(Tensor x) => Permuted(x, 0, 2, 1, 3);

    /// <summary>[batch, pos, head, d] viewed as [batch, head, d, pos].</summary>
    private static Tensor HeadsTransposed(Tensor x) => Permuted(x, 0, 2, 3, 1);

    /// <summary>The last two dims swapped (a view).</summary>
    private static Tensor Transposed(Tensor x) => Permuted(x, 0, 1, 3, 2);

    private static Tensor Permuted(Tensor x, params int[] dims) =>
        new(x.Storage, dims.Select(d => x.shape[d]).ToArray(), dims.Select(d => x.strides[d]).ToArray(), x.Offset);

    /// <summary>[batch, head, pos, d] as a new contiguous [batch, pos, head, d].</summary>
    private Tensor BackToPositions(Tensor x)
    {
        var o = Tensor.Empty([x.shape[0], x.shape[2], x.shape[1], x.shape[3]], x.DType, x.Device);
        Copy(Heads(x), o);
        return o;
    }
}
