using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Patching;

/// <summary>
/// A component that writes into the residual stream and can send a path-patching signal: one attention head (its
/// hook_z), one MLP (hook_mlp_out), the token embedding (hook_embed) or the positional embedding (hook_pos_embed).
/// </summary>
public readonly record struct PathNode(string Hook, int Layer, int? Head = null)
{
    public static PathNode AttnHead(int layer, int head) => new($"blocks.{layer}.attn.hook_z", layer, head);
    public static PathNode Mlp(int layer) => new($"blocks.{layer}.hook_mlp_out", layer);
    /// <summary>The embeddings sit before every layer (Layer = −1).</summary>
    public static PathNode Embed => new("hook_embed", -1);
    public static PathNode PosEmbed => new("hook_pos_embed", -1);

    public static implicit operator PathNode((int Layer, int Head) head) => AttnHead(head.Layer, head.Head);

    public override string ToString() => Head is int h ? $"L{Layer}H{h}" : Hook;
}

/// <summary>The query, key or value input of one receiver head (patched as its hook_q, hook_k or hook_v slice).</summary>
public readonly record struct Receiver(int Layer, int Head, string Input)
{
    public static implicit operator Receiver((int Layer, int Head, string Input) r) => new(r.Layer, r.Head, r.Input);

    internal string Hook => $"blocks.{Layer}.attn.hook_{Input}";

    public override string ToString() => $"L{Layer}H{Head}.{Input}";
}

/// <summary>
/// Path patching (Wang et al. 2022, the IOI paper; ARENA's implementation): how much of a sender's effect flows
/// directly into some receiver heads' query, key or value input.
/// <list type="number">
/// <item>Run the base prompt with the senders' activations taken from the source prompt and every other attention
/// head frozen at its base value (MLPs are recomputed unless <c>freezeMlps</c>); record the receivers' q/k/v.</item>
/// <item>Run the base prompt again with only the receivers' q/k/v (their own heads' slices) replaced by the
/// recorded ones, and measure the metric.</item>
/// </list>
/// Patching q/k/v of one head equals patching that head's own q/k/v input: each is a function of that input alone.
/// The default direction is noising (base = clean, senders corrupted), as in the IOI paper.
/// </summary>
public static class PathPatching
{
    /// <summary>Path patching from one sender head to the receivers: the metric of the final run.</summary>
    public static double Run(HookedTransformer model, Tensor clean, Tensor corrupted, (int Layer, int Head) sender,
        IEnumerable<Receiver> receivers, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Noising, bool freezeMlps = false) =>
        Run(model, clean, corrupted, [PathNode.AttnHead(sender.Layer, sender.Head)], receivers, metric, direction, freezeMlps);

    /// <summary>Path patching from a set of sender components to the receivers: the metric of the final run.</summary>
    public static double Run(HookedTransformer model, Tensor clean, Tensor corrupted, IEnumerable<PathNode> senders,
        IEnumerable<Receiver> receivers, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Noising, bool freezeMlps = false)
    {
        ArgumentNullException.ThrowIfNull(senders);
        ArgumentNullException.ThrowIfNull(receivers);
        var run = new PatchRun("path_patching", model, clean, corrupted, metric, direction);
        var (s, r) = (senders.ToArray(), receivers.ToArray());
        Check(run, s, r);
        var caches = Caches(run);
        return run.ScoreWith(ReceiverHooks(run, r, SenderRun(run, s, r, freezeMlps, caches)));
    }

    /// <summary>
    /// Path patching from every head upstream of the receivers (layers below the lowest receiver's) to them, one
    /// sender at a time: [n_layers, n_heads], NaN where a head is not upstream.
    /// </summary>
    public static Tensor AllSenderHeads(HookedTransformer model, Tensor clean, Tensor corrupted, IEnumerable<Receiver> receivers,
        Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Noising, bool freezeMlps = false)
    {
        ArgumentNullException.ThrowIfNull(receivers);
        var run = new PatchRun("path_patching", model, clean, corrupted, metric, direction);
        var r = receivers.ToArray();
        Check(run, [], r);
        var caches = Caches(run);
        int below = r.Min(x => x.Layer);
        var result = Enumerable.Repeat(double.NaN, run.Layers * run.Heads).ToArray();
        for (int l = 0; l < below; l++)
            for (int h = 0; h < run.Heads; h++)
                result[l * run.Heads + h] = run.ScoreWith(ReceiverHooks(run, r, SenderRun(run, [PathNode.AttnHead(l, h)], r, freezeMlps, caches)));
        return Tensor.FromArray(result, [run.Layers, run.Heads]);
    }

    /// <summary>Every component that writes into the residual stream before <paramref name="layer"/>'s attention.</summary>
    public static IReadOnlyList<PathNode> Upstream(HookedTransformer model, int layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (layer < 0 || layer >= model.Config.NLayers) throw new ArgumentException($"path_patching: layer {layer} is outside [0, {model.Config.NLayers})");
        var nodes = new List<PathNode> { PathNode.Embed, PathNode.PosEmbed };
        for (int l = 0; l < layer; l++)
        {
            nodes.AddRange(Enumerable.Range(0, model.Config.NHeads).Select(h => PathNode.AttnHead(l, h)));
            if (!model.Config.AttnOnly) nodes.Add(PathNode.Mlp(l));
        }
        return nodes;
    }

    static void Check(PatchRun run, PathNode[] senders, Receiver[] receivers)
    {
        if (receivers.Length == 0) throw new ArgumentException("path_patching: no receivers given");
        foreach (var r in receivers)
        {
            run.CheckHead(r.Layer, r.Head);
            if (r.Input is not ("q" or "k" or "v"))
                throw new ArgumentException($"path_patching: receiver input must be \"q\", \"k\" or \"v\", got \"{r.Input}\" for L{r.Layer}H{r.Head}");
        }
        int lowest = receivers.Min(x => x.Layer);
        foreach (var s in senders)
        {
            run.CheckHook(s.Hook);
            if (s.Head is int h) run.CheckHead(s.Layer, h);
            if (s.Layer >= lowest)
                throw new ArgumentException($"path_patching: sender {s} is not upstream of receiver layer {lowest}; senders must sit in earlier layers");
        }
    }

    /// <summary>Base-run and source-run activations of every head, MLP output and embedding.</summary>
    static (ActivationCache Base, ActivationCache Source) Caches(PatchRun run)
    {
        static bool Needed(string n) => n is "hook_embed" or "hook_pos_embed" || n.EndsWith(".attn.hook_z") || n.EndsWith(".hook_mlp_out");
        using var _ = GradMode.NoGrad();
        return (run.Model.RunWithCache(run.BaseTokens, Needed).Cache, run.SourceCache(Needed));
    }

    /// <summary>Step 1: the receivers' q/k/v (whole tensors, by hook name) with the senders patched and the other heads frozen.</summary>
    static Dictionary<string, Tensor> SenderRun(PatchRun run, PathNode[] senders, Receiver[] receivers, bool freezeMlps,
        (ActivationCache Base, ActivationCache Source) caches)
    {
        var hooks = new List<(HookFilter, ForwardHook)>();
        for (int l = 0; l < run.Layers; l++)
        {
            string z = $"blocks.{l}.attn.hook_z";
            var heads = senders.Where(s => s.Hook == z).Select(s => new[] { 0, 0, s.Head!.Value, 0 }).ToList();
            var mask = PatchRun.Mask([1, 1, run.Heads, 1], heads);
            // every head frozen at its base value, except the senders, which take the source value
            var frozen = Tensor.Where(mask.To(caches.Base[z].Device), caches.Source[z], caches.Base[z]);
            hooks.Add((z, PatchRun.Replace(frozen, null)));
            string mlp = $"blocks.{l}.hook_mlp_out";
            if (senders.Any(s => s.Hook == mlp)) hooks.Add((mlp, PatchRun.Replace(caches.Source[mlp], null)));
            else if (freezeMlps && caches.Base.Contains(mlp)) hooks.Add((mlp, PatchRun.Replace(caches.Base[mlp], null)));
        }
        foreach (var e in new[] { "hook_embed", "hook_pos_embed" })
            if (senders.Any(s => s.Hook == e)) hooks.Add((e, PatchRun.Replace(caches.Source[e], null)));
        var recorded = new Dictionary<string, Tensor>();
        var wanted = receivers.Select(r => r.Hook).ToHashSet();
        hooks.Add((HookFilter.Where(wanted.Contains), (act, hook) => { recorded[hook.Name] = act.Detach(); return null; }));
        using var _ = GradMode.NoGrad();
        run.Model.RunWithHooks(run.BaseTokens, hooks);
        return recorded;
    }

    /// <summary>Step 2: hooks that put the recorded q/k/v of each receiver head (only its slice) into the base run.</summary>
    static List<(HookFilter, ForwardHook)> ReceiverHooks(PatchRun run, Receiver[] receivers, Dictionary<string, Tensor> recorded) =>
        receivers.GroupBy(r => r.Hook)
            .Select(g => ((HookFilter)g.Key, PatchRun.Replace(recorded[g.Key], PatchRun.Mask([1, 1, run.Heads, 1], g.Select(r => new[] { 0, 0, r.Head, 0 })))))
            .ToList();
}
