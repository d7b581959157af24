using Interp.Autograd;

namespace Interp;

/// <summary>
/// Causal scaled dot-product attention as one op (torch.nn.functional.scaled_dot_product_attention with is_causal), on
/// TransformerLens's [batch, pos, head, d_head] layout, with a fused backward. It saves q, k, v and the pattern, as
/// PyTorch's math path does.
/// </summary>
public static class CausalAttentionOps
{
    extension(Tensor)
    {
        /// <summary>
        /// z[b, i, h] = Σ_j P[b, h, i, j]·v[b, j, h] with P = softmax_j(scale·q[b, i, h]·k[b, j, h]) over the keys
        /// j ≤ i + <paramref name="offset"/> (later keys get weight 0; offset is the number of cached positions before the
        /// first query). q [batch, q, head, d_head], k [batch, k, head, d_head], v [batch, k, head, d_v] → [batch, q, head, d_v].
        /// </summary>
        public static Tensor CausalAttention(Tensor q, Tensor k, Tensor v, double scale, int offset = 0)
        {
            const string name = "causal_attention";
            Validate(q, k, v, offset);
            var (z, pattern) = q.Backend.CausalAttention(q, k, v, scale, offset);
            return Graph.Record(name, z, [q, k, v], g =>
            {
                var (dq, dk, dv) = q.Backend.CausalAttentionBackward(g, q.Detach(), k.Detach(), v.Detach(), pattern, scale, offset);
                return [Graph.FusedBackward(name, dq, g, q, k, v), Graph.FusedBackward(name, dk, g, q, k, v), Graph.FusedBackward(name, dv, g, q, k, v)];
            });
        }

        /// <summary>
        /// <see cref="CausalAttention"/> that also hands back what it computed on the way, for a cache of activations to
        /// keep: the scores scale·q·kᵀ [batch, head, q, k] with every hidden key's score <paramref name="maskValue"/>
        /// (as the op-by-op path masks them) and the pattern. z has CausalAttention's gradient; the scores and the pattern
        /// are outside the graph (a hook that must see them in the graph needs the op-by-op path).
        /// </summary>
        public static (Tensor Z, Tensor Pattern, Tensor Scores) CausalAttentionWithScores(Tensor q, Tensor k, Tensor v, double scale, int offset = 0,
            double maskValue = -1e30)
        {
            const string name = "causal_attention_with_scores";
            Validate(q, k, v, offset, name);
            var (z, pattern, scores) = q.Backend.CausalAttentionWithScores(q, k, v, scale, offset, maskValue);
            z = Graph.Record(name, z, [q, k, v], g =>
            {
                var (dq, dk, dv) = q.Backend.CausalAttentionBackward(g, q.Detach(), k.Detach(), v.Detach(), pattern, scale, offset);
                return [Graph.FusedBackward(name, dq, g, q, k, v), Graph.FusedBackward(name, dk, g, q, k, v), Graph.FusedBackward(name, dv, g, q, k, v)];
            });
            return (z, pattern, scores);
        }
    }

    extension(Tensor)
    {
        /// <summary>
        /// <see cref="CausalAttention"/> on q, k and v packed in one tensor, qkv [batch, pos, 3, head, d_head] (q, k, v
        /// along dim 2, as one product x·[W_Q | W_K | W_V] lays them out), with no cached positions. Its gradient is one
        /// tensor of qkv's shape, so the three projections' backward is one product too (a toy GPT step's QKV
        /// projections as three products each way took 4 more GEMM calls a layer, and 2 gradient additions).
        /// </summary>
        public static Tensor CausalAttentionPacked(Tensor qkv, double scale)
        {
            const string name = "causal_attention_packed";
            Check.Float(name, qkv);
            if (qkv.Rank != 5 || qkv.shape[2] != 3)
                throw new ArgumentException($"{name}: qkv must be [batch, pos, 3, head, d_head] (q, k, v along dim 2), got {ShapeUtil.Format(qkv.shape)}");
            if (qkv.shape[1] == 0) throw new ArgumentException($"{name}: no positions to attend to: qkv {ShapeUtil.Format(qkv.shape)}");
            var packed = qkv.Detach();
            var (q, k, v) = (packed.Select(2, 0), packed.Select(2, 1), packed.Select(2, 2));
            var (z, pattern) = qkv.Backend.CausalAttention(q, k, v, scale, 0);
            return Graph.Record(name, z, [qkv], g =>
            {
                var dqkv = Tensor.Empty(qkv.ShapeArray, qkv.DType, qkv.Device);
                qkv.Backend.CausalAttentionBackwardInto(g, q, k, v, pattern, scale, 0, Part(dqkv, 0), Part(dqkv, 1), Part(dqkv, 2));
                return [Graph.FusedBackward(name, dqkv, g, qkv)];
            });
        }
    }

    /// <summary>Part i of packed [b, p, 3, h, e] as a [b, p, h, e] view, outside the graph and unchecked (its values may be unwritten yet).</summary>
    static Tensor Part(Tensor packed, int i)
    {
        var (shape, strides) = (packed.shape, packed.strides);
        return new Tensor(packed.Storage, [shape[0], shape[1], shape[3], shape[4]], [strides[0], strides[1], strides[3], strides[4]], packed.Offset + i * strides[2]);
    }

    static void Validate(Tensor q, Tensor k, Tensor v, int offset, string name = "causal_attention")
    {
        Check.Float(name, q);
        Check.SameDevice(name, q, k, v);
        Check.SameDType(name, q, k);
        Check.SameDType(name, q, v);
        string shapes = $"q {ShapeUtil.Format(q.shape)}, k {ShapeUtil.Format(k.shape)}, v {ShapeUtil.Format(v.shape)}";
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
            throw new ArgumentException($"{name}: q, k and v must be [batch, pos, head, d_head], got {shapes}");
        if (k.shape[0] != q.shape[0] || v.shape[0] != q.shape[0] || k.shape[2] != q.shape[2] || v.shape[2] != q.shape[2])
            throw new ArgumentException($"{name}: batch and head dims differ: {shapes}");
        if (k.shape[3] != q.shape[3]) throw new ArgumentException($"{name}: q and k have different d_head: {shapes}");
        if (v.shape[1] != k.shape[1]) throw new ArgumentException($"{name}: k and v have different numbers of positions: {shapes}");
        if (offset < 0) throw new ArgumentException($"{name}: offset must be >= 0 (cached positions before the first query), got {offset}");
        if (k.shape[1] == 0 && q.shape[1] > 0) throw new ArgumentException($"{name}: no keys to attend to: {shapes}");
    }
}
