using Interp.Autograd;

namespace Interp.Transformers;

/// <summary>
/// Causal multi-head attention with TransformerLens's parameters and hooks. Per head h:
/// q = x_qk·W_Q[h] + b_Q[h], k = x_qk·W_K[h] + b_K[h], v = x_v·W_V[h] + b_V[h]   ([batch, pos, head, d_head]);
/// scores = q·kᵀ/√d_head with future keys masked (hook_attn_scores), pattern = softmax over keys (hook_pattern),
/// z = pattern·v (hook_z), result[h] = z[h]·W_O[h] (hook_result), out = Σ_h result[h] + b_O.
/// </summary>
public sealed class Attention : HookedModule
{
    /// <summary>Masked scores: finite (not −∞) so anomaly mode stays quiet; exp underflows to exactly 0 all the same.</summary>
    public const double MaskValue = -1e30;

    readonly TransformerConfig cfg;
    readonly HookPoint hookQ, hookK, hookV, hookScores, hookPattern, hookZ;
    readonly HookPoint? hookResult;

    public Tensor W_Q { get; }
    public Tensor W_K { get; }
    public Tensor W_V { get; }
    public Tensor W_O { get; }
    public Tensor? b_Q { get; }
    public Tensor? b_K { get; }
    public Tensor? b_V { get; }
    public Tensor? b_O { get; }

    public Attention(TransformerConfig cfg, Generator gen)
    {
        this.cfg = cfg;
        int h = cfg.NHeads, d = cfg.DModel, e = cfg.DHead;
        W_Q = RegisterParameter("W_Q", Init.Normal([h, d, e], cfg, gen));
        W_K = RegisterParameter("W_K", Init.Normal([h, d, e], cfg, gen));
        W_V = RegisterParameter("W_V", Init.Normal([h, d, e], cfg, gen));
        W_O = RegisterParameter("W_O", Init.Normal([h, e, d], cfg, gen));
        if (cfg.UseAttnBias)
        {
            b_Q = RegisterParameter("b_Q", Init.Zeros([h, e], cfg));
            b_K = RegisterParameter("b_K", Init.Zeros([h, e], cfg));
            b_V = RegisterParameter("b_V", Init.Zeros([h, e], cfg));
            b_O = RegisterParameter("b_O", Init.Zeros([d], cfg));
        }
        hookK = AddHook("hook_k");
        hookQ = AddHook("hook_q");
        hookV = AddHook("hook_v");
        hookZ = AddHook("hook_z");
        hookScores = AddHook("hook_attn_scores");
        hookPattern = AddHook("hook_pattern");
        if (cfg.UseAttnResult) hookResult = AddHook("hook_result");
    }

    /// <summary>
    /// qkInput and vInput are [batch, pos, d_model] (they differ only for shortformer models). With a cache entry,
    /// the new positions attend to the cached keys/values too and are appended to them.
    /// </summary>
    public Tensor Forward(Tensor qkInput, Tensor vInput, KeyValueCacheEntry? past = null)
    {
        double scale = 1 / Math.Sqrt(cfg.DHead);
        if (Packable(qkInput, vInput, past)) return Output(Tensor.CausalAttentionPacked(ProjectPacked(qkInput), scale));
        var (q, k, v) = ReferenceEquals(qkInput, vInput) && !NeedsGrad(qkInput) && FusedQkv() is { } fused
            ? ProjectFused(qkInput, fused.W, fused.B)
            : (Project(qkInput, W_Q, b_Q), Project(qkInput, W_K, b_K), Project(vInput, W_V, b_V));
        q = hookQ.Run(q);
        k = hookK.Run(k);
        v = hookV.Run(v);
        int offset = past?.Length ?? 0;
        if (past is not null) (k, v) = past.Append(k, v);

        var z = (!hookScores.HasHooks && !hookPattern.HasHooks ? Tensor.CausalAttention(q, k, v, scale, offset)
            : hookScores.OnlyObserved && hookPattern.OnlyObserved ? ObservedCore(q, k, v, scale, offset)
            : HookedCore(q, k, v, scale, offset));

        return Output(z);
    }

    /// <summary>
    /// out = Σ_h z[h]·W_O[h] + b_O from z [batch, pos, head, d_head] (through hook_z, and hook_result when something hooks
    /// it: the per-head results [batch, pos, head, d_model] are materialised only then).
    /// </summary>
    Tensor Output(Tensor z)
    {
        z = hookZ.Run(z);
        if (hookResult is { HasHooks: true })
        {
            var result = hookResult.Run(Tensor.Einsum("bqhe,hem->bqhm", z, W_O)).Sum(2);
            return b_O is null ? result : result + b_O;
        }
        // Σ_h z[h]·W_O[h] is one [b·q, h·e]·[h·e, m] product (z is contiguous from either path)
        var zFlat = z.Reshape(z.Size(0), z.Size(1), -1);
        var wFlat = W_O.Reshape(-1, W_O.Size(2));
        return b_O is null ? zFlat.MatMul(wFlat) : zFlat.MatMul(wFlat, b_O);
    }

    /// <summary>
    /// The attention core op by op, so that hook_attn_scores and hook_pattern see (and may replace) the scores and the
    /// pattern. Without hooks there, the fused <c>CausalAttention</c> computes the same z without materialising them.
    /// </summary>
    Tensor HookedCore(Tensor q, Tensor k, Tensor v, double scale, int offset)
    {
        var scores = Tensor.Einsum("bqhe,bkhe->bhqk", q, k) * scale;
        scores = hookScores.Run(scores.MaskedFill(Tensor.CausalMask(q.Size(1), k.Size(1), offset, scores.Device), MaskValue));
        var pattern = hookPattern.Run(scores.Softmax(-1));
        return Tensor.Einsum("bhqk,bkhe->bqhe", pattern, v);
    }

    /// <summary>
    /// The fused attention core for hooks that only look at the scores and pattern (RunWithCache without grad): the
    /// kernel hands over the scores and pattern it computed, the same values as the op-by-op path's up to rounding.
    /// </summary>
    Tensor ObservedCore(Tensor q, Tensor k, Tensor v, double scale, int offset)
    {
        var (z, pattern, scores) = Tensor.CausalAttentionWithScores(q, k, v, scale, offset, MaskValue);
        hookScores.Run(scores);
        hookPattern.Run(pattern);
        return z;
    }

    /// <summary>
    /// Whether training takes the packed path: q, k and v from one input as one product x·[W_Q | W_K | W_V] and one
    /// attention op on its [batch, pos, 3, head, d_head] result, whose gradient is one tensor (so the backward is one
    /// product each way, not three). Only where nothing sees q, k, v, the scores or the pattern, without a cache, and
    /// with grad (without grad, a loaded GPT-2's c_attn is one product with no copy of the weights: <see cref="FusedQkv"/>).
    /// </summary>
    bool Packable(Tensor qkInput, Tensor vInput, KeyValueCacheEntry? past) =>
        past is null && ReferenceEquals(qkInput, vInput) && NeedsGrad(qkInput)
        && !hookQ.HasHooks && !hookK.HasHooks && !hookV.HasHooks && !hookScores.HasHooks && !hookPattern.HasHooks;

    /// <summary>x [b, p, d] → [b, p, 3, h, e]: x·W + b with W = [W_Q | W_K | W_V] as [d, 3·h·e] (one copy of the weights, as
    /// <see cref="Project"/> makes one of each) and b the three biases in a row.</summary>
    Tensor ProjectPacked(Tensor x)
    {
        int h = W_Q.Size(0), d = W_Q.Size(1), e = W_Q.Size(2);
        var w = Tensor.Cat([W_Q.Permute(1, 0, 2), W_K.Permute(1, 0, 2), W_V.Permute(1, 0, 2)], 1).Reshape(d, 3 * h * e);
        var y = b_Q is null ? x.MatMul(w) : x.MatMul(w, Tensor.Cat([b_Q, b_K!, b_V!], 0).Reshape(3 * h * e));
        return y.Reshape(x.Size(0), x.Size(1), 3, h, e);
    }

    bool NeedsGrad(Tensor x) => GradMode.IsEnabled && (x.RequiresGrad || W_Q.RequiresGrad || W_K.RequiresGrad || W_V.RequiresGrad
        || b_Q is { RequiresGrad: true } || b_K is { RequiresGrad: true } || b_V is { RequiresGrad: true });

    /// <summary>
    /// W_Q, W_K, W_V as the three column blocks of one [d_model, 3·n_heads·d_head] matrix, and b_Q, b_K, b_V as the three
    /// parts of one vector (or all absent), when they are laid out so (a loaded GPT-2's: views of its c_attn); else null.
    /// The three projections are then one product, with no copy of the weights (the blocks' rows are 3·n_heads·d_head apart).
    /// </summary>
    (Tensor W, Tensor? B)? FusedQkv()
    {
        int d = W_Q.Size(1), e = W_Q.Size(2), n = W_Q.Size(0) * e;
        bool Block(Tensor w, int part) => ReferenceEquals(w.Storage, W_Q.Storage) && w.Offset == W_Q.Offset + part * n
            && w.Strides[0] == e && w.Strides[1] == 3 * n && w.Strides[2] == 1;
        bool Part(Tensor? b, int part) => b is not null && ReferenceEquals(b.Storage, b_Q!.Storage) && b.Offset == b_Q.Offset + part * n && b.IsContiguous;
        if (!Block(W_Q, 0) || !Block(W_K, 1) || !Block(W_V, 2)) return null;
        bool noBias = b_Q is null && b_K is null && b_V is null;
        if (!noBias && !(Part(b_Q, 0) && Part(b_K, 1) && Part(b_V, 2))) return null;
        return (new Tensor(W_Q.Storage, [d, 3 * n], [3 * n, 1], W_Q.Offset), noBias ? null : new Tensor(b_Q!.Storage, [3 * n], [1], b_Q.Offset));
    }

    /// <summary>q, k, v [b, p, h, e] from one [b·p, d]·[d, 3·h·e] product (views of its [b, p, 3, h, e] result).</summary>
    (Tensor Q, Tensor K, Tensor V) ProjectFused(Tensor x, Tensor w, Tensor? b)
    {
        var y = (b is null ? x.MatMul(w) : x.MatMul(w, b)).Reshape(x.Size(0), x.Size(1), 3, W_Q.Size(0), W_Q.Size(2));
        return (y.Select(2, 0), y.Select(2, 1), y.Select(2, 2));
    }

    /// <summary>x [b, p, d]·W [h, d, e] + b [h, e] → [b, p, h, e], as one [b·p, d]·[d, h·e] product with the bias in the GEMM
    /// (W's layout as [d, h·e] is a view when W is one of c_attn's blocks, else a copy).</summary>
    static Tensor Project(Tensor x, Tensor w, Tensor? b)
    {
        int h = w.Size(0), e = w.Size(2);
        var wFlat = w.Permute(1, 0, 2).Reshape(w.Size(1), h * e);
        var y = b is null ? x.MatMul(wFlat) : x.MatMul(wFlat, b.Reshape(h * e));
        return y.Reshape(x.Size(0), x.Size(1), h, e);
    }
}
