using Interp.Transformers;

namespace Interp.Analysis.Patching;

/// <summary>Which per-head activation the head patchers replace: hook_z [batch, pos, head, d_head] or hook_result [batch, pos, head, d_model].</summary>
public enum HeadActivation { Z, Result }

/// <summary>
/// Activation patching (TransformerLens's <c>patching</c> module): run the base prompt, replace one activation by its
/// value on the other prompt, and record the metric. Every function returns the metric of each patched run
/// (so with <see cref="PatchMetrics.NormalizedLogitDiff(HookedTransformer, Tensor, Tensor, Tensor, Tensor, int)"/>,
/// 0 = the corrupted behaviour, 1 = the clean one). Clean and corrupted tokens are int32 [batch, pos] of the same
/// shape; a patch at position p replaces position p of every prompt in the batch, and the metric averages over it.
/// </summary>
public static class ActivationPatching
{
    /// <summary>Patches blocks.L.hook_resid_pre at each (layer, position): [n_layers, pos].</summary>
    public static Tensor ResidPreByPosition(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising) =>
        ByPosition(model, clean, corrupted, metric, l => $"blocks.{l}.hook_resid_pre", direction);

    /// <summary>Patches blocks.L.hook_attn_out at each (layer, position): [n_layers, pos].</summary>
    public static Tensor AttnOutByPosition(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising) =>
        ByPosition(model, clean, corrupted, metric, l => $"blocks.{l}.hook_attn_out", direction);

    /// <summary>Patches blocks.L.hook_mlp_out at each (layer, position): [n_layers, pos]. Not for attention-only models.</summary>
    public static Tensor MlpOutByPosition(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising) =>
        ByPosition(model, clean, corrupted, metric, l => $"blocks.{l}.hook_mlp_out", direction);

    /// <summary>
    /// Patches <c>hookOfLayer(L)</c>, an activation [batch, pos, ...], at each (layer, position): [n_layers, pos].
    /// </summary>
    public static Tensor ByPosition(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric,
        Func<int, string> hookOfLayer, PatchDirection direction = PatchDirection.Denoising)
    {
        ArgumentNullException.ThrowIfNull(hookOfLayer);
        var run = new PatchRun("activation_patching", model, clean, corrupted, metric, direction);
        var names = Enumerable.Range(0, run.Layers).Select(hookOfLayer).ToArray();
        foreach (var n in names) run.CheckHook(n);
        var source = run.SourceCache(names.Contains);
        var result = new double[run.Layers * run.Positions];
        for (int l = 0; l < run.Layers; l++)
        {
            var act = source[names[l]];
            var shape = Enumerable.Repeat(1, act.Rank).ToArray();
            shape[1] = run.Positions;
            for (int p = 0; p < run.Positions; p++)
            {
                var at = new int[act.Rank];
                at[1] = p;
                var mask = PatchRun.Mask(shape, [at]);
                result[l * run.Positions + p] = run.ScoreWith([(names[l], PatchRun.Replace(act, mask))]);
            }
        }
        return Tensor.FromArray(result, [run.Layers, run.Positions]);
    }

    /// <summary>Patches each head's hook_z (or hook_result) at every position at once: [n_layers, n_heads].</summary>
    public static Tensor HeadsAllPositions(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, HeadActivation activation = HeadActivation.Z) =>
        Heads(model, clean, corrupted, metric, direction, activation, byPosition: false);

    /// <summary>Patches each head's hook_z (or hook_result) at each position: [n_layers, n_heads, pos].</summary>
    public static Tensor HeadsByPosition(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, HeadActivation activation = HeadActivation.Z) =>
        Heads(model, clean, corrupted, metric, direction, activation, byPosition: true);

    static Tensor Heads(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric,
        PatchDirection direction, HeadActivation activation, bool byPosition)
    {
        var run = new PatchRun("activation_patching", model, clean, corrupted, metric, direction);
        var names = Enumerable.Range(0, run.Layers).Select(l => HeadHook(l, activation)).ToArray();
        foreach (var n in names) run.CheckHook(n);
        var source = run.SourceCache(names.Contains);
        int positions = byPosition ? run.Positions : 1;
        var result = new double[run.Layers * run.Heads * positions];
        for (int l = 0; l < run.Layers; l++)
            for (int h = 0; h < run.Heads; h++)
                for (int p = 0; p < positions; p++)
                {
                    // [1, pos or 1, head, 1]: one head at one position, or at all of them
                    var mask = PatchRun.Mask([1, positions, run.Heads, 1], [[0, p, h, 0]]);
                    result[(l * run.Heads + h) * positions + p] = run.ScoreWith([(names[l], PatchRun.Replace(source[names[l]], mask))]);
                }
        return byPosition ? Tensor.FromArray(result, [run.Layers, run.Heads, run.Positions]) : Tensor.FromArray(result, [run.Layers, run.Heads]);
    }

    /// <summary>
    /// One patched run: the base prompt with each named hook replaced by the source prompt's activation (everywhere);
    /// returns the metric. Patching every hook of one run reproduces that run's metric.
    /// </summary>
    public static double Patch(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric,
        IEnumerable<string> hooks, PatchDirection direction = PatchDirection.Denoising)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        var run = new PatchRun("activation_patching", model, clean, corrupted, metric, direction);
        var names = hooks.ToArray();
        foreach (var n in names) run.CheckHook(n);
        var source = run.SourceCache(names.Contains);
        return run.ScoreWith(names.Select(n => ((HookFilter)n, PatchRun.Replace(source[n], null))));
    }

    /// <summary>The metric of the unpatched clean and corrupted runs.</summary>
    public static (double Clean, double Corrupted) Baselines(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric)
    {
        var run = new PatchRun("activation_patching", model, clean, corrupted, metric, PatchDirection.Denoising);
        using var _ = Interp.Autograd.GradMode.NoGrad();
        return (run.Score(model.Forward(run.Clean)), run.Score(model.Forward(run.Corrupted)));
    }

    internal static string HeadHook(int layer, HeadActivation activation) =>
        $"blocks.{layer}.attn.hook_{(activation == HeadActivation.Z ? "z" : "result")}";
}
