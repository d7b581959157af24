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
        // Vertices are nodes and leaves; a tensor is kept alive only by the rules that saved it, and each node's rule
        // (with its saved tensors) goes as soon as it has run, so memory falls as the pass proceeds.
        object start = root.GradFn ?? (object)root;
        var order = TopologicalOrder(start);
        var grads = new Dictionary<object, PendingGrad>(ReferenceEqualityComparer.Instance) { [start] = new(gradient, null) };
        using var mode = createGraph ? GradMode.EnableGrad() : GradMode.NoGrad();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var vertex = order[i];
            order[i] = null!;
            if (!grads.Remove(vertex, out var pending)) continue;
            if (vertex is Tensor leaf)
            {
                Accumulate(leaf, RunHooks(leaf.GradHooks, leaf.Name, pending.Sum()), createGraph);
                continue;
            }
            var node = (Node)vertex;
            Tensor?[] inputGrads;
            // a gradient in two parts goes to a rule that adds them in its own pass when nothing observes the sum
            // (no hook, no retained grad) and the backward is not recorded
            if (pending.Second is { } second && node.FusesSum && node.OutputHooks is null && node.RetainedOutput is null && !createGraph)
            {
                using (Anomaly.InBackwardOf(node.Op)) inputGrads = node.ApplyToSum(pending.First, second);
            }
            else
            {
                var g = RunHooks(node.OutputHooks, node.OutputName, pending.Sum());
                if (node.RetainedOutput is { } weak && weak.TryGetTarget(out var output)) Accumulate(output, g, createGraph);
                using (Anomaly.InBackwardOf(node.Op)) inputGrads = node.Apply(g);
            }
            if (inputGrads.Length != node.Next.Length)
                throw new InvalidOperationException($"{node.Op}: backward returned {inputGrads.Length} gradients for {node.Next.Length} inputs");
            for (int k = 0; k < node.Next.Length; k++)
            {
                var edge = node.Next[k];
                if (edge.Target is not { } target || inputGrads[k] is not { } ig) continue;
                if (!ShapeUtil.SameShape(ig.shape, edge.Shape))
                    throw new InvalidOperationException($"{node.Op}: backward gave a gradient of shape {ShapeUtil.Format(ig.shape)} for input {k} of shape {ShapeUtil.Format(edge.Shape)}");
                grads[target] = grads.TryGetValue(target, out var acc) ? acc.Add(ig) : new(ig, null);
            }
            if (!retainGraph) node.Free();
        }
    }

    /// <summary>
    /// The gradient of one vertex as it arrives from its consumers: the sum of all but the last part, and the last one.
    /// Summing in arrival order ((g1 + g2) + g3 ...) as it comes keeps at most two parts alive; the last addition is
    /// left to the vertex, whose rule may fuse it (<see cref="Node.ApplyToSum"/>).
    /// </summary>
    readonly record struct PendingGrad(Tensor First, Tensor? Second)
    {
        public PendingGrad Add(Tensor g) => Second is null ? new(First, g) : new(First + Second, g);
        public Tensor Sum() => Second is null ? First : First + Second;
    }

    /// <summary>t.Grad += g (a detached copy unless the backward pass is itself recorded).</summary>
    static void Accumulate(Tensor t, Tensor g, bool createGraph) =>
        t.Grad = t.Grad is null ? (createGraph ? g : DetachedCopy(t, g)) : t.Grad + g;

    /// <summary>A copy of g, into the leaf's <see cref="Tensor.GradHome"/> when it has one (the same one copy kernel).</summary>
    static Tensor DetachedCopy(Tensor t, Tensor g)
    {
        if (t.GradHome is not { } home || home.Device != g.Device || home.DType != g.DType) return g.Detach().Clone();   // Clone is contiguous
        home.Backend.Copy(g.Detach(), home);
        return home;
    }

    static Tensor RunHooks(List<Func<Tensor, Tensor?>>? hooks, string? name, Tensor g)
    {
        if (hooks is null) return g;
        foreach (var hook in hooks.ToArray())
            if (hook(g) is { } replaced)
            {
                if (!ShapeUtil.SameShape(replaced.shape, g.shape))
                    throw new InvalidOperationException($"gradient hook{(name is null ? "" : $" on {name}")}: returned shape {ShapeUtil.Format(replaced.shape)}, expected {ShapeUtil.Format(g.shape)}");
                g = replaced;
            }
        return g;
    }

    /// <summary>Nodes and leaves reachable from start through the edges, each after all of its inputs (iterative DFS).</summary>
    static List<object> TopologicalOrder(object start)
    {
        var order = new List<object>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(object v, int next)>();
        stack.Push((start, 0));
        visited.Add(start);
        while (stack.Count > 0)
        {
            var (v, next) = stack.Pop();
            var edges = v is Node n ? n.Next : [];
            if (next < edges.Length)
            {
                stack.Push((v, next + 1));
                if (edges[next].Target is { } child && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(v);
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
            if (t.GradFn is { } node) node.RetainedOutput = new WeakReference<Tensor>(t);   // a leaf keeps its grad anyway
            return t;
        }

        /// <summary>Calls <paramref name="hook"/> with this tensor's gradient during backward; a non-null return replaces it. Dispose the handle to remove it.</summary>
        public IDisposable RegisterHook(Func<Tensor, Tensor?> hook)
        {
            if (!t.RequiresGrad) throw new InvalidOperationException("register_hook: cannot register a hook on a tensor that does not require grad");
            if (t.GradFn is { } node)
            {
                (node.OutputHooks ??= []).Add(hook);
                node.OutputName ??= t.Name;
                return new HookHandle(() => node.OutputHooks?.Remove(hook));
            }
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
