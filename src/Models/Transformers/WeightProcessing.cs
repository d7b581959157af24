using Interp.Autograd;

namespace Interp.Transformers;

public sealed partial class HookedTransformer
{
    /// <summary>
    /// A copy of this model with TransformerLens's weight processing applied (this model is unchanged); its
    /// predictions (log-softmax of the logits) are the same up to rounding.
    /// <list type="bullet">
    /// <item>foldLn: each LN's w, b folded into the weights that read its output (W_Q/W_K/W_V, W_in, W_U), whose
    /// input-side means are then removed; the norms become LNPre.</item>
    /// <item>centerWritingWeights: W_E, W_pos, W_O, b_O, W_out, b_out lose their mean along d_model (every reader of the
    /// residual stream is a norm that removes it anyway). A shortformer W_pos is left alone: it is added after ln1.</item>
    /// <item>centerUnembed: W_U, b_U lose their mean over the vocabulary (softmax is shift-invariant).</item>
    /// <item>foldValueBiases: b_V moves into b_O as b_O + Σ_h b_V[h]·W_O[h] (attention patterns sum to 1).</item>
    /// </list>
    /// A tied unembedding becomes a separate unembed.W_U.
    /// </summary>
    public HookedTransformer ProcessWeights(bool foldLn = true, bool centerWritingWeights = true, bool centerUnembed = true, bool foldValueBiases = false)
    {
        var cfg = Config;
        using var _ = GradMode.NoGrad();
        var sd = StateDict().ToDictionary(p => p.Key, p => p.Value.Detach().Clone());
        if (cfg.TiedUnembed)
        {
            sd["unembed.W_U"] = Embed.W_E.Detach().MT.Contiguous();
            cfg = cfg with { TiedUnembed = false };
        }
        if (foldLn && cfg.Normalization == "LN")
        {
            if (cfg.Shortformer)
                throw new InvalidOperationException("process_weights: cannot fold LN in a shortformer model: the positional embedding is added after ln1, so ln1's w cannot move into W_Q/W_K; pass foldLn: false (TransformerLens skips it with a warning)");
            FoldLayerNorm(sd, cfg);
            cfg = cfg with { Normalization = "LNPre", UseAttnBias = true, UseUnembedBias = true };
        }
        if (centerWritingWeights)
        {
            if (!cfg.HasNorm)
                throw new InvalidOperationException("process_weights: centering the writing weights needs a normalised model (Normalization LN or LNPre), this one has none");
            CenterWritingWeights(sd, cfg);
        }
        if (centerUnembed)
        {
            sd["unembed.W_U"] = CenterLast(sd["unembed.W_U"]);
            if (sd.TryGetValue("unembed.b_U", out var bU)) sd["unembed.b_U"] = CenterLast(bU);
        }
        if (foldValueBiases && cfg.UseAttnBias)
            for (int l = 0; l < cfg.NLayers; l++)
            {
                string a = $"blocks.{l}.attn.";
                sd[a + "b_O"] = sd[a + "b_O"] + Tensor.Einsum("he,hem->m", sd[a + "b_V"], sd[a + "W_O"]);
                sd[a + "b_V"] = Tensor.ZerosLike(sd[a + "b_V"]);
            }
        var processed = new HookedTransformer(cfg);
        processed.LoadStateDict(sd);
        return processed;
    }

    /// <summary>For a reader W [.., d_model, out] of LN(x)·w + b: bias += Σ_d W·b, W ← W·w, then W −= mean over d_model.</summary>
    static void FoldLayerNorm(Dictionary<string, Tensor> sd, TransformerConfig cfg)
    {
        for (int l = 0; l < cfg.NLayers; l++)
        {
            string b = $"blocks.{l}.";
            var (w1, b1) = (sd[b + "ln1.w"], sd[b + "ln1.b"]);
            foreach (var x in new[] { "Q", "K", "V" })
                FoldInto(sd, b + "attn.W_" + x, b + "attn.b_" + x, w1, b1, [cfg.NHeads, cfg.DHead]);
            if (!sd.ContainsKey(b + "attn.b_O")) sd[b + "attn.b_O"] = Tensor.Zeros([cfg.DModel], cfg.Dtype);
            sd.Remove(b + "ln1.w");
            sd.Remove(b + "ln1.b");
            if (cfg.AttnOnly) continue;
            FoldInto(sd, b + "mlp.W_in", b + "mlp.b_in", sd[b + "ln2.w"], sd[b + "ln2.b"], [cfg.DMlp]);
            sd.Remove(b + "ln2.w");
            sd.Remove(b + "ln2.b");
        }
        FoldInto(sd, "unembed.W_U", "unembed.b_U", sd["ln_final.w"], sd["ln_final.b"], [cfg.DVocab]);
        sd.Remove("ln_final.w");
        sd.Remove("ln_final.b");
    }

    static void FoldInto(Dictionary<string, Tensor> sd, string wName, string bName, Tensor lnW, Tensor lnB, int[] biasShape)
    {
        var w = sd[wName];                                  // [.., d_model, out]
        var bias = sd.TryGetValue(bName, out var existing) ? existing : Tensor.Zeros(biasShape, w.DType);
        sd[bName] = bias + (w * lnB.Unsqueeze(-1)).Sum(-2);
        var folded = w * lnW.Unsqueeze(-1);
        sd[wName] = folded - folded.Mean(-2, keepDim: true);
    }

    static void CenterWritingWeights(Dictionary<string, Tensor> sd, TransformerConfig cfg)
    {
        sd["embed.W_E"] = CenterLast(sd["embed.W_E"]);
        if (!cfg.Shortformer) sd["pos_embed.W_pos"] = CenterLast(sd["pos_embed.W_pos"]);
        for (int l = 0; l < cfg.NLayers; l++)
            foreach (var name in new[] { "attn.W_O", "attn.b_O", "mlp.W_out", "mlp.b_out" })
                if (sd.TryGetValue($"blocks.{l}.{name}", out var t)) sd[$"blocks.{l}.{name}"] = CenterLast(t);
    }

    static Tensor CenterLast(Tensor t) => t - t.Mean(-1, keepDim: true);
}
