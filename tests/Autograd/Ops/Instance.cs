using Interp.Testing;

namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// A call made concrete: the leaf tensors (float64 or float32, on a device) and the op applied to them, views first.
/// Float leaves are what gradients are taken with respect to; masks and indices are constants.
/// </summary>
public sealed class Instance(OpSpec spec, Call call, Tensor?[] leaves)
{
    public OpSpec Spec => spec;
    public Call Call => call;
    public Tensor?[] Leaves => leaves;

    /// <summary>Draws each leaf from its domain (the leaf's own, else the input's) with <paramref name="d"/>.</summary>
    public static Instance Draw(OpSpec spec, Call call, TestData d)
    {
        if (call.Leaves.Length != spec.Inputs.Length)
            throw new ArgumentException($"{spec.Name}: a call with {call.Leaves.Length} leaves for {spec.Inputs.Length} inputs");
        var leaves = call.Leaves.Select((leaf, i) => leaf is null ? null : DrawLeaf(leaf, spec.Inputs[i].Domain, d)).ToArray();
        return new Instance(spec, call, leaves);
    }

    static Tensor DrawLeaf(Leaf leaf, Domain inputDomain, TestData d) =>
        leaf.Given is { } values ? Tensor.FromArray(values, leaf.Shape) : (leaf.Domain ?? inputDomain).Draw(d, leaf.Shape);

    /// <summary>The same instance with every float leaf converted to <paramref name="dtype"/> and all moved to <paramref name="device"/>.</summary>
    public Instance To(DType dtype, Device device) => new(spec, call,
        leaves.Select(t => t is null ? null : (t.DType.IsFloatingPoint() ? t.To(dtype) : t).To(device).Detach()).ToArray());

    public int[] FloatIndices => Enumerable.Range(0, leaves.Length).Where(i => leaves[i] is { } t && t.DType.IsFloatingPoint()).ToArray();

    /// <summary>The op on the given float leaves (in <see cref="FloatIndices"/> order) and the constant others.</summary>
    public Tensor Run(IReadOnlyList<Tensor> floats)
    {
        var all = (Tensor?[])leaves.Clone();
        var fi = FloatIndices;
        for (int k = 0; k < fi.Length; k++) all[fi[k]] = floats[k];
        var viewed = all.Select((t, i) => t is null ? null : call.Leaves[i]!.ApplyViews(t)).ToArray();
        return spec.Forward(new OpArgs(spec.Inputs, viewed, call.Args));
    }

    public Tensor Run() => Run(FloatIndices.Select(i => leaves[i]!).ToArray());

    public override string ToString() =>
        $"{spec.Name}({string.Join(", ", call.Leaves.Select((l, i) => $"{spec.Inputs[i].Name}: {l?.ToString() ?? "absent"}"))}{(call.Args.Values.Count > 0 ? "; " + call.Args : "")})";
}
