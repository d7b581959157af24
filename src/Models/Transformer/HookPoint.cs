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
    readonly List<ForwardHook> forward = [];
    readonly List<BackwardHook> backward = [];

    /// <summary>The full dotted name, e.g. <c>blocks.0.attn.hook_pattern</c>.</summary>
    public string Name { get; internal set; } = localName;
    internal string LocalName { get; } = localName;

    public bool HasHooks => forward.Count > 0 || backward.Count > 0;

    public IDisposable AddForwardHook(ForwardHook hook)
    {
        forward.Add(hook);
        return new Handle(() => forward.Remove(hook));
    }

    public IDisposable AddBackwardHook(BackwardHook hook)
    {
        backward.Add(hook);
        return new Handle(() => backward.Remove(hook));
    }

    public void RemoveHooks()
    {
        forward.Clear();
        backward.Clear();
    }

    /// <summary>Passes <paramref name="activation"/> through the hooks and returns what the model should use.</summary>
    public Tensor Run(Tensor activation)
    {
        activation.Name = Name;
        foreach (var hook in forward.ToArray())
        {
            if (hook(activation, this) is not { } replaced) continue;
            if (!ShapeUtil.SameShape(replaced.ShapeArray, activation.ShapeArray) || replaced.DType != activation.DType)
                throw new InvalidOperationException(
                    $"hook {Name}: a forward hook returned {replaced.DType.Name()} {ShapeUtil.Format(replaced.ShapeArray)}, " +
                    $"expected {activation.DType.Name()} {ShapeUtil.Format(activation.ShapeArray)}");
            activation = replaced;
            activation.Name = Name;
        }
        if (backward.Count > 0)
        {
            if (!activation.RequiresGrad)
                throw new InvalidOperationException($"hook {Name}: backward hooks are registered but the activation does not require grad (is grad mode off?)");
            foreach (var hook in backward.ToArray()) activation.RegisterHook(g => hook(g, this));
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
