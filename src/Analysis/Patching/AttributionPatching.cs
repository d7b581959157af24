using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Patching;

/// <summary>
/// Attribution patching (Nanda; Syed et al. 2023): the first-order Taylor estimate of activation patching for every
/// hook, head and position at once, from one forward and one backward pass on the base prompt plus one forward pass
/// on the source prompt: metric(patched) ≈ metric(base) + Σ (a_source − a_base) · ∂metric/∂a |_base.
/// For denoising that is (a_clean − a_corrupt) · ∂metric/∂a at the corrupted run. Where the metric is linear in the
/// patched activation (e.g. the last layer's attention output or value vectors read out linearly, no final
/// LayerNorm) the estimate is exact.
/// </summary>
public static class AttributionPatching
{
    /// <summary>
    /// Runs attribution patching over every hook point. The model's parameter gradients are left untouched: the
    /// parameters' RequiresGrad is switched off for the base run and restored after it, so do not train or back-propagate
    /// through the same model on another thread meanwhile (inference under no-grad elsewhere is unaffected).
    /// </summary>
    public static AttributionResult Run(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising)
    {
        var run = new PatchRun("attribution_patching", model, clean, corrupted, metric, direction);
        var source = run.SourceCache(_ => true);
        var (baseline, live) = BaseRunWithGradients(run);
        var deltas = new Dictionary<string, Tensor>();
        using (GradMode.NoGrad())
            foreach (var (name, act) in live)
                if (act.Grad is { } g && act.DType.IsFloatingPoint())
                    deltas[name] = ((source[name] - act.Detach()) * g).Sum(0);   // summed over the batch: a patch covers every prompt
        return new AttributionResult(model.Config, baseline, deltas);
    }

    /// <summary>
    /// The base run with every hook's activation kept live and its gradient retained. The parameters are taken out of
    /// the graph for the run (the embedding output becomes the leaf), so no parameter's .Grad changes.
    /// </summary>
    static (double Baseline, List<(string Name, Tensor Act)> Live) BaseRunWithGradients(PatchRun run)
    {
        var parameters = run.Model.Parameters().Where(p => p.RequiresGrad).ToList();
        var live = new List<(string, Tensor)>();
        ForwardHook makeLeaf = (act, _) => act.Detach().RequiresGrad_();
        ForwardHook keep = (act, hook) =>
        {
            if (act.RequiresGrad) live.Add((hook.Name, act.RetainGrad()));   // not the positional embedding: it depends on no input
            return null;
        };
        try
        {
            foreach (var p in parameters) p.RequiresGrad = false;
            using var _ = GradMode.EnableGrad();
            var logits = run.Model.RunWithHooks(run.BaseTokens, [("hook_embed", makeLeaf), (HookFilter.Where(_ => true), keep)]);
            var value = run.CheckScalar(run.Metric(logits));
            if (!value.RequiresGrad)
                throw new ArgumentException("attribution_patching: the metric does not depend on the logits through differentiable ops (no gradient)");
            value.Backward();
            return (value.Item(), live);
        }
        finally
        {
            foreach (var p in parameters) p.RequiresGrad = true;
        }
    }
}

/// <summary>
/// The output of <see cref="AttributionPatching.Run"/>. The summaries have the shapes of
/// <see cref="ActivationPatching"/>'s and estimate the same number, the metric after the patch (Baseline + Δ).
/// </summary>
public sealed class AttributionResult
{
    readonly TransformerConfig config;
    readonly Dictionary<string, Tensor> deltas;

    internal AttributionResult(TransformerConfig config, double baseline, Dictionary<string, Tensor> deltas) =>
        (this.config, Baseline, this.deltas) = (config, baseline, deltas);

    /// <summary>The metric of the unpatched base run (the corrupted run for denoising, the clean run for noising).</summary>
    public double Baseline { get; }

    /// <summary>The hooks with an attribution (every floating-point activation that reached the metric).</summary>
    public IReadOnlyCollection<string> Hooks => deltas.Keys;

    /// <summary>
    /// The per-element estimated change of the metric, (a_source − a_base)·∂metric/∂a summed over the batch: the
    /// activation's shape without the batch dim (e.g. [pos, d_model], [pos, head, d_head], [head, query, key]).
    /// </summary>
    public Tensor Delta(string hook) => deltas.TryGetValue(hook, out var d) ? d
        : throw new KeyNotFoundException($"attribution_patching: no attribution for hook '{hook}' (it holds {deltas.Count}, e.g. {string.Join(", ", deltas.Keys.Take(4))})");

    /// <summary>Estimated metric after patching blocks.L.hook_resid_pre at each position: [n_layers, pos].</summary>
    public Tensor ResidPreByPosition => PerLayerByPosition("hook_resid_pre");
    /// <summary>Estimated metric after patching blocks.L.hook_attn_out at each position: [n_layers, pos].</summary>
    public Tensor AttnOutByPosition => PerLayerByPosition("hook_attn_out");
    /// <summary>Estimated metric after patching blocks.L.hook_mlp_out at each position: [n_layers, pos].</summary>
    public Tensor MlpOutByPosition => config.AttnOnly
        ? throw new InvalidOperationException("attribution_patching: the model is attention-only; it has no hook_mlp_out")
        : PerLayerByPosition("hook_mlp_out");
    /// <summary>Estimated metric after patching blocks.L.hook_resid_post at each position: [n_layers, pos].</summary>
    public Tensor ResidPostByPosition => PerLayerByPosition("hook_resid_post");

    /// <summary>Estimated metric after patching one head's hook_z at one position: [n_layers, n_heads, pos].</summary>
    public Tensor HeadsByPosition => Stack(l => Delta($"blocks.{l}.attn.hook_z").Sum(-1).Transpose(0, 1)) + Baseline;

    /// <summary>Estimated metric after patching one head's hook_z at every position: [n_layers, n_heads].</summary>
    public Tensor HeadsAllPositions => Stack(l => Delta($"blocks.{l}.attn.hook_z").Sum(-1).Sum(0)) + Baseline;

    /// <summary>Estimated metric after patching blocks.L.&lt;hook&gt; ([batch, pos, ...]) at each position: [n_layers, pos].</summary>
    public Tensor PerLayerByPosition(string hook) =>
        Stack(l => { var d = Delta($"blocks.{l}.{hook}"); return d.Rank == 1 ? d : d.Flatten(1).Sum(1); }) + Baseline;

    Tensor Stack(Func<int, Tensor> perLayer) =>
        Tensor.Stack(Enumerable.Range(0, config.NLayers).Select(perLayer).ToList()).Contiguous();
}
