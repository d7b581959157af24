namespace Interp.Autograd;

/// <summary>How ops join the graph: compute the result without grad, then attach a Node holding the backward rule.</summary>
public static class Graph
{
    /// <summary>
    /// Attaches <paramref name="backward"/> to <paramref name="result"/> when grad mode is on and some input requires
    /// grad. The rule returns one gradient per input, in order (null where none is needed).
    /// </summary>
    public static Tensor Record(string op, Tensor result, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward) =>
        Record(op, result, inputs, backward, backwardOfRowSum: null);

    /// <summary>
    /// As above, with a second rule for the output gradient given only as its sum over every dim but the last, for an
    /// op that reads its output gradient only through that sum (see <see cref="RowSums"/>; null where it does not).
    /// </summary>
    public static Tensor Record(string op, Tensor result, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward, Func<Tensor, Tensor?[]>? backwardOfRowSum)
    {
        if (Anomaly.IsEnabled) Anomaly.Check(op, result, inputs);
        if (!GradMode.IsEnabled) return result;
        bool any = false;
        foreach (var t in inputs) any |= t is not null && t.RequiresGrad;
        if (!any) return result;
        result.SetGradFn(new Node(op, Node.EdgesTo(inputs), backward, backwardOfRowSum: backwardOfRowSum));
        return result;
    }

    /// <summary>
    /// As <see cref="Record"/> for an op whose backward reads its own output: the rule gets (output, g). It keeps the
    /// output's data, not the output tensor itself, so the graph does not keep that tensor alive (PyTorch's saved output).
    /// </summary>
    public static Tensor RecordSavingOutput(string op, Tensor result, Tensor?[] inputs, Func<Tensor, Tensor, Tensor?[]> backward)
    {
        var saved = result.Detach();
        Node? node = null;
        var recorded = Record(op, result, inputs, g => backward(Unpack(saved, node), g));
        node = recorded.GradFn;
        return recorded;
    }

    /// <summary>
    /// As above, with a second rule for an output gradient that arrives in two parts (the output read by two ops; null for none): it
    /// gets (output, g1, g2) and must return what <paramref name="backward"/> returns for g1 + g2, adding the parts in
    /// its own kernel instead of the engine writing their sum out first. The engine uses it only when no hook or retained
    /// grad observes the sum and the backward is not itself recorded.
    /// </summary>
    /// <param name="backwardOfSignScaled">
    /// Optional: the rule for an output gradient g + s·sign(output), s broadcast to the output's shape (a reader such as
    /// Σ|output| gave its part as s, <see cref="SignScaled"/>): it gets (output, g or null, s) and must return what
    /// <paramref name="backward"/> returns for that sum, without writing s·sign(output) out. Used under the same conditions.
    /// </param>
    public static Tensor RecordSavingOutput(string op, Tensor result, Tensor?[] inputs, Func<Tensor, Tensor, Tensor?[]> backward,
                                            Func<Tensor, Tensor, Tensor, Tensor?[]>? backwardOfSum,
                                            Func<Tensor, Tensor?, Tensor, Tensor?[]>? backwardOfSignScaled = null)
    {
        if (Anomaly.IsEnabled) Anomaly.Check(op, result, inputs);
        if (!GradMode.IsEnabled || !inputs.Any(t => t is not null && t.RequiresGrad)) return result;
        var saved = result.Detach();
        Node? node = null;
        result.SetGradFn(node = new Node(op, Node.EdgesTo(inputs), g => backward(Unpack(saved, node), g),
                                         backwardOfSum is null ? null : (g1, g2) => backwardOfSum(saved, g1, g2),
                                         backwardOfSignScaled: backwardOfSignScaled is null ? null : (g, s) => backwardOfSignScaled(saved, g, s)));
        return result;
    }

    /// <summary>
    /// As <see cref="Record"/> for a one-input op whose input gradient is s·sign(x), s broadcast to x's shape (Σ|x| over
    /// some dims: s is the output gradient spread over them). <paramref name="signScale"/> maps the output gradient to s,
    /// so that x's producer can take the part in that form (<see cref="SignScaled"/>).
    /// </summary>
    public static Tensor RecordSignScaled(string op, Tensor result, Tensor x, Func<Tensor, Tensor?[]> backward, Func<Tensor, Tensor> signScale)
    {
        if (Anomaly.IsEnabled) Anomaly.Check(op, result, [x]);
        if (!GradMode.IsEnabled || !x.RequiresGrad) return result;
        result.SetGradFn(new Node(op, Node.EdgesTo([x]), backward, signScale: signScale));
        return result;
    }

    /// <summary>
    /// The saved output, joined again to the node that made it when the backward pass is itself recorded
    /// (createGraph): otherwise the gradient would not depend on the input through the output, and a second
    /// derivative would silently come out zero.
    /// </summary>
    static Tensor Unpack(Tensor saved, Node? node)
    {
        if (node is null || !GradMode.IsEnabled) return saved;
        var output = saved.Detach();
        output.SetGradFn(node);
        return output;
    }

    static Tensor Attach(string op, Tensor result, Edge[] next, Func<Tensor, Tensor?[]> backward)
    {
        result.SetGradFn(new Node(op, next, backward));
        return result;
    }

    /// <summary>
    /// Marks a gradient computed by a fused backward kernel: under createGraph its result joins the graph with a rule
    /// that fails loudly, so a second derivative through this op is an error rather than silently zero.
    /// </summary>
    public static Tensor FusedBackward(string op, Tensor grad, params Tensor?[] from) =>
        Record(op + "_backward", grad, from, Refuse(op));

    /// <summary>As above, from edges: an op that saved no input can still name the input's producer.</summary>
    public static Tensor FusedBackward(string op, Tensor grad, Edge[] from)
    {
        if (Anomaly.IsEnabled) Anomaly.Check(op + "_backward", grad, []);
        return GradMode.IsEnabled && from.Any(e => !e.IsNone) ? Attach(op + "_backward", grad, from, Refuse(op)) : grad;
    }

    static Func<Tensor, Tensor?[]> Refuse(string op) => _ => throw new NotSupportedException(
        $"{op}: its backward is a fused kernel and cannot be differentiated again (createGraph: true)");

    /// <summary>Sums a broadcast gradient back to the shape of the operand it flowed from.</summary>
    public static Tensor SumToShape(Tensor g, IReadOnlyList<int> shape)
    {
        if (ShapeUtil.SameShape(g.shape, shape.ToArray())) return g;
        int lead = g.Rank - shape.Count;
        var dims = new List<int>();
        for (int d = 0; d < g.Rank; d++)
            if (d < lead || (shape[d - lead] == 1 && g.shape[d] != 1)) dims.Add(d);
        var s = dims.Count == 0 ? g : g.Sum(dims.ToArray(), keepDim: true);
        return s.Reshape(shape.ToArray());
    }
}

/// <summary>
/// Anomaly mode (off by default): every op's output is checked for NaN/Inf and the first offender is reported with
/// the op, its inputs' shapes (and names), the last hook point the forward pass went through and, in a backward pass,
/// the op whose backward was running. Like no-grad, it is a setting of the calling thread (the ops record their graph
/// there), so one thread's checks never fire in another's work.
/// </summary>
public static class Anomaly
{
    [ThreadStatic] static bool enabled;
    [ThreadStatic] static string? lastHookPoint, backwardOf;
    public static bool IsEnabled => enabled;

    public static IDisposable Enable()
    {
        var previous = (enabled, lastHookPoint, backwardOf);
        (enabled, lastHookPoint, backwardOf) = (true, null, null);
        return new Restore(() => (enabled, lastHookPoint, backwardOf) = previous);
    }

    /// <summary>Notes that the forward pass reached hook point <paramref name="name"/> (reported with an anomaly after it).</summary>
    public static void AtHookPoint(string name)
    {
        if (enabled) lastHookPoint = name;
    }

    /// <summary>While disposed-of-later, the ops run are those of <paramref name="op"/>'s backward (the engine sets it).</summary>
    internal static IDisposable? InBackwardOf(string op)
    {
        if (!enabled) return null;
        string? previous = backwardOf;
        backwardOf = op;
        return new Restore(() => backwardOf = previous);
    }

    sealed class Restore(Action undo) : IDisposable { public void Dispose() => undo(); }

    internal static void Check(string op, Tensor result, Tensor?[] inputs)
    {
        if (!result.DType.IsFloatingPoint()) return;
        foreach (var v in result.ToArray<double>())
            if (!double.IsFinite(v))
                throw new NonFiniteException(
                    $"anomaly: {op} produced {(double.IsNaN(v) ? "NaN" : "Inf")} in its output of shape {ShapeUtil.Format(result.shape)}" +
                    $"; inputs: {string.Join(", ", inputs.Select(i => i is null ? "-" : ShapeUtil.Format(i.shape) + (i.Name is null ? "" : $" ({i.Name})")))}" +
                    (backwardOf is null ? "" : $"; in the backward of {backwardOf}") +
                    (lastHookPoint is null ? "" : $"; after hook point {lastHookPoint}"));
    }
}
