using Interp.Autograd;

namespace Interp.Transformers;

/// <summary>Selects hook points: by exact name, or by a predicate on names (<see cref="Where"/>).</summary>
public readonly record struct HookFilter(Func<string, bool> Matches)
{
    public static implicit operator HookFilter(string name) => new(n => n == name);
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
    {
        var handles = new List<IDisposable>();
        try
        {
            foreach (var (filter, hook) in fwdHooks ?? [])
                handles.AddRange(Matching(filter).Select(h => h.AddForwardHookForThisThread(hook)));
            foreach (var (filter, hook) in bwdHooks ?? [])
                handles.AddRange(Matching(filter).Select(h => h.AddBackwardHookForThisThread(hook)));
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
    /// </summary>
    public (Tensor Logits, ActivationCache Cache) RunWithCache(Tensor tokens, Func<string, bool>? namesFilter = null, bool withGrad = false)
    {
        var cache = new ActivationCache(Config.NLayers);
        ForwardHook save = (act, hook) => { cache.Add(hook.Name, withGrad ? act : act.Detach()); return null; };
        var hooks = new List<(HookFilter, ForwardHook)> { (HookFilter.Where(namesFilter ?? (_ => true)), save) };
        using var mode = withGrad ? GradMode.EnableGrad() : GradMode.NoGrad();
        var logits = RunWithHooks(tokens, hooks);
        return (logits, cache);
    }

    IEnumerable<HookPoint> Matching(HookFilter filter) => hookPoints.Values.Where(h => filter.Matches(h.Name)).ToList();
}
