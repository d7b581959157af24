using Interp.Autograd;

namespace Interp.Transformers;

public sealed partial class HookedTransformer
{
    /// <summary>
    /// Extends every sequence of <paramref name="tokens"/> ([batch, pos] or [pos]) by <paramref name="maxNewTokens"/>
    /// sampled tokens, feeding only the new token each step (a <see cref="KeyValueCache"/>). Temperature 0 is greedy;
    /// otherwise logits/temperature, restricted to the <paramref name="topK"/> largest when given, are sampled.
    /// Returns the prompt followed by the new tokens, with the prompt's rank.
    /// </summary>
    public Tensor Generate(Tensor tokens, int maxNewTokens, double temperature = 1, int? topK = null, Generator? gen = null)
    {
        if (maxNewTokens < 0) throw new ArgumentException($"generate: maxNewTokens must be ≥ 0, got {maxNewTokens}");
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new ArgumentException($"generate: temperature must be finite and ≥ 0, got {temperature}");
        if (topK is int k0 && (k0 <= 0 || k0 > Config.DVocab)) throw new ArgumentException($"generate: topK must be in [1, {Config.DVocab}], got {k0}");
        bool flat = tokens.Rank == 1;
        var prompt = CheckTokens(tokens, null);
        int batch = prompt.Size(0), pos = prompt.Size(1);
        if (pos + maxNewTokens - 1 > Config.NCtx)
            throw new ArgumentException($"generate: {pos} prompt tokens + {maxNewTokens} new ones exceed the context n_ctx = {Config.NCtx}");
        gen ??= Generator.Default;

        var sequences = Enumerable.Range(0, batch).Select(b => prompt.Select(0, b).ToIntArray().ToList()).ToArray();
        using var _ = GradMode.NoGrad();
        var cache = new KeyValueCache(Config.NLayers);
        var logits = maxNewTokens > 0 ? Forward(prompt, cache) : null;
        for (int step = 0; step < maxNewTokens; step++)
        {
            var last = logits!.Select(1, logits!.Size(1) - 1).ToDoubleArray();
            var next = new int[batch];
            for (int b = 0; b < batch; b++)
            {
                next[b] = Sample(last.AsSpan(b * Config.DVocab, Config.DVocab), temperature, topK, gen);
                sequences[b].Add(next[b]);
            }
            if (step + 1 < maxNewTokens) logits = Forward(Tensor.FromArray(next, [batch, 1], tokens.Device), cache);
        }
        var result = Tensor.FromArray(sequences.SelectMany(s => s).ToArray(), [batch, pos + maxNewTokens]);
        return flat ? result.Squeeze(0) : result;
    }

    static int Sample(ReadOnlySpan<double> logits, double temperature, int? topK, Generator gen)
    {
        int argmax = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[argmax]) argmax = i;
        if (temperature == 0) return argmax;

        double threshold = double.NegativeInfinity;
        if (topK is int k)
        {
            var sorted = logits.ToArray();
            Array.Sort(sorted);
            threshold = sorted[^k];
        }
        // p_i ∝ exp((l_i − l_max)/T) over the kept logits
        var weights = new double[logits.Length];
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
            if (logits[i] >= threshold) total += weights[i] = Math.Exp((logits[i] - logits[argmax]) / temperature);
        double u = gen.NextDouble() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0 && weights[i] > 0) return i;
        }
        return argmax;
    }
}
