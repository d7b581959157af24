namespace Interp.Nn;

/// <summary>
/// A building block of models (as torch.nn.Module): owns parameters and child modules, registered by name in order,
/// so <see cref="NamedParameters"/> yields dotted names such as <c>layers.0.weight</c>.
/// </summary>
public abstract class Module
{
    readonly List<(string Name, Tensor Param)> parameters = [];
    readonly List<(string Name, Module Child)> children = [];

    /// <summary>True in training mode (the default); layers such as dropout read it.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a leaf tensor as a trainable parameter (sets RequiresGrad) and returns it.</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        if (!value.IsLeaf) throw new ArgumentException($"{GetType().Name}: parameter '{name}' must be a leaf tensor, made by {value.GradFn!.Op}");
        value.RequiresGrad = true;
        parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a child module, whose parameters are then named <c>{name}.{theirs}</c>.</summary>
    protected T RegisterModule<T>(string name, T child) where T : Module
    {
        CheckName(name);
        children.Add((name, child));
        return child;
    }

    void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: '{name}' is not a valid parameter or module name (non-empty, no dots)");
        if (parameters.Any(p => p.Name == name) || children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name}: '{name}' is already registered");
    }

    /// <summary>Every parameter of this module and its descendants, depth first in registration order.</summary>
    public IEnumerable<(string Name, Tensor Param)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in parameters) yield return (prefix + name, p);
        foreach (var (name, child) in children)
            foreach (var np in child.NamedParameters(prefix + name + ".")) yield return np;
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Param);

    /// <summary>Where the parameters live (the first one's device; the CPU for a module without parameters).</summary>
    public Device Device => Parameters().FirstOrDefault()?.Device ?? Device.Cpu;

    /// <summary>
    /// Moves every parameter to <paramref name="device"/> in place, as torch's <c>module.to(device)</c>; returns this.
    /// A strided parameter (a view of a part of a bigger tensor) arrives there dense.
    /// </summary>
    public Module To(Device device)
    {
        foreach (var p in Parameters())
        {
            if (p.Device != device && !p.IsContiguous) p.SetData(p.Detach().Contiguous());
            p.MoveDataTo(device);
        }
        return this;
    }

    public IEnumerable<(string Name, Module Child)> NamedChildren() => children;

    /// <summary>Sets training mode on this module and all descendants; returns this.</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in children) child.Train(mode);
        return this;
    }

    public Module Eval() => Train(false);
}

/// <summary>Child modules in a list, named by index ("0", "1", ...), as torch.nn.ModuleList.</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    readonly List<T> items = [];

    public ModuleList(IEnumerable<T> modules)
    {
        foreach (var m in modules) Add(m);
    }

    public void Add(T module) => items.Add(RegisterModule(items.Count.ToString(), module));

    public T this[int index] => items[index];
    public int Count => items.Count;
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
