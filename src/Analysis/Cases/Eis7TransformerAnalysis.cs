using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Cases;

/// <summary>
/// Exact split of the label logit difference u·resid_post at <c>=</c> (u = W_U[:, 1] − W_U[:, 0]; no unembed bias) of
/// a 1-layer, no-LayerNorm transformer over the inputs, per pair. The residual at <c>=</c> before the MLP is
/// resid_mid = D + A_x + A_y + A_= : D = W_E[=] + W_pos[2], and A_s = Σ_h pattern[h, =, s]·(W_E[tok_s] + W_pos[s])·W_V[h]·W_O[h]
/// the attention output read from source position s (no attention biases). The ReLU MLP is linear once its active
/// neurons are fixed: mlp_out·u = Σ_j 1[pre_j &gt; 0]·(part·W_in)_j·(W_out·u)_j summed over the parts, plus the bias terms
/// (b_in through the active neurons, and b_out). So each part's total is its direct term plus its share of the MLP,
/// and the parts sum to the logit difference exactly (up to float rounding).
/// </summary>
public sealed record LogitDecomposition(
    double[] Total, double[] Direct, double[] AttnX, double[] AttnY, double[] AttnEq, double[] Mlp,
    double[] MlpViaX, double[] MlpViaY, double[] MlpViaEq, double[] MlpViaDirect, double[] MlpBias)
{
    /// <summary>Everything that flows from the x token: its attention path and its share of the MLP.</summary>
    public double[] XPath => Add(AttnX, MlpViaX);
    public double[] YPath => Add(AttnY, MlpViaY);
    /// <summary>The rest: the <c>=</c> token's direct term and attention path, their MLP shares, and the biases.</summary>
    public double[] Rest => Add(Add(Direct, AttnEq), Add(Add(MlpViaEq, MlpViaDirect), MlpBias));

    static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();
}

/// <summary>Attention of the <c>=</c> query to x, y and itself, per head and pair: [head, source, p, p], and the means.</summary>
public sealed record EqualsAttention(Tensor Pattern, double[,] MeanBySource);

public static class Eis7TransformerAnalysis
{
    const int Chunk = 2048;

    /// <summary>Norm of each Fourier frequency of the token embedding W_E[:p] (the <c>=</c> row excluded).</summary>
    public static double[] EmbeddingFourierNorms(HookedTransformer model)
    {
        int p = model.Config.DVocab - 1;
        using var _ = GradMode.NoGrad();
        return CyclicFourierBasis.FrequencyNorms(model.Embed.W_E.Narrow(0, 0, p));
    }

    /// <summary>The attention pattern of query <c>=</c> (position 2) over every pair, from hook_pattern.</summary>
    public static EqualsAttention AttentionFromEquals(HookedTransformer model)
    {
        int p = model.Config.DVocab - 1, h = model.Config.NHeads;
        var rows = new List<Tensor>();
        foreach (var tokens in Chunks(p))
        {
            var (_, cache) = model.RunWithCache(tokens, n => n == "blocks.0.attn.hook_pattern");
            rows.Add(cache.Pattern(0).Select(2, 2));              // [n, head, key]
        }
        var all = Tensor.Cat(rows, 0);                             // [p², head, 3]
        var pattern = all.Permute(1, 2, 0).Contiguous().Reshape(h, 3, p, p);
        var mean = pattern.Mean([2, 3]).To(DType.Float64).ToDoubleArray();
        var means = new double[h, 3];
        for (int i = 0; i < h * 3; i++) means[i / 3, i % 3] = mean[i];
        return new EqualsAttention(pattern, means);
    }

    /// <summary>blocks.0.hook_resid_mid at <c>=</c> for every pair, [p², d_model] in pair order x·p + y.</summary>
    public static Tensor ResidMidAtEquals(HookedTransformer model)
    {
        int p = model.Config.DVocab - 1;
        var rows = new List<Tensor>();
        foreach (var tokens in Chunks(p))
        {
            var (_, cache) = model.RunWithCache(tokens, n => n == "blocks.0.hook_resid_mid");
            rows.Add(cache.ResidMid(0).Select(1, 2));
        }
        return Tensor.Cat(rows, 0);
    }

    /// <summary>The decomposition of <see cref="LogitDecomposition"/> for every pair (in order x·p + y) or the given tokens [n, 3].</summary>
    public static LogitDecomposition DecomposeLogitDifference(HookedTransformer model, Tensor? tokens = null)
    {
        var cfg = model.Config;
        if (cfg.NLayers != 1 || cfg.HasNorm || cfg.Shortformer || cfg.AttnOnly || cfg.UseAttnBias || cfg.UseUnembedBias || cfg.ActFn != "relu" || cfg.TiedUnembed)
            throw new ArgumentException("logit decomposition: needs a 1-layer ReLU transformer without LayerNorm, attention or unembed biases, with standard positions and its own W_U");
        int p = cfg.DVocab - 1;
        var parts = new List<double[]>[11];
        for (int i = 0; i < parts.Length; i++) parts[i] = [];
        foreach (var chunk in tokens is null ? Chunks(p) : [tokens])
        {
            var r = DecomposeChunk(model, chunk);
            for (int i = 0; i < parts.Length; i++) parts[i].Add(r[i]);
        }
        var c = parts.Select(l => l.SelectMany(a => a).ToArray()).ToArray();
        return new LogitDecomposition(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]);
    }

    static double[][] DecomposeChunk(HookedTransformer model, Tensor tokens)
    {
        using var _ = GradMode.NoGrad();
        var cfg = model.Config;
        var block = model.Blocks[0];
        var (logits, cache) = model.RunWithCache(tokens, n => n is "blocks.0.attn.hook_pattern" or "blocks.0.attn.hook_v" or "blocks.0.hook_mlp_out" or "blocks.0.mlp.hook_pre");
        var u = (model.Unembed.W_U!.Select(1, 1) - model.Unembed.W_U!.Select(1, 0)).To(DType.Float64);   // [d]
        var pattern = cache.Pattern(0).Select(2, 2).To(DType.Float64);            // [n, head, key]
        var v = cache.V(0).To(DType.Float64);                                       // [n, key, head, e]
        var wO = block.Attn.W_O.To(DType.Float64);                                  // [head, e, d]
        var fromSource = Tensor.Einsum("nhk,nkhe,hed->nkd", pattern, v, wO);        // [n, key, d]
        var direct = (model.Embed.W_E.Embedding(tokens.Select(1, 2).Contiguous()) + model.PosEmbed.W_pos.Select(0, 2)).To(DType.Float64);   // [n, d]
        Tensor[] sources = [fromSource.Select(1, 0), fromSource.Select(1, 1), fromSource.Select(1, 2), direct];

        var mlp = block.Mlp!;
        var active = cache.MlpPre(0).Select(1, 2).Gt(0.0).To(DType.Float64);       // [n, d_mlp]
        var wIn = mlp.W_in.To(DType.Float64);
        var outU = mlp.W_out.To(DType.Float64).MatMul(u);                           // [d_mlp]: each neuron's write onto u
        double[] Via(Tensor part) => (part.MatMul(wIn) * active).MatMul(outU).ToDoubleArray();
        var mlpBias = (active * mlp.b_in.To(DType.Float64)).MatMul(outU) + (mlp.b_out.To(DType.Float64) * u).Sum();
        double[] Onto(Tensor t) => t.MatMul(u).ToDoubleArray();

        var last = logits.Select(1, 2).To(DType.Float64);
        return [
            (last.Select(1, 1) - last.Select(1, 0)).ToDoubleArray(),
            Onto(direct), Onto(sources[0]), Onto(sources[1]), Onto(sources[2]),
            Onto(cache.MlpOut(0).Select(1, 2).To(DType.Float64)),
            Via(sources[0]), Via(sources[1]), Via(sources[2]), Via(direct), mlpBias.ToDoubleArray(),
        ];
    }

    static IEnumerable<Tensor> Chunks(int p)
    {
        var all = Eis7Transformer.AllPairs(p);
        for (int start = 0; start < all.Length; start += Chunk)
            yield return Eis7Transformer.Tokens(all[start..Math.Min(all.Length, start + Chunk)], p);
    }
}
