using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Sae;

/// <summary>One place where a feature fired: its activation, the sequence (index among the examined ones), the position
/// and the tokens of the context up to and including that position.</summary>
public sealed record FeatureExample(double Activation, int Sequence, int Position, int[] Context);

/// <summary>Per-feature views of an SAE on a model: top-activating contexts and the direct effect on the logits.</summary>
public static class FeatureAnalysis
{
    /// <summary>
    /// The direct effect of each feature's decoder direction on the logits, W_dec·W_U [d_sae, d_vocab] (W_Eᵀ for a tied
    /// unembedding): what adding the unit direction to the final residual stream does to each logit, ignoring the final
    /// LayerNorm's scale (as SAELens/Neuronpedia's logit weights). Needs an SAE on a residual-stream-shaped hook (d_in = d_model).
    /// </summary>
    public static Tensor DirectLogitEffects(HookedTransformer model, SparseAutoencoder sae)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        if (sae.DIn != model.Config.DModel)
            throw new ArgumentException($"direct_logit_effects: the SAE's d_in {sae.DIn} is not the model's d_model {model.Config.DModel} (the hook is not in the residual basis)");
        using var _ = GradMode.NoGrad();
        var unembed = model.Unembed.W_U ?? model.Embed.W_E.Transpose(0, 1);
        return sae.W_dec.Detach().To(unembed.DType).To(unembed.Device).MatMul(unembed);
    }

    /// <summary>
    /// For every feature, the <paramref name="topN"/> rows with the largest activations over the token batches (activation
    /// &gt; 0 only), strongest first, each with up to <paramref name="contextBefore"/> preceding tokens.
    /// </summary>
    public static IReadOnlyList<FeatureExample>[] TopActivatingExamples(HookedTransformer model, SparseAutoencoder sae, string hookName,
        IEnumerable<Tensor> tokenBatches, int topN = 5, int contextBefore = 8, int firstPosition = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        if (topN < 1 || contextBefore < 0) throw new ArgumentException($"top_activating_examples: top n must be >= 1 and context >= 0, got {topN} and {contextBefore}");
        var heaps = Enumerable.Range(0, sae.DSae).Select(_ => new PriorityQueue<FeatureExample, double>()).ToArray();
        int sequenceBase = 0;
        using var noGrad = GradMode.NoGrad();
        foreach (var batch in tokenBatches)
        {
            var tokens = batch.Rank == 1 ? batch.Unsqueeze(0) : batch;
            int nSeq = tokens.Size(0), pos = tokens.Size(1), kept = pos - firstPosition;
            var rows = ActivationStore.Rows(model, hookName, tokens, firstPosition);
            var f = sae.Encode(rows.To(sae.Config.DType).To(sae.Device)).ToDoubleArray();
            var ids = tokens.ToIntArray();
            for (int r = 0; r < nSeq * kept; r++)
            {
                int seq = r / kept, p = firstPosition + r % kept;
                for (int j = 0; j < sae.DSae; j++)
                {
                    double a = f[r * sae.DSae + j];
                    if (a <= 0) continue;
                    var heap = heaps[j];
                    if (heap.Count == topN && heap.TryPeek(out _, out double smallest) && a <= smallest) continue;
                    int start = Math.Max(0, p - contextBefore);
                    heap.Enqueue(new FeatureExample(a, sequenceBase + seq, p, ids.AsSpan(seq * pos + start, p - start + 1).ToArray()), a);
                    if (heap.Count > topN) heap.Dequeue();
                }
            }
            sequenceBase += nSeq;
        }
        return heaps.Select(h => (IReadOnlyList<FeatureExample>)h.UnorderedItems.Select(e => e.Element).OrderByDescending(e => e.Activation).ToList()).ToArray();
    }

    /// <summary>Counts of features per bin of log10(density), bins of width <paramref name="binWidth"/> from <paramref name="lowest"/> to 0; dead features are counted apart.</summary>
    public static (double[] BinStarts, int[] Counts, int Dead) DensityHistogram(IReadOnlyList<double> density, double lowest = -6, double binWidth = 0.25)
    {
        int bins = (int)Math.Ceiling(-lowest / binWidth);
        var counts = new int[bins];
        int dead = 0;
        foreach (var d in density)
        {
            if (d <= 0) { dead++; continue; }
            int b = (int)Math.Floor((Math.Log10(d) - lowest) / binWidth);
            counts[Math.Clamp(b, 0, bins - 1)]++;
        }
        return (Enumerable.Range(0, bins).Select(i => lowest + i * binWidth).ToArray(), counts, dead);
    }
}
