namespace Interp.Autograd;

/// <summary>
/// One recorded operation of the autograd graph: the op's name, the inputs that need gradients, and its backward
/// rule, which maps the gradient of the output to the gradients of the inputs (null where an input needs none).
/// The rule (and the tensors it saved) is dropped after a backward pass unless the graph is retained.
/// </summary>
public sealed class Node
{
    Func<Tensor, Tensor?[]>? backward;

    public string Op { get; }
    public Tensor?[] Inputs { get; }

    public Node(string op, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Op = op;
        Inputs = inputs;
        this.backward = backward;
    }

    public bool IsFreed => backward is null;

    public Tensor?[] Apply(Tensor gradOutput)
    {
        var rule = backward ?? throw new InvalidOperationException(
            $"{Op}: trying to backward through the graph a second time; its saved tensors were freed after the first " +
            "backward. Call Backward(retainGraph: true) the first time if you need to backward twice.");
        return rule(gradOutput);
    }

    public void Free() => backward = null;

    public override string ToString() => $"<{Op}Backward>";
}
