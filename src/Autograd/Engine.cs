namespace Interp.Autograd
{

/// <summary>Reverse-mode differentiation over the recorded graph.</summary>
public static class Engine
{
    /// <summary>
    /// Propagates d(root)/d(·) to every tensor that requires grad: leaves (and tensors that called RetainGrad) get it
    /// accumulated into .Grad; hooks see (and may replace) each gradient as it is computed. The graph's saved tensors
    /// are freed afterwards unless <paramref name="retainGraph"/>; with <paramref name="createGraph"/> the backward
    /// pass is itself recorded, so gradients can be differentiated again.
    /// </summary>
    public static void Backward(Tensor root, Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("backward: the tensor does not require grad and has no grad_fn (did you compute it under NoGrad, or from tensors without RequiresGrad?)");
        if (gradient is null)
        {
            if (root.Numel != 1)
                throw new InvalidOperationException($"backward: grad can be implicitly created only for scalar outputs, got shape {ShapeUtil.Format(root.shape)}; pass a gradient");
            gradient = Tensor.OnesLike(root);
        }
        else if (!ShapeUtil.SameShape(gradient.shape, root.shape))
            throw new ArgumentException($"backward: gradient shape {ShapeUtil.Format(gradient.shape)} does not match the output shape {ShapeUtil.Format(root.shape)}");

        retainGraph |= createGraph;   // as in PyTorch: a graph built to be differentiated again must stay
        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradient };
        using var mode = createGraph ? GradMode.EnableGrad() : GradMode.NoGrad();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            g = RunHooks(t, g);
            if (t.IsLeaf || t.RetainsGradFlag)
                t.Grad = t.Grad is null ? (createGraph ? g : g.Detach().Contiguous().Clone()) : t.Grad + g;
            if (t.GradFn is not { } node) continue;
            Tensor?[] inputGrads;
            using (Anomaly.InBackwardOf(node.Op)) inputGrads = node.Apply(g);
            if (inputGrads.Length != node.Inputs.Length)
                throw new InvalidOperationException($"{node.Op}: backward returned {inputGrads.Length} gradients for {node.Inputs.Length} inputs");
            for (int k = 0; k < node.Inputs.Length; k++)
            {
                if (node.Inputs[k] is not { } input || inputGrads[k] is not { } ig) continue;
                if (!ShapeUtil.SameShape(ig.shape, input.shape))
                    throw new InvalidOperationException($"{node.Op}: backward gave a gradient of shape {ShapeUtil.Format(ig.shape)} for input {k} of shape {ShapeUtil.Format(input.shape)}");
                grads[input] = grads.TryGetValue(input, out var acc) ? acc + ig : ig;
            }
            if (!retainGraph) node.Free();
        }
    }

    static Tensor RunHooks(Tensor t, Tensor g)
    {
        if (t.GradHooks is null) return g;
        foreach (var hook in t.GradHooks.ToArray())
            if (hook(g) is { } replaced)
            {
                if (!ShapeUtil.SameShape(replaced.shape, g.shape))
                    throw new InvalidOperationException($"gradient hook{(t.Name is null ? "" : $" on {t.Name}")}: returned shape {ShapeUtil.Format(replaced.shape)}, expected {ShapeUtil.Format(g.shape)}");
                g = replaced;
            }
        return g;
    }

    /// <summary>Tensors reachable from root through grad_fn edges, each after all of its inputs (iterative DFS).</summary>
    static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                if (inputs[next] is { } child && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(t);
        }
        return order;
    }
}

}

namespace Interp
{
using Interp.Autograd;

public static class AutogradTensorExtensions
{
    extension(Tensor t)
    {
        /// <summary>Back-propagates from this tensor (a scalar, or with an explicit output gradient).</summary>
        public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
            Engine.Backward(t, gradient, retainGraph, createGraph);

        /// <summary>Keeps .Grad on this non-leaf tensor after backward.</summary>
        public Tensor RetainGrad()
        {
            if (!t.RequiresGrad) throw new InvalidOperationException("retain_grad: the tensor does not require grad");
            t.RetainsGradFlag = true;
            return t;
        }

        /// <summary>Calls <paramref name="hook"/> with this tensor's gradient during backward; a non-null return replaces it. Dispose the handle to remove it.</summary>
        public IDisposable RegisterHook(Func<Tensor, Tensor?> hook)
        {
            if (!t.RequiresGrad) throw new InvalidOperationException("register_hook: cannot register a hook on a tensor that does not require grad");
            (t.GradHooks ??= []).Add(hook);
            return new HookHandle(() => t.GradHooks?.Remove(hook));
        }

        /// <summary>The same data, cut from the graph.</summary>
        public Tensor Detach() => new(t.Storage, t.shape, t.strides, t.Offset) { Name = t.Name };

        /// <summary>Sets RequiresGrad on a leaf and returns it (as tensor.requires_grad_()).</summary>
        public Tensor RequiresGrad_(bool requiresGrad = true)
        {
            if (!t.IsLeaf) throw new InvalidOperationException($"requires_grad_: only leaves can be changed; this tensor was made by {t.GradFn!.Op}");
            t.RequiresGrad = requiresGrad;
            return t;
        }
    }
}

internal sealed class HookHandle(Action remove) : IDisposable
{
    bool removed;
    public void Dispose() { if (!removed) { remove(); removed = true; } }
}
}
