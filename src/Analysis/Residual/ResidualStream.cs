using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Residual;

/// <summary>
/// The residual-stream views of TransformerLens's ActivationCache, over one cached run of one model:
/// accumulated_resid (logit lens), decompose_resid, stack_head_results, get_full_resid_decomposition,
/// apply_ln_to_stack and logit_attrs (direct logit attribution). "layer" counts like TransformerLens: layer l means
/// "what enters block l" (resid_pre l); null, -1 or n_layers mean the final residual (resid_post of the last block).
/// <para>
/// LayerNorm: apply_ln centres each component and divides it by the scale the model computed on the whole residual
/// (the cached <c>ln_final.hook_scale</c> or <c>blocks.l.ln1.hook_scale</c>), which keeps the map linear, so the
/// components still sum to the normalised residual. The LN weight is folded into the unembedding directions and the LN
/// bias into <see cref="LogitBias"/>, so a model whose weights were not processed (fold_ln) gives the same attributions.
/// </para>
/// </summary>
public sealed class ResidualStream
{
    public HookedTransformer Model { get; }
    public ActivationCache Cache { get; }
    TransformerConfig Cfg => Model.Config;

    public ResidualStream(HookedTransformer model, ActivationCache cache)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.NLayers != model.Config.NLayers)
            throw new ArgumentException($"residual stream: the cache has {cache.NLayers} layers, the model {model.Config.NLayers}");
        (Model, Cache) = (model, cache);
    }

    /// <summary>Runs <paramref name="tokens"/> through the model with a full cache (no grad).</summary>
    public static (Tensor Logits, ResidualStream Stream) Run(HookedTransformer model, Tensor tokens)
    {
        var (logits, cache) = model.RunWithCache(tokens);
        return (logits, new ResidualStream(model, cache));
    }

    /// <summary>
    /// The residual stream at every layer up to <paramref name="layer"/>: l_pre for l ≤ layer (and l_mid before it with
    /// <paramref name="inclMid"/>), plus final_post when layer is the last. With <paramref name="applyLn"/> each is
    /// normalised with layer's cached scale (TransformerLens's logit lens; <see cref="LogitLens"/> recomputes it instead).
    /// </summary>
    public ResidStack AccumulatedResid(int? layer = null, bool inclMid = false, bool applyLn = false, Index? pos = null)
    {
        int upTo = CheckLayer(layer);
        var parts = new List<Tensor>();
        var labels = new List<string>();
        for (int l = 0; l <= upTo; l++)
        {
            if (l == Cfg.NLayers)
            {
                Add(parts, labels, Cache.ResidPost(l - 1), "final_post", pos);
                break;
            }
            Add(parts, labels, Cache.ResidPre(l), $"{l}_pre", pos);
            if (inclMid && !Cfg.AttnOnly && l < upTo) Add(parts, labels, Cache.ResidMid(l), $"{l}_mid", pos);
        }
        var stack = new ResidStack(Tensor.Stack(parts), labels);
        return applyLn ? ApplyLnToStack(stack, upTo, pos) : stack;
    }

    /// <summary>
    /// The residual at <paramref name="layer"/> as the sum of what wrote to it: embed, pos_embed (not for shortformer
    /// models, whose positions never enter the residual), then l_attn_out and l_mlp_out of every earlier block.
    /// <paramref name="mode"/> "all", "attn" or "mlp" keeps only those block outputs.
    /// </summary>
    public ResidStack DecomposeResid(int? layer = null, string mode = "all", bool inclEmbeds = true, bool applyLn = false, Index? pos = null)
    {
        if (mode is not ("all" or "attn" or "mlp"))
            throw new ArgumentException($"decompose_resid: mode must be \"all\", \"attn\" or \"mlp\", got \"{mode}\"");
        int upTo = CheckLayer(layer);
        var parts = new List<Tensor>();
        var labels = new List<string>();
        if (inclEmbeds) AddEmbeds(parts, labels, pos);
        for (int l = 0; l < upTo; l++)
        {
            if (mode != "mlp") Add(parts, labels, Cache.AttnOut(l), $"{l}_attn_out", pos);
            if (mode != "attn" && !Cfg.AttnOnly) Add(parts, labels, Cache.MlpOut(l), $"{l}_mlp_out", pos);
        }
        if (parts.Count == 0) throw new ArgumentException($"decompose_resid: nothing to stack for layer {upTo}, mode \"{mode}\" without embeddings");
        var stack = new ResidStack(Tensor.Stack(parts), labels);
        return applyLn ? ApplyLnToStack(stack, upTo, pos) : stack;
    }

    /// <summary>
    /// Each head's output in the residual basis (hook_result, or z·W_O when the model does not compute it) for the
    /// blocks before <paramref name="layer"/>, labelled L{l}H{h}; with <paramref name="inclRemainder"/> one more
    /// component, "remainder", the residual at layer minus the heads.
    /// </summary>
    public ResidStack StackHeadResults(int? layer = null, bool applyLn = false, Index? pos = null, bool inclRemainder = false)
    {
        int upTo = CheckLayer(layer);
        var parts = new List<Tensor>();
        var labels = new List<string>();
        for (int l = 0; l < upTo; l++)
        {
            var result = HeadResult(l);   // [batch, pos, head, d_model]
            for (int h = 0; h < Cfg.NHeads; h++) Add(parts, labels, result.Select(2, h), $"L{l}H{h}", pos);
        }
        if (inclRemainder)
        {
            var resid = SelectPos(ResidAt(upTo), pos);
            Add(parts, labels, parts.Count == 0 ? resid : resid - Tensor.Stack(parts).Sum(0), "remainder", null);
        }
        if (parts.Count == 0) throw new ArgumentException($"stack_head_results: no heads before layer {upTo}");
        var stack = new ResidStack(Tensor.Stack(parts), labels);
        return applyLn ? ApplyLnToStack(stack, upTo, pos) : stack;
    }

    /// <summary>
    /// get_full_resid_decomposition: every head (L{l}H{h}), every MLP (MLP{l}), embed, pos_embed and "bias" (the sum
    /// of the attention output biases b_O); the components sum to the residual at <paramref name="layer"/>.
    /// </summary>
    public ResidStack FullResidDecomposition(int? layer = null, bool applyLn = false, Index? pos = null)
    {
        int upTo = CheckLayer(layer);
        var parts = new List<Tensor>();
        var labels = new List<string>();
        for (int l = 0; l < upTo; l++)
        {
            var result = HeadResult(l);
            for (int h = 0; h < Cfg.NHeads; h++) Add(parts, labels, result.Select(2, h), $"L{l}H{h}", pos);
        }
        if (!Cfg.AttnOnly)
            for (int l = 0; l < upTo; l++) Add(parts, labels, Cache.MlpOut(l), $"MLP{l}", pos);
        AddEmbeds(parts, labels, pos);
        var reference = parts[0];
        var bias = Tensor.ZerosLike(reference);
        using (GradMode.NoGrad())
            for (int l = 0; l < upTo; l++)
                if (Model.Blocks[l].Attn.b_O is { } bO) bias = bias + bO;
        Add(parts, labels, bias, "bias", null);
        var stack = new ResidStack(Tensor.Stack(parts), labels);
        return applyLn ? ApplyLnToStack(stack, upTo, pos) : stack;
    }

    /// <summary>
    /// Centres every component over d_model and divides it by the cached LayerNorm scale of <paramref name="layer"/>
    /// (ln_final for the final residual, else blocks.layer.ln1), so the normalised components sum to LN's input after
    /// centring and scaling (no weight, no bias). A model without LayerNorm gets the stack back unchanged.
    /// </summary>
    public ResidStack ApplyLnToStack(ResidStack stack, int? layer = null, Index? pos = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        if (!Cfg.HasNorm) return stack;
        int upTo = CheckLayer(layer);
        string hook = upTo == Cfg.NLayers ? "ln_final.hook_scale" : $"blocks.{upTo}.ln1.hook_scale";
        var scale = SelectPos(Cache[hook], pos);   // [batch, pos, 1] or [batch, 1]
        var x = stack.Values;
        if (x.Rank != scale.Rank + 1 || !x.ShapeArray.Skip(1).SkipLast(1).SequenceEqual(scale.ShapeArray.SkipLast(1)))
            throw new ArgumentException($"apply_ln_to_stack: stack {ShapeUtil.Format(x.ShapeArray)} does not match the cached scale {hook} " +
                $"{ShapeUtil.Format(scale.ShapeArray)} (pick the same position for both)");
        x = x - x.Mean(-1, keepDim: true);
        return stack with { Values = x / scale };
    }

    /// <summary>
    /// The logit lens: each residual of <paramref name="stack"/> (e.g. <see cref="AccumulatedResid"/>) through a
    /// freshly computed final LayerNorm (its own mean and scale, then ln_final's weight and bias) and the unembedding,
    /// [component, batch, pos, d_vocab]. With <paramref name="frozenScale"/> the scale is the cached one of the final
    /// residual instead (TransformerLens's accumulated_resid(apply_ln=True) @ W_U).
    /// </summary>
    public Tensor LogitLens(ResidStack stack, bool frozenScale = false, Index? pos = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        using var _ = GradMode.NoGrad();
        Tensor x = stack.Values;
        if (Cfg.HasNorm)
        {
            x = frozenScale ? ApplyLnToStack(stack, Cfg.NLayers, pos).Values : Normalise(x);
            if (Model.LnFinal!.W is { } w) x = x * w + Model.LnFinal.B!;
        }
        var logits = x.MatMul(UnembedMatrix);
        return Model.Unembed.b_U is { } bU ? logits + bU : logits;
    }

    /// <summary>
    /// Direct logit attribution (logit_attrs): each component of an LN-applied <paramref name="stack"/> dotted with the
    /// unembedding direction of <paramref name="tokens"/> (minus that of <paramref name="incorrectTokens"/>), the LN
    /// weight folded in. Tokens are int32 shaped like the stack's batch (and pos) dims; result [component, batch(, pos)].
    /// Σ over a full decomposition + <see cref="LogitBias"/> = the logit (difference) the model produced.
    /// </summary>
    public Tensor LogitAttrs(ResidStack stack, Tensor tokens, Tensor? incorrectTokens = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var direction = LogitDirections(tokens, incorrectTokens);
        var x = stack.Values;
        if (!x.ShapeArray.Skip(1).SequenceEqual(direction.ShapeArray))
            throw new ArgumentException($"logit_attrs: stack {ShapeUtil.Format(x.ShapeArray)} needs tokens shaped like its batch/pos dims " +
                $"{ShapeUtil.Format(x.ShapeArray[1..^1])}, got {ShapeUtil.Format(tokens.ShapeArray)}");
        using var _ = GradMode.NoGrad();
        return (x * direction).Sum(-1);
    }

    /// <summary>The unembedding directions (LN weight folded in) of tokens, minus those of incorrectTokens: [..., d_model].</summary>
    public Tensor LogitDirections(Tensor tokens, Tensor? incorrectTokens = null)
    {
        using var _ = GradMode.NoGrad();
        var columns = EffectiveUnembed().MT;   // [d_vocab, d_model]
        var d = Rows(columns, tokens, "tokens");
        return incorrectTokens is null ? d : d - Rows(columns, incorrectTokens, "incorrect tokens");
    }

    /// <summary>
    /// What the logits get regardless of the residual: ln_final's bias through W_U plus b_U, for tokens (minus
    /// incorrectTokens); shaped like tokens.
    /// </summary>
    public Tensor LogitBias(Tensor tokens, Tensor? incorrectTokens = null)
    {
        using var _ = GradMode.NoGrad();
        var w = UnembedMatrix;
        var bias = Model.Unembed.b_U ?? Tensor.Zeros([Cfg.DVocab], w.DType, w.Device);
        if (Model.LnFinal?.B is { } b) bias = bias + b.MatMul(w);
        var table = bias.Unsqueeze(1);   // [d_vocab, 1]
        var t = Rows(table, tokens, "tokens").Squeeze(-1);
        return incorrectTokens is null ? t : t - Rows(table, incorrectTokens, "incorrect tokens").Squeeze(-1);
    }

    /// <summary>W_U [d_model, d_vocab] (W_Eᵀ for tied models).</summary>
    public Tensor UnembedMatrix => Model.Unembed.W_U ?? Model.Embed.W_E.MT;

    /// <summary>W_U with ln_final's weight folded in: diag(w)·W_U.</summary>
    Tensor EffectiveUnembed() => Model.LnFinal?.W is { } w ? UnembedMatrix * w.Unsqueeze(1) : UnembedMatrix;

    Tensor Rows(Tensor table, Tensor ids, string what)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.DType != DType.Int32)
            throw new ArgumentException($"logit_attrs: {what} must be int32, got {ids.DType.Name()} {ShapeUtil.Format(ids.ShapeArray)}");
        foreach (int id in ids.ToIntArray())
            if ((uint)id >= (uint)Cfg.DVocab) throw new ArgumentException($"logit_attrs: {what} hold id {id}, outside the vocabulary [0, {Cfg.DVocab})");
        return table.Embedding(ids.To(table.Device));
    }

    /// <summary>Per-head output [batch, pos, head, d_model]: cached hook_result, or z·W_O.</summary>
    Tensor HeadResult(int layer)
    {
        string name = $"blocks.{layer}.attn.hook_result";
        if (Cache.Contains(name)) return Cache[name];
        using var _ = GradMode.NoGrad();
        return Tensor.Einsum("bphe,hed->bphd", Cache.Z(layer), Model.Blocks[layer].Attn.W_O);
    }

    Tensor ResidAt(int layer) => layer == Cfg.NLayers ? Cache.ResidPost(layer - 1) : Cache.ResidPre(layer);

    void AddEmbeds(List<Tensor> parts, List<string> labels, Index? pos)
    {
        Add(parts, labels, Cache.Embed, "embed", pos);
        if (!Cfg.Shortformer) Add(parts, labels, Cache.PosEmbed, "pos_embed", pos);
    }

    static void Add(List<Tensor> parts, List<string> labels, Tensor t, string label, Index? pos)
    {
        parts.Add(SelectPos(t, pos));
        labels.Add(label);
    }

    /// <summary>[batch, pos, ...] → [batch, ...] at one position (from the end with ^k); unchanged for null.</summary>
    static Tensor SelectPos(Tensor t, Index? pos)
    {
        if (pos is not Index p) return t;
        int n = t.Size(1), i = p.GetOffset(n);
        if (i < 0 || i >= n) throw new ArgumentOutOfRangeException(nameof(pos), $"residual stream: position {p} is outside the {n} positions");
        return t.Select(1, i);
    }

    Tensor Normalise(Tensor x)
    {
        x = x - x.Mean(-1, keepDim: true);
        return x / (x.Square().Mean(-1, keepDim: true) + Cfg.Eps).Sqrt();
    }

    int CheckLayer(int? layer)
    {
        int n = Cfg.NLayers;
        if (layer is null or -1) return n;
        if (layer < 0 || layer > n)
            throw new ArgumentOutOfRangeException(nameof(layer), $"residual stream: layer {layer} is outside 0..{n} (or -1/null for the final residual)");
        return layer.Value;
    }
}
