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
        var (order, readers) = TopologicalOrder(start);
        var grads = new Dictionary<object, PendingGrad>(ReferenceEqualityComparer.Instance) { [start] = new(gradient, null) };
        // leaves take the gradients the pass made and nothing else holds as they are (the caller's gradient is theirs)
        var owned = retainGraph ? null : new GradOwnership();
        owned?.Shared(gradient);
        using var mode = createGraph ? GradMode.EnableGrad() : GradMode.NoGrad();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var vertex = order[i];
            order[i] = null!;
            if (!grads.Remove(vertex, out var pending)) continue;
            if (vertex is Tensor leaf)
            {
                Accumulate(leaf, RunHooks(leaf.GradHooks, leaf.Name, pending.Sum(), owned), createGraph, owned);
                continue;
            }
            var node = (Node)vertex;
            var rowSummed = createGraph ? null : RowSummedInputs(node, readers);
            bool asScale = !createGraph && SignScaled.Wanted(node, rowSummed);
            var inputGrads = Apply(node, pending, rowSummed, createGraph, asScale, owned);
            if (inputGrads.Length != node.Next.Length)
                throw new InvalidOperationException($"{node.Op}: backward returned {inputGrads.Length} gradients for {node.Next.Length} inputs");
            for (int k = 0; k < node.Next.Length; k++)
            {
                var edge = node.Next[k];
                if (edge.Target is not { } target || inputGrads[k] is not { } ig) continue;
                owned?.HandedOut(ig);
                if (asScale)
                {   // the part s·sign(x) as s alone, for the producer to fold in (SignScaled)
                    grads[target] = grads.TryGetValue(target, out var parts) ? parts.AddScale(ig) : new(null, null, Scale: ig);
                    continue;
                }
                if (rowSummed?[k] == true)
                {   // the input's producer reads only the row sum (RowSums); a rule that made the full gradient is summed here
                    if (ShapeUtil.SameShape(ig.shape, edge.Shape)) ig = RowSums.Of(ig);
                    else if (ig.Rank != 1 || ig.shape[0] != edge.Shape[^1])
                        throw new InvalidOperationException($"{node.Op}: backward gave a row-summed gradient of shape {ShapeUtil.Format(ig.shape)} for input {k} of shape {ShapeUtil.Format(edge.Shape)}");
                    grads[target] = new(ig, null, RowSummed: true);   // its only reader, so its only part
                    continue;
                }
                if (!ShapeUtil.SameShape(ig.shape, edge.Shape))
                    throw new InvalidOperationException($"{node.Op}: backward gave a gradient of shape {ShapeUtil.Format(ig.shape)} for input {k} of shape {ShapeUtil.Format(edge.Shape)}");
                grads[target] = grads.TryGetValue(target, out var acc) ? acc.Add(ig) : new(ig, null);
            }
            if (!retainGraph) node.Free();
        }
    }

    /// <summary>Runs a node's backward on its pending output gradient, in the cheapest form nothing observes.</summary>
    static Tensor?[] Apply(Node node, PendingGrad pending, bool[]? rowSummed, bool createGraph, bool asScale, GradOwnership? owned)
    {
        Tensor? g = null;
        // a gradient in two parts goes to a rule that adds them in its own pass when nothing observes the sum
        // (no hook, no retained grad) and the backward is not recorded; a sign-scaled part is only ever given then
        bool fuseSum = pending.Second is not null && node.FusesSum && node.OutputHooks is null && node.RetainedOutput is null && !createGraph;
        if (!pending.RowSummed && !fuseSum && pending.Scale is null)
        {
            g = RunHooks(node.OutputHooks, node.OutputName, pending.Sum(), owned);
            if (node.RetainedOutput is { } weak && weak.TryGetTarget(out var output)) Accumulate(output, g, createGraph, null);
        }
        using var inBackward = Anomaly.InBackwardOf(node.Op);
        using var request = RowSums.Request(rowSummed);
        return pending.Scale is { } scale ? node.ApplyToSignScaled(pending.First is null ? null : pending.Sum(), scale)
             : pending.RowSummed ? node.ApplyToRowSum(pending.First!)
             : g is null ? node.ApplyToSum(pending.First!, pending.Second!)
             : asScale ? [node.SignScaleOf(g)]
             : node.Apply(g);
    }

    /// <summary>
    /// The inputs of <paramref name="node"/> whose gradient only its producer reads, and reads only as a row sum: a
    /// producer that takes row sums (<see cref="Node.TakesRowSum"/>), read by this node alone, through one edge, with
    /// no hook or retained grad on its output. Null where there are none. (The caller leaves out recorded backward passes.)
    /// </summary>
    static bool[]? RowSummedInputs(Node node, Dictionary<Node, int> readers)
    {
        bool[]? wanted = null;
        for (int k = 0; k < node.Next.Length; k++)
            if (node.Next[k] is { Node: { TakesRowSum: true } producer, Shape.Length: >= 2 }
                && readers[producer] == 1 && producer.OutputHooks is null && producer.RetainedOutput is null)
                (wanted ??= new bool[node.Next.Length])[k] = true;
        return wanted;
    }

    /// <summary>
    /// The gradient of one vertex as it arrives from its consumers: the sum of all but the last part, and the last one.
    /// Summing in arrival order ((g1 + g2) + g3 ...) as it comes keeps at most two parts alive; the last addition is
    /// left to the vertex, whose rule may fuse it (<see cref="Node.ApplyToSum"/>).
    /// </summary>
    /// <param name="RowSummed">First is the gradient summed over every dim but the last (<see cref="RowSums"/>).</param>
    /// <param name="Scale">The sum of the parts given as s·sign(output), as s (<see cref="SignScaled"/>); First is null
    /// while no other part has come.</param>
    readonly record struct PendingGrad(Tensor? First, Tensor? Second, bool RowSummed = false, Tensor? Scale = null)
    {
        public PendingGrad Add(Tensor g) => First is null ? this with { First = g }
                                          : Second is null ? this with { Second = g } : this with { First = First + Second, Second = g };
        public PendingGrad AddScale(Tensor s) => this with { Scale = Scale is null ? s : Scale + s };
        public Tensor Sum() => First is null ? throw new InvalidOperationException("backward: a gradient given only as a sign-scaled part")
                             : Second is null ? First : First + Second;
    }

    /// <summary>
    /// t.Grad += g: g itself when the backward pass is recorded, else g detached when the pass owns it and t has no
    /// gradient home (<paramref name="owned"/>), else a detached copy.
    /// </summary>
    static void Accumulate(Tensor t, Tensor g, bool createGraph, GradOwnership? owned) =>
        t.Grad = t.Grad is not null ? t.Grad + g
               : createGraph ? g
               : t.GradHome is null && owned is not null && owned.Owns(g) ? g.Detach()
               : DetachedCopy(t, g);

    /// <summary>A copy of g, into the leaf's <see cref="Tensor.GradHome"/> when it has one (the same one copy kernel).</summary>
    static Tensor DetachedCopy(Tensor t, Tensor g)
    {
        if (t.GradHome is not { } home || home.Device != g.Device || home.DType != g.DType) return g.Detach().Clone();   // Clone is contiguous
        home.Backend.Copy(g.Detach(), home);
        return home;
    }

    static Tensor RunHooks(List<Func<Tensor, Tensor?>>? hooks, string? name, Tensor g, GradOwnership? owned)
    {
        if (hooks is null) return g;
        foreach (var hook in hooks.ToArray())
        {
            owned?.Shared(g);   // the hook may keep what it sees
            if (hook(g) is { } replaced)
            {
                if (!ShapeUtil.SameShape(replaced.shape, g.shape))
                    throw new InvalidOperationException($"gradient hook{(name is null ? "" : $" on {name}")}: returned shape {ShapeUtil.Format(replaced.shape)}, expected {ShapeUtil.Format(g.shape)}");
                g = replaced;
            }
        }
        owned?.Shared(g);
        return g;
    }

    /// <summary>
    /// Nodes and leaves reachable from start through the edges, each after all of its inputs (iterative DFS), and for
    /// each node the number of edges into it (its readers, one per use).
    /// </summary>
    static (List<object> Order, Dictionary<Node, int> Readers) TopologicalOrder(object start)
    {
        var order = new List<object>();
        var readers = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
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
                if (edges[next].Node is { } producer) readers[producer] = readers.GetValueOrDefault(producer) + 1;
                if (edges[next].Target is { } child && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(v);
        }
        return (order, readers);
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
