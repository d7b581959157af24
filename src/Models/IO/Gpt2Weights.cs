namespace Interp.IO;

/// <summary>The shape of a GPT-2 checkpoint, as TransformerLens's config names it.</summary>
public sealed record Gpt2Config(int NLayers, int DModel, int NHeads, int DHead, int DMlp, int DVocab, int NCtx);

/// <summary>
/// Hugging Face GPT-2 weights (GPT2LMHeadModel / GPT2Model state dicts, with or without the "transformer."
/// prefix) to TransformerLens names and layouts, as TransformerLens's convert_gpt2_weights does.
/// HF's Conv1D stores weights as [in, out] (x @ W), which is already TransformerLens's orientation; the
/// attention weights only need splitting per head.
/// </summary>
public static class Gpt2Weights
{
    /// <summary>Reads n_layers, d_model, d_mlp, d_vocab and n_ctx off the tensor shapes.</summary>
    public static Gpt2Config InferConfig(IReadOnlyDictionary<string, Tensor> hf, int nHeads)
    {
        var w = Strip(hf);
        var wte = Get(w, "wte.weight");
        if (wte.Rank != 2) throw Mismatch("wte.weight", "[d_vocab, d_model]", wte);
        int dVocab = wte.Size(0), dModel = wte.Size(1);
        if (nHeads <= 0 || dModel % nHeads != 0)
            throw new ArgumentException($"gpt2 weights: d_model {dModel} (from wte.weight) is not divisible by n_heads {nHeads}");
        var wpe = Get(w, "wpe.weight");
        if (wpe.Rank != 2 || wpe.Size(1) != dModel) throw Mismatch("wpe.weight", $"[n_ctx, {dModel}]", wpe);
        int nLayers = 0;
        while (w.ContainsKey($"h.{nLayers}.ln_1.weight")) nLayers++;
        if (nLayers == 0) throw new ArgumentException("gpt2 weights: no layers (missing tensor 'h.0.ln_1.weight')");
        var fc = Get(w, "h.0.mlp.c_fc.weight");
        if (fc.Rank != 2 || fc.Size(0) != dModel) throw Mismatch("h.0.mlp.c_fc.weight", $"[{dModel}, d_mlp]", fc);
        return new Gpt2Config(nLayers, dModel, nHeads, dModel / nHeads, fc.Size(1), dVocab, wpe.Size(0));
    }

    /// <summary>
    /// The TransformerLens state dict: embed.W_E, pos_embed.W_pos, blocks.{l}.ln1.w/b, attn.W_Q/W_K/W_V
    /// [n_heads, d_model, d_head], attn.b_Q/b_K/b_V [n_heads, d_head], attn.W_O [n_heads, d_head, d_model],
    /// attn.b_O, ln2.w/b, mlp.W_in/b_in/W_out/b_out, ln_final.w/b, unembed.W_U = wte.T and unembed.b_U = 0.
    /// Every output is a fresh contiguous tensor of the input's dtype. The causal-mask buffers (attn.bias,
    /// attn.masked_bias) and a tied lm_head.weight are ignored.
    /// </summary>
    public static Dictionary<string, Tensor> ToTransformerLens(IReadOnlyDictionary<string, Tensor> hf, int nHeads)
    {
        var c = InferConfig(hf, nHeads);
        var w = Strip(hf);
        int d = c.DModel, h = c.NHeads, dh = c.DHead;
        Tensor At(string name, params int[] shape) => Expect(w, name, shape);

        var tl = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var wte = At("wte.weight", c.DVocab, d);
        tl["embed.W_E"] = wte.Clone();
        tl["pos_embed.W_pos"] = At("wpe.weight", c.NCtx, d).Clone();
        for (int l = 0; l < c.NLayers; l++)
        {
            string hp = $"h.{l}.", bp = $"blocks.{l}.";
            tl[bp + "ln1.w"] = At(hp + "ln_1.weight", d).Clone();
            tl[bp + "ln1.b"] = At(hp + "ln_1.bias", d).Clone();

            // c_attn: x @ W with W [d_model, 3 * d_model], columns (qkv, head, d_head): "m (i h) -> i m h" per part.
            var qkv = At(hp + "attn.c_attn.weight", d, 3 * d);
            var qkvBias = At(hp + "attn.c_attn.bias", 3 * d).Reshape(3, h, dh);
            string[] parts = ["Q", "K", "V"];
            for (int p = 0; p < 3; p++)
            {
                tl[bp + "attn.W_" + parts[p]] = qkv.Narrow(1, p * d, d).Reshape(d, h, dh).Permute(1, 0, 2).Contiguous();
                tl[bp + "attn.b_" + parts[p]] = qkvBias.Select(0, p).Clone();
            }
            // c_proj: z @ W with W [d_model (head, d_head), d_model]: "(i h) m -> i h m".
            tl[bp + "attn.W_O"] = At(hp + "attn.c_proj.weight", d, d).Reshape(h, dh, d).Clone();
            tl[bp + "attn.b_O"] = At(hp + "attn.c_proj.bias", d).Clone();

            tl[bp + "ln2.w"] = At(hp + "ln_2.weight", d).Clone();
            tl[bp + "ln2.b"] = At(hp + "ln_2.bias", d).Clone();
            tl[bp + "mlp.W_in"] = At(hp + "mlp.c_fc.weight", d, c.DMlp).Clone();
            tl[bp + "mlp.b_in"] = At(hp + "mlp.c_fc.bias", c.DMlp).Clone();
            tl[bp + "mlp.W_out"] = At(hp + "mlp.c_proj.weight", c.DMlp, d).Clone();
            tl[bp + "mlp.b_out"] = At(hp + "mlp.c_proj.bias", d).Clone();
        }
        tl["ln_final.w"] = At("ln_f.weight", d).Clone();
        tl["ln_final.b"] = At("ln_f.bias", d).Clone();
        tl["unembed.W_U"] = wte.T.Contiguous();
        tl["unembed.b_U"] = Tensor.Zeros([c.DVocab], wte.DType, wte.Device);
        return tl;
    }

    /// <summary>The weights without GPT2LMHeadModel's "transformer." prefix (names without it are kept as they are).</summary>
    static Dictionary<string, Tensor> Strip(IReadOnlyDictionary<string, Tensor> hf)
    {
        ArgumentNullException.ThrowIfNull(hf);
        var w = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in hf)
            w[name.StartsWith("transformer.", StringComparison.Ordinal) ? name["transformer.".Length..] : name] = t;
        return w;
    }

    static Tensor Get(Dictionary<string, Tensor> w, string name) =>
        w.TryGetValue(name, out var t) ? t : throw new ArgumentException($"gpt2 weights: missing tensor '{name}'");

    static Tensor Expect(Dictionary<string, Tensor> w, string name, int[] shape)
    {
        if (!w.TryGetValue(name, out var t))
            throw new ArgumentException($"gpt2 weights: missing tensor '{name}' (expected shape {ShapeUtil.Format(shape)})");
        if (!t.Shape.SequenceEqual(shape)) throw Mismatch(name, ShapeUtil.Format(shape), t);
        return t;
    }

    static ArgumentException Mismatch(string name, string expected, Tensor found) =>
        new($"gpt2 weights: tensor '{name}' has shape {ShapeUtil.Format(found.ShapeArray)}, expected {expected}");
}
