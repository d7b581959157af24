using Interp.Autograd;

namespace Interp.Transformers;

/// <summary>
/// Selects hook points: by exact name (<see cref="Name"/>; a name the model does not have is refused, as
/// TransformerLens refuses it, rather than matching nothing), or by a predicate on names (<see cref="Where"/>).
/// </summary>
public readonly record struct HookFilter(Func<string, bool> Matches, string? Name = null)
{
    public static implicit operator HookFilter(string name) => new(n => n == name, name);
    public static implicit operator HookFilter(Func<string, bool> predicate) => new(predicate);
    public static HookFilter Where(Func<string, bool> predicate) => new(predicate);
}

public sealed partial class HookedTransformer
{
    /// <summary>
    /// Forward pass with the given hooks attached; the hooks are removed afterwards, also when the run throws. They are
    /// attached for the calling thread only: other threads running this model at the same time do not see them.
    /// Backward hooks are attached to this run's activations, so they fire in a later backward from its logits.
    /// </summary>
    public Tensor RunWithHooks(Tensor tokens,
        IEnumerable<(HookFilter Filter, ForwardHook Hook)>? fwdHooks = null,
        IEnumerable<(HookFilter Filter, BackwardHook Hook)>? bwdHooks = null)
        => RunAttached(tokens, handles =>
        {
            foreach (var (filter, hook) in fwdHooks ?? [])
                handles.AddRange(Matching(filter).Select(h => h.AddForwardHookForThisThread(hook)));
            foreach (var (filter, hook) in bwdHooks ?? [])
                handles.AddRange(Matching(filter).Select(h => h.AddBackwardHookForThisThread(hook)));
        });

    /// <summary>Forward pass with what <paramref name="attach"/> registers (its handles), removed afterwards, also when the run throws.</summary>
    Tensor RunAttached(Tensor tokens, Action<List<IDisposable>> attach)
    {
        var handles = new List<IDisposable>();
        try
        {
            attach(handles);
            return Forward(tokens);
        }
        finally
        {
            foreach (var handle in handles) handle.Dispose();
        }
    }

    /// <summary>
    /// Forward pass that records the activations at every hook point (or those whose name passes
    /// <paramref name="namesFilter"/>). Without grad the pass runs under NoGrad; with grad the cache holds the live
    /// activations, so a backward from the logits reaches them (call RetainGrad on those you want to read).
    /// With <paramref name="backwardFrom"/> (TransformerLens's incl_bwd) it also back-propagates from that scalar of
    /// the logits and caches each hook's gradient under its name + "_grad" (e.g. blocks.0.hook_resid_post_grad);
    /// hooks the scalar does not depend on get none. The parameters' .Grad are left as they were.
    /// With <paramref name="device"/> the cache lives there (TransformerLens's device argument: e.g. the CPU for a model on
    /// the GPU); each activation is copied as it is recorded. <see cref="ActivationCache.Bytes"/> says what it holds.
    /// </summary>
    public (Tensor Logits, ActivationCache Cache) RunWithCache(Tensor tokens, Func<string, bool>? namesFilter = null, bool withGrad = false,
        Func<Tensor, Tensor>? backwardFrom = null, Device? device = null)
    {
        var cache = new ActivationCache(Config.NLayers);
        var gradHooks = new List<IDisposable>();
        Tensor Keep(Tensor t) => device is null || t.Device == device ? t : t.To(device);
        ForwardHook save = (act, hook) =>
        {
            cache.Add(hook.Name, Keep(withGrad ? act : act.Detach()));
            if (backwardFrom is not null && act.RequiresGrad)
                gradHooks.Add(act.RegisterHook(g => { cache.Add(hook.Name + "_grad", Keep(g.Detach())); return null; }));
            return null;
        };
        // without grad the cache only looks, so attention may run fused and hand over its scores and pattern
        bool observe = !withGrad && backwardFrom is null;
        var filter = HookFilter.Where(namesFilter ?? (_ => true));
        using var mode = observe ? GradMode.NoGrad() : GradMode.EnableGrad();
        var logits = RunAttached(tokens, handles =>
            handles.AddRange(Matching(filter).Select(h => observe ? h.AddObserverForThisThread(save) : h.AddForwardHookForThisThread(save))));
        if (backwardFrom is null) return (logits, cache);
        try { BackwardKeepingParameterGrads(backwardFrom(logits), retainGraph: withGrad); }
        finally { foreach (var h in gradHooks) h.Dispose(); }
        return (withGrad ? logits : logits.Detach(), cache);
    }

    void BackwardKeepingParameterGrads(Tensor scalar, bool retainGraph)
    {
        if (scalar.Numel != 1 || !scalar.RequiresGrad)
            throw new ArgumentException($"run_with_cache: backwardFrom must give a scalar that depends on the logits, got {scalar.DType.Name()} " +
                $"{ShapeUtil.Format(scalar.ShapeArray)}{(scalar.RequiresGrad ? "" : " without a gradient")}");
        var before = Parameters().Select(p => (p, p.Grad)).ToList();
        try { scalar.Backward(retainGraph: retainGraph); }
        finally { foreach (var (p, grad) in before) p.Grad = grad; }
    }

    IEnumerable<HookPoint> Matching(HookFilter filter) => filter.Name is string name ? [Hook(name)]
        : hookPoints.Values.Where(h => filter.Matches(h.Name)).ToList();
}
