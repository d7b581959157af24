using Interp.Autograd;

namespace Interp.Optim;

/// <summary>
/// Base of the optimizers (as torch.optim.Optimizer with one parameter group): holds the parameters, their
/// per-parameter state tensors, and the learning rate, which a schedule may change between steps.
/// </summary>
public abstract class Optimizer
{
    readonly Tensor[] parameters;
    FlatParameters? flat;

    /// <summary>Per-parameter state (momentum buffers, moments, the step count as a 0-d float64 tensor).</summary>
    protected readonly Dictionary<string, Tensor>[] State;

    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate, string name)
    {
        this.parameters = parameters.ToArray();
        if (this.parameters.Length == 0) throw new ArgumentException($"{name}: got an empty parameter list");
        foreach (var p in this.parameters)
            if (!p.IsLeaf || !p.RequiresGrad || !p.IsNonOverlapping)
                throw new ArgumentException($"{name}: parameters must be leaves that require grad, with no element reached twice (not an expanded view); {p.Name ?? "a tensor"} of shape {ShapeUtil.Format(p.ShapeArray)} is not");
        if (this.parameters.Distinct(ReferenceEqualityComparer.Instance).Count() != this.parameters.Length)
            throw new ArgumentException($"{name}: a parameter appears more than once in the list");
        State = this.parameters.Select(_ => new Dictionary<string, Tensor>()).ToArray();
        LearningRate = learningRate;
        flat = FlatParameters.TryPack(this.parameters);
    }

    public IReadOnlyList<Tensor> Parameters => parameters;

    public double LearningRate { get; set; }

    /// <summary>
    /// Updates every parameter that has a gradient, in place and without recording the graph. On an accelerator, when
    /// every parameter has one, this is one update over the flat buffers (<see cref="FlatParameters"/>): one kernel launch.
    /// A strided parameter (a view of a part of a bigger tensor, as a pretrained GPT-2's W_Q of the file's c_attn) is
    /// updated through a dense copy written back.
    /// </summary>
    public void Step()
    {
        using var _ = GradMode.NoGrad();
        if (flat is not null && !flat.Holds()) flat = null;   // the parameters were moved: update them one by one
        if (flat is not null && flat.GatherGrads() && UpdateAll(flat)) return;
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (p.Grad is not { } g) continue;
            if (p.IsContiguous)
            {
                Update(p, g.Detach().Contiguous(), State[i]);
                continue;
            }
            var dense = p.Detach().Contiguous();
            Update(dense, g.Detach().Contiguous(), State[i]);
            p.Backend.Copy(dense, p);
        }
    }

    /// <summary>One parameter's update from its (contiguous) gradient.</summary>
    protected abstract void Update(Tensor param, Tensor grad, Dictionary<string, Tensor> state);

    /// <summary>
    /// The update of all parameters at once from <paramref name="flat"/>'s buffers (every parameter has its gradient
    /// there); false when it cannot be one update (then <see cref="Update"/> runs per parameter), as for any optimizer
    /// that does not override it.
    /// </summary>
    internal virtual bool UpdateAll(FlatParameters flat) => false;

    /// <summary>Drops the gradients (torch's zero_grad(set_to_none=True)); the next backward allocates them afresh.</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters) p.Grad = null;
    }

    /// <summary>The state as named tensors <c>state.{index}.{key}</c>, for a checkpoint (the tensors are copies).</summary>
    public Dictionary<string, Tensor> ExportState()
    {
        var r = new Dictionary<string, Tensor>();
        for (int i = 0; i < State.Length; i++)
            foreach (var (key, t) in State[i]) r[$"state.{i}.{key}"] = t.Detach().Clone();
        return r;
    }

    /// <summary>Restores state written by <see cref="ExportState"/> for the same parameter list (copies the tensors).</summary>
    public void ImportState(IReadOnlyDictionary<string, Tensor> named)
    {
        var fresh = parameters.Select(_ => new Dictionary<string, Tensor>()).ToArray();
        foreach (var (name, t) in named)
        {
            var parts = name.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], out int i) || i < 0 || i >= parameters.Length)
                throw new ArgumentException($"import_state: unexpected name '{name}' (expected state.<0..{parameters.Length - 1}>.<key>)");
            bool isStep = parts[2] == "step";
            if (!isStep && (!ShapeUtil.SameShape(t.ShapeArray, parameters[i].ShapeArray) || t.DType != parameters[i].DType))
                throw new ArgumentException($"import_state: '{name}' is {t.DType.Name()} {ShapeUtil.Format(t.ShapeArray)}, parameter {i} is {parameters[i].DType.Name()} {ShapeUtil.Format(parameters[i].ShapeArray)}");
            fresh[i][parts[2]] = t.Detach().To(parameters[i].Device).Clone();
        }
        for (int i = 0; i < State.Length; i++) { State[i].Clear(); foreach (var kv in fresh[i]) State[i][kv.Key] = kv.Value; }
    }

    /// <summary>
    /// The state tensor <paramref name="key"/>, created as zeros like the parameter on first use (a view of the flat
    /// state buffer when the parameters are packed).
    /// </summary>
    protected Tensor StateLike(Dictionary<string, Tensor> state, string key, Tensor param) =>
        state.TryGetValue(key, out var t) ? t
            : state[key] = flat is not null ? flat.NewState(key, Array.IndexOf(State, state)) : Tensor.Zeros(param.ShapeArray, param.DType, param.Device);

    /// <summary>Increments and returns the parameter's step count (1 on its first update).</summary>
    protected static int NextStep(Dictionary<string, Tensor> state)
    {
        int step = PeekStep(state);
        state["step"] = Tensor.Scalar(step, DType.Float64);
        return step;
    }

    /// <summary>The step count the parameter's next update will have.</summary>
    protected static int PeekStep(Dictionary<string, Tensor> state) => state.TryGetValue("step", out var s) ? (int)s.Item() + 1 : 1;

    protected static void CheckNonNegative(string op, string what, double value)
    {
        if (!(value >= 0)) throw new ArgumentException($"{op}: {what} must be non-negative, got {value}");
    }
}
