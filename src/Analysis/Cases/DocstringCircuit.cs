using Interp.Analysis.Patching;
using Interp.Autograd;
using Interp.Data.Tasks;
using Interp.Transformers;

namespace Interp.Analysis.Cases;

/// <summary>A head of the circuit and why it is in it: its activation-patching scores and what path patching says.</summary>
public sealed record CircuitHead(int Layer, int Head, double Denoising, double Noising)
{
    public string Label => $"L{Layer}H{Head}";
    /// <summary>How much breaking this head alone costs: 1 − the noised metric.</summary>
    public double NoisingEffect => 1 - Noising;
}

/// <summary>Everything the docstring case study measures on one batch of clean/corrupted prompt pairs.</summary>
public sealed record DocstringCircuitResult(
    DocstringPrompt[] Prompts, string[] PositionLabels, double CleanLogitDiff, double CorruptedLogitDiff,
    Tensor ResidPreDenoising, Tensor HeadsDenoising, Tensor HeadsNoising, Tensor HeadsAttribution, double AttributionCorrelation,
    IReadOnlyList<Receiver> Receivers, IReadOnlyDictionary<string, Tensor> PathPatching,
    IReadOnlyList<CircuitHead> Circuit, double CircuitDenoised, double CircuitOnly,
    IReadOnlyDictionary<string, Tensor> Patterns, IReadOnlyDictionary<string, double[]> LastPositionAttention);

/// <summary>
/// The docstring circuit (Heimersheim and Janiak, 2023) found in a trained attention-only model: which heads carry the
/// next parameter name to the last <c>:param</c>. The metric is the logit difference between the answer (the def's
/// next parameter) and the last name the docstring listed, normalised to 0 on the corrupted prompts (the def's names
/// replaced) and 1 on the clean ones.
/// <list type="number">
/// <item>activation patching of resid_pre per (layer, position) and of every head's output, denoising and noising;</item>
/// <item>attribution patching of every head, against activation patching;</item>
/// <item>path patching from every earlier head into the query, key and value of the top heads (by noising) of the
/// final layer and of every other layer where some head matters;</item>
/// <item>the circuit: the heads whose patching moves the metric by at least <c>threshold</c> in either direction, or
/// whose path into a final-layer head's input does; how much of the logit difference they restore alone (denoising them
/// together) and keep alone (noising every other head).</item>
/// </list>
/// </summary>
public static class DocstringCircuit
{
    public static DocstringCircuitResult Analyse(HookedTransformer model, DocstringTask task, DocstringPrompt[] prompts, double threshold = 0.1, int receivers = 2)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (prompts.Length == 0) throw new ArgumentException("docstring circuit: needs a non-empty batch of prompts of one layout");
        int layers = model.Config.NLayers, heads = model.Config.NHeads;
        var (clean, corrupted) = (DocstringTask.Stack(prompts), DocstringTask.Stack(prompts, corrupted: true));
        var answers = Tensor.FromArray(prompts.Select(p => p.Answer).ToArray());
        var wrong = Tensor.FromArray(prompts.Select(p => p.LastListed).ToArray());
        var device = PatchRun.ModelDevice(model);
        double cleanLd, corruptLd;
        using (GradMode.NoGrad())
        {
            cleanLd = PatchMetrics.LogitDiff(model.Forward(clean.To(device)), answers, wrong).Item();
            corruptLd = PatchMetrics.LogitDiff(model.Forward(corrupted.To(device)), answers, wrong).Item();
        }
        var metric = PatchMetrics.NormalizedLogitDiff(answers, wrong, cleanLd, corruptLd);

        var resid = ActivationPatching.ResidPreByPosition(model, clean, corrupted, metric);
        var denoise = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric, PatchDirection.Denoising);
        var noise = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric, PatchDirection.Noising);
        var attribution = AttributionPatching.Run(model, clean, corrupted, metric).HeadsAllPositions;
        double r = PatchStats.Correlation(denoise, attribution);

        var (den, noi) = (denoise.ToDoubleArray(), noise.ToDoubleArray());
        bool Matters(int l, int h) => Math.Abs(den[l * heads + h]) >= threshold || Math.Abs(1 - noi[l * heads + h]) >= threshold;
        // receivers: the top heads (by noising) of the model's final layer and of every other layer above 0 where a head matters
        var receiverLayers = Enumerable.Range(1, layers - 1).Where(l => l == layers - 1 || Enumerable.Range(0, heads).Any(h => Matters(l, h)));
        var receiverList = receiverLayers
            .SelectMany(l => Enumerable.Range(0, heads).OrderByDescending(h => 1 - noi[l * heads + h]).Take(Math.Min(receivers, heads))
                .SelectMany(h => new[] { "q", "k", "v" }.Select(i => new Receiver(l, h, i))))
            .ToArray();
        var paths = new Dictionary<string, Tensor>();
        foreach (var rec in receiverList)
            paths[rec.ToString()] = PathPatching.AllSenderHeads(model, clean, corrupted, [rec], metric);

        var members = new SortedSet<(int, int)>();
        for (int l = 0; l < layers; l++)
            for (int h = 0; h < heads; h++)
                if (Matters(l, h)) members.Add((l, h));
        foreach (var grid in paths.Values)
        {
            var g = grid.ToDoubleArray();
            for (int i = 0; i < g.Length; i++) if (!double.IsNaN(g[i]) && Math.Abs(1 - g[i]) >= threshold) members.Add((i / heads, i % heads));
        }
        var circuit = members.Select(m => new CircuitHead(m.Item1, m.Item2, den[m.Item1 * heads + m.Item2], noi[m.Item1 * heads + m.Item2])).ToList();
        double restored = PatchHeads(model, clean, corrupted, metric, members, inside: true);
        double kept = PatchHeads(model, corrupted, clean, metric, members, inside: false);

        var (patterns, toLast) = Attention(model, clean.To(device), circuit);
        return new DocstringCircuitResult(prompts, PositionLabels(task, prompts[0]), cleanLd, corruptLd, resid, denoise, noise, attribution, r,
            receiverList, paths, circuit, restored, kept, patterns, toLast);
    }

    /// <summary>
    /// Runs <paramref name="baseTokens"/> with hook_z taken from <paramref name="sourceTokens"/> for the heads in
    /// <paramref name="members"/> (inside) or for every other head (not inside); returns the metric.
    /// </summary>
    static double PatchHeads(HookedTransformer model, Tensor sourceTokens, Tensor baseTokens, Func<Tensor, Tensor> metric,
        ISet<(int, int)> members, bool inside)
    {
        using var _ = GradMode.NoGrad();
        var device = PatchRun.ModelDevice(model);
        int layers = model.Config.NLayers, heads = model.Config.NHeads;
        string Z(int l) => $"blocks.{l}.attn.hook_z";
        var source = model.RunWithCache(sourceTokens.To(device), name => name.EndsWith("attn.hook_z")).Cache;
        var hooks = new List<(HookFilter, ForwardHook)>();
        for (int l = 0; l < layers; l++)
        {
            var chosen = Enumerable.Range(0, heads).Where(h => members.Contains((l, h)) == inside).ToArray();
            if (chosen.Length == 0) continue;
            var mask = PatchRun.Mask([1, 1, heads, 1], chosen.Select(h => new[] { 0, 0, h, 0 }));
            hooks.Add((Z(l), PatchRun.Replace(source[Z(l)], mask)));
        }
        return metric(model.RunWithHooks(baseTokens.To(device), hooks)).Item();
    }

    // each circuit head's pattern on the first clean prompt [q, k], and its attention from the last position averaged over the batch
    static (Dictionary<string, Tensor>, Dictionary<string, double[]>) Attention(HookedTransformer model, Tensor clean, IReadOnlyList<CircuitHead> circuit)
    {
        using var _ = GradMode.NoGrad();
        var cache = model.RunWithCache(clean, name => name.EndsWith("attn.hook_pattern")).Cache;
        var patterns = new Dictionary<string, Tensor>();
        var toLast = new Dictionary<string, double[]>();
        int q = clean.Size(1) - 1;
        foreach (var c in circuit)
        {
            var p = cache[$"blocks.{c.Layer}.attn.hook_pattern"].Select(1, c.Head).To(DType.Float64).To(Device.Cpu);   // [batch, q, k]
            patterns[c.Label] = p.Select(0, 0).Contiguous();
            toLast[c.Label] = p.Select(1, q).Mean(0).ToDoubleArray();
        }
        return (patterns, toLast);
    }

    /// <summary>
    /// A label for every position of one layout: the fixed tokens (and the blank lines of padding) as themselves, the def's parameters P1..Pn (Pn is
    /// the answer), the docstring's names D1..Dn−1 (Di names Pi), the function name and the description words.
    /// </summary>
    public static string[] PositionLabels(DocstringTask task, DocstringPrompt prompt)
    {
        var words = prompt.Clean.Select(t => task.Vocabulary[t]).ToArray();
        var labels = new string[words.Length];
        int start = Array.IndexOf(words, "def"), close = Array.IndexOf(words, "):");
        var defs = Enumerable.Range(start + 1, close - start - 1).Where(t => words[t - 1] == "," && DocstringTask.ParameterNames.Contains(words[t])).ToArray();
        int docs = 0;
        for (int t = 0; t < words.Length; t++)
        {
            string w = words[t];
            int def = Array.IndexOf(defs, t);
            labels[t] = def >= 0 ? $"P{def + 1}"
                : t > 0 && words[t - 1] == ":param" ? $"D{++docs}"
                : t == start + 1 ? "fn"
                : DocstringTask.Specials.Contains(w) ? (w == "\n" ? "\\n" : w)
                : "w";
        }
        return labels;
    }
}
