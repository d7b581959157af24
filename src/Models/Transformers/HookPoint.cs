using Interp.Nn;

namespace Interp.Transformers;

/// <summary>Sees an activation in the forward pass; a non-null return replaces it (same shape and dtype).</summary>
public delegate Tensor? ForwardHook(Tensor activation, HookPoint hook);

/// <summary>Sees the gradient of an activation in the backward pass; a non-null return replaces it.</summary>
public delegate Tensor? BackwardHook(Tensor gradient, HookPoint hook);

/// <summary>
/// A named place in the forward pass (TransformerLens's HookPoint): every activation passing through it is named after
/// it (anomaly mode reports that name), shown to its forward hooks in order, and — when backward hooks are registered —
/// tagged with a gradient hook, so those fire in any later backward through this forward pass.
/// </summary>
public sealed class HookPoint(string localName)
{
    /// <summary>A hook, the thread it is scoped to (null: every thread), and whether it only looks (returns null, keeps no graph).</summary>
    sealed record Entry<T>(T Hook, int? Thread, bool Observes = false);

    // copy-on-write arrays: a forward pass on one thread reads a snapshot while another thread adds or removes hooks
    readonly Lock gate = new();
    Entry<ForwardHook>[] forward = [];
    Entry<BackwardHook>[] backward = [];

    /// <summary>The full dotted name, e.g. <c>blocks.0.attn.hook_pattern</c>.</summary>
    public string Name { get; internal set; } = localName;
    internal string LocalName { get; } = localName;

    /// <summary>Whether hooks that fire on the calling thread are registered.</summary>
    public bool HasHooks => Visible(forward).Any() || Visible(backward).Any();

    /// <summary>
    /// Whether every hook that fires on the calling thread only looks at the activation (RunWithCache without grad):
    /// then the model may compute the activation any way it likes, e.g. by a fused kernel that hands it over afterwards.
    /// </summary>
    internal bool OnlyObserved => Visible(forward).All(e => e.Observes) && !Visible(backward).Any();

    /// <summary>A hook for every forward pass, on any thread, until the handle is disposed.</summary>
    public IDisposable AddForwardHook(ForwardHook hook) => Add(ref forward, new(hook, null));

    public IDisposable AddBackwardHook(BackwardHook hook) => Add(ref backward, new(hook, null));

    /// <summary>
    /// A hook for the forward passes of the calling thread only (what RunWithHooks and RunWithCache use), so runs on
    /// other threads at the same time neither see it nor feed it their activations.
    /// </summary>
    public IDisposable AddForwardHookForThisThread(ForwardHook hook) => Add(ref forward, new(hook, Environment.CurrentManagedThreadId));

    public IDisposable AddBackwardHookForThisThread(BackwardHook hook) => Add(ref backward, new(hook, Environment.CurrentManagedThreadId));

    /// <summary>A forward hook of the calling thread that returns null and needs no graph (see <see cref="OnlyObserved"/>).</summary>
    internal IDisposable AddObserverForThisThread(ForwardHook observer) =>
        Add(ref forward, new(observer, Environment.CurrentManagedThreadId, Observes: true));

    public void RemoveHooks()
    {
        lock (gate) (forward, backward) = ([], []);
    }

    IDisposable Add<T>(ref Entry<T>[] list, Entry<T> entry)
    {
        lock (gate) list = [.. list, entry];
        bool isForward = typeof(T) == typeof(ForwardHook);
        return new Handle(() =>
        {
            lock (gate)
            {
                if (isForward) forward = [.. forward.Where(e => !ReferenceEquals(e, entry))];
                else backward = [.. backward.Where(e => !ReferenceEquals(e, entry))];
            }
        });
    }

    static IEnumerable<Entry<T>> Visible<T>(Entry<T>[] entries)
    {
        int thread = Environment.CurrentManagedThreadId;
        foreach (var e in entries)
            if (e.Thread is null || e.Thread == thread) yield return e;
    }

    /// <summary>Passes <paramref name="activation"/> through the hooks and returns what the model should use.</summary>
    public Tensor Run(Tensor activation)
    {
        Interp.Autograd.Anomaly.AtHookPoint(Name);
        activation.Name = Name;
        foreach (var entry in Visible(forward))
        {
            if (entry.Hook(activation, this) is not { } replaced) continue;
            if (!ShapeUtil.SameShape(replaced.ShapeArray, activation.ShapeArray) || replaced.DType != activation.DType)
                throw new InvalidOperationException(
                    $"hook {Name}: a forward hook returned {replaced.DType.Name()} {ShapeUtil.Format(replaced.ShapeArray)}, " +
                    $"expected {activation.DType.Name()} {ShapeUtil.Format(activation.ShapeArray)}");
            activation = replaced;
            activation.Name = Name;
        }
        var backwardHooks = Visible(backward).Select(e => e.Hook).ToList();
        if (backwardHooks.Count > 0)
        {
            if (!activation.RequiresGrad)
                throw new InvalidOperationException($"hook {Name}: backward hooks are registered but the activation does not require grad (is grad mode off?)");
            foreach (var hook in backwardHooks) activation.RegisterHook(g => hook(g, this));
        }
        return activation;
    }

    public override string ToString() => $"HookPoint({Name})";

    sealed class Handle(Action remove) : IDisposable
    {
        bool removed;
        public void Dispose() { if (!removed) { remove(); removed = true; } }
    }
}

/// <summary>A module that owns hook points; the root names them after their path (<see cref="HookedTransformer"/>).</summary>
public abstract class HookedModule : Module
{
    readonly List<HookPoint> hooks = [];

    protected HookPoint AddHook(string name)
    {
        var h = new HookPoint(name);
        hooks.Add(h);
        return h;
    }

    /// <summary>Every hook point of <paramref name="module"/> and its descendants with its full name set, depth first.</summary>
    internal static IEnumerable<HookPoint> NameHooks(Module module, string prefix = "")
    {
        if (module is HookedModule hooked)
            foreach (var h in hooked.hooks)
            {
                h.Name = prefix + h.LocalName;
                yield return h;
            }
        foreach (var (name, child) in module.NamedChildren())
            foreach (var h in NameHooks(child, prefix + name + ".")) yield return h;
    }
}
