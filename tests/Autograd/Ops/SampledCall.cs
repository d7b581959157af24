using Interp.Testing;

namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// A call drawn by a spec's own sampler, recast as Interp.Testing data: each float leaf a <see cref="TensorCase"/>
/// (shape, view chain, values), the mask and index leaves constants, and the op as a function of the float inputs
/// with the keyword arguments fixed. GradProperty's checks and shrinkers then work on it as on a generated case; a
/// smaller shape that no longer suits the fixed arguments throws, which a shrink does not accept.
/// </summary>
public sealed record SampledCall(OpSpec Spec, Instance Instance, TensorCase[] Inputs, Domain[] Domains)
{
    /// <summary>The call a spec draws from seed <paramref name="seed"/>.</summary>
    public static SampledCall Draw(OpSpec spec, int seed)
    {
        var d = new TestData(seed);
        var instance = Instance.Draw(spec, spec.Draw(d), d);
        var floats = instance.FloatIndices;
        return new SampledCall(spec, instance,
            floats.Select(i => CaseOf(instance.Call.Leaves[i]!, instance.Leaves[i]!)).ToArray(),
            floats.Select(i => instance.Call.Leaves[i]!.Domain ?? spec.Inputs[i].Domain).ToArray());
    }

    /// <summary>The spec's forward on the viewed float inputs (in order) and the constant leaves, moved to the inputs' device.</summary>
    public Tensor Op(Tensor[] floats)
    {
        var device = floats.Length > 0 ? floats[0].Device : Device.Cpu;
        var all = Instance.Leaves.Select((t, i) => t is null ? null : Instance.Call.Leaves[i]!.ApplyViews(t.To(device))).ToArray();
        var fi = Instance.FloatIndices;
        for (int k = 0; k < fi.Length; k++) all[fi[k]] = floats[k];
        return Spec.Forward(new OpArgs(Spec.Inputs, all, Instance.Call.Args));
    }

    /// <summary>What the reproduction's <c>op</c> stands for: the spec, its arguments and its constant inputs.</summary>
    public string Describe()
    {
        var constants = Enumerable.Range(0, Instance.Leaves.Length)
            .Where(i => Instance.Leaves[i] is { } t && !t.DType.IsFloatingPoint())
            .Select(i => $"{Spec.Inputs[i].Name} = [{string.Join(", ", Instance.Leaves[i]!.ToIntArray())}] of shape {ShapeUtil.Format(Instance.Call.Leaves[i]!.Shape)}");
        return $"op is {Spec.Name}'s forward from the op table{(Instance.Call.Args.Values.Count > 0 ? $" with {Instance.Call.Args}" : "")}" +
               string.Concat(constants.Select(c => $"; {c}"));
    }

    static TensorCase CaseOf(Leaf leaf, Tensor values)
    {
        var shapes = new List<int[]> { leaf.Shape };
        foreach (var view in leaf.Views) shapes.Add(view.Apply(Tensor.Zeros(shapes[^1])).ShapeArray);
        var steps = leaf.Views.Select((v, k) => SampledView.From(v, shapes[k], shapes[k + 1])).ToArray();
        return new TensorCase(shapes[^1], steps, values.ToDoubleArray(), DType.Float64, Device.Cpu);
    }
}
