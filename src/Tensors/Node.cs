namespace Interp;

/// <summary>
/// Where one input's gradient goes: the node that produced the input, or the leaf that accumulates it (both null
/// where the input needs no gradient), and the input's shape, which its gradient must have.
/// </summary>
public readonly record struct Edge(Node? Node, Tensor? Leaf, int[] Shape)
{
    /// <summary>The node or the leaf, whichever the gradient goes to (null where none).</summary>
    public object? Target => (object?)Node ?? Leaf;
    public bool IsNone => Target is null;

    /// <summary>The edge to t's producer (none where t is null or does not require grad).</summary>
    public static Edge To(Tensor? t) =>
        t is { RequiresGrad: true } ? new Edge(t.GradFn, t.GradFn is null ? t : null, t.ShapeArray) : default;
}

/// <summary>
/// One recorded operation of the autograd graph: the op's name, where each input's gradient goes, and its backward
/// rule, which maps the gradient of the output to the gradients of the inputs (null where an input needs none).
/// As in PyTorch, a node points at the nodes that made its inputs, not at the input tensors: an intermediate result
/// stays alive only while some backward rule saved it, so (x·W + b).Relu() keeps the ReLU's output, not also the
/// product and the sum. The rule (and the tensors it saved) is dropped after a backward pass unless the graph is retained.
/// </summary>
public sealed class Node
{
    Func<Tensor, Tensor?[]>? backward;
    Func<Tensor, Tensor, Tensor?[]>? backwardOfSum;
    Func<Tensor, Tensor?[]>? backwardOfRowSum;
    Func<Tensor, Tensor>? signScale;
    Func<Tensor?, Tensor, Tensor?[]>? backwardOfSignScaled;

    public string Op { get; }
    public Edge[] Next { get; }

    /// <summary>Gradient hooks registered on the tensor this node produced.</summary>
    internal List<Func<Tensor, Tensor?>>? OutputHooks { get; set; }
    /// <summary>The output's name, for the hooks' error messages.</summary>
    internal string? OutputName { get; set; }
    /// <summary>The output, when it called RetainGrad() (weak: retaining its gradient must not keep it alive).</summary>
    internal WeakReference<Tensor>? RetainedOutput { get; set; }

    /// <param name="backwardOfSum">
    /// Optional: the rule applied to g1 + g2 without the sum being written out, for an output whose gradient arrives
    /// in two parts (a tensor read by two ops); it must give what <paramref name="backward"/> gives for g1 + g2.
    /// </param>
    /// <param name="backwardOfRowSum">
    /// Optional: the rule applied to the output gradient summed over every dim but the last (shape [n] for an output
    /// [.., n]), for an op that reads its output gradient only through that sum (x + b with b a row broadcast to x
    /// and x needing no gradient); it must give what <paramref name="backward"/> gives for the full gradient.
    /// </param>
    /// <param name="signScale">
    /// Optional, for a one-input op whose input gradient is s·sign(x), s broadcast to x's shape (Σ|x|): the rule giving
    /// s alone from the output gradient.
    /// </param>
    /// <param name="backwardOfSignScaled">
    /// Optional: the rule applied to an output gradient g + s·sign(output) (s broadcast to the output's shape; g the
    /// other parts' sum, null where there are none) without the part s·sign(output) being written out; it must give
    /// what <paramref name="backward"/> gives for that sum.
    /// </param>
    public Node(string op, Edge[] next, Func<Tensor, Tensor?[]> backward, Func<Tensor, Tensor, Tensor?[]>? backwardOfSum = null,
                Func<Tensor, Tensor?[]>? backwardOfRowSum = null, Func<Tensor, Tensor>? signScale = null,
                Func<Tensor?, Tensor, Tensor?[]>? backwardOfSignScaled = null)
    {
        Op = op;
        Next = next;
        this.backward = backward;
        this.backwardOfSum = backwardOfSum;
        this.backwardOfRowSum = backwardOfRowSum;
        this.signScale = signScale;
        this.backwardOfSignScaled = backwardOfSignScaled;
    }

    /// <summary>The edges to <paramref name="inputs"/>' producers (none where an input does not require grad).</summary>
    public static Edge[] EdgesTo(Tensor?[] inputs)
    {
        var edges = new Edge[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) edges[i] = Edge.To(inputs[i]);
        return edges;
    }

    public bool IsFreed => backward is null;

    public Tensor?[] Apply(Tensor gradOutput)
    {
        var rule = backward ?? throw new InvalidOperationException(
            $"{Op}: trying to backward through the graph a second time; its saved tensors were freed after the first " +
            "backward. Call Backward(retainGraph: true) the first time if you need to backward twice.");
        return rule(gradOutput);
    }

    /// <summary>Whether <see cref="ApplyToSum"/> can take a gradient in two parts without their sum.</summary>
    public bool FusesSum => backwardOfSum is not null && backward is not null;

    /// <summary>The backward rule for the output gradient g1 + g2, the parts added inside the rule's own kernel.</summary>
    public Tensor?[] ApplyToSum(Tensor g1, Tensor g2)
    {
        var rule = backwardOfSum ?? throw new InvalidOperationException(
            IsFreed ? $"{Op}: trying to backward through the graph a second time; its saved tensors were freed after the first backward."
                    : $"{Op}: has no rule for a gradient in two parts; add them and call Apply");
        return rule(g1, g2);
    }

    /// <summary>Whether <see cref="ApplyToRowSum"/> can take the output gradient summed over every dim but the last.</summary>
    public bool TakesRowSum => backwardOfRowSum is not null && backward is not null;

    /// <summary>The backward rule for an output gradient given only as its sum over every dim but the last.</summary>
    public Tensor?[] ApplyToRowSum(Tensor rowSum)
    {
        var rule = backwardOfRowSum ?? throw new InvalidOperationException(
            IsFreed ? $"{Op}: trying to backward through the graph a second time; its saved tensors were freed after the first backward."
                    : $"{Op}: has no rule for a row-summed gradient; call Apply with the full gradient");
        return rule(rowSum);
    }

    /// <summary>Whether <see cref="SignScaleOf"/> can give this one-input op's input gradient as a scale of sign(input).</summary>
    public bool GivesSignScale => signScale is not null && backward is not null && Next.Length == 1;

    /// <summary>s, where the input gradient for output gradient g is s·sign(input) (s broadcast to the input's shape).</summary>
    public Tensor SignScaleOf(Tensor gradOutput)
    {
        var rule = signScale ?? throw new InvalidOperationException(
            IsFreed ? $"{Op}: trying to backward through the graph a second time; its saved tensors were freed after the first backward."
                    : $"{Op}: has no rule for a sign-scaled input gradient; call Apply");
        return rule(gradOutput);
    }

    /// <summary>Whether <see cref="ApplyToSignScaled"/> can take an output gradient with a part given as s·sign(output).</summary>
    public bool TakesSignScaled => backwardOfSignScaled is not null && backward is not null;

    /// <summary>The backward rule for the output gradient g + s·sign(output) (g null where that part is all of it).</summary>
    public Tensor?[] ApplyToSignScaled(Tensor? g, Tensor scale)
    {
        var rule = backwardOfSignScaled ?? throw new InvalidOperationException(
            IsFreed ? $"{Op}: trying to backward through the graph a second time; its saved tensors were freed after the first backward."
                    : $"{Op}: has no rule for a sign-scaled gradient part; write it out and call Apply");
        return rule(g, scale);
    }

    public void Free() => (backward, backwardOfSum, backwardOfRowSum, signScale, backwardOfSignScaled) = (null, null, null, null, null);

    public override string ToString() => $"<{Op}Backward>";
}
