namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// The bad inputs the table implies for the ops with samplers of their own: for each broadcasting op, shapes [2, 3] and [4], whose error must name the op and
/// both shapes; for each float-only op, int32 inputs, whose error must name the op, int32 and the shape. Together with
/// the BadInput[] rows at the end of each spec file they are run by tests/Autograd/BadInputTests.cs.
/// </summary>
public static class GeneratedBadInputs
{
    /// <summary>The generated bad calls, then the ones written in the spec files.</summary>
    public static IEnumerable<BadInput> All() => OpTable.Specs.Values.SelectMany(For).Concat(OpTable.WrittenBadInputs);

    /// <summary>The ops Interp.Testing's generators cannot draw for (their own samplers) get one row each; the rest are properties (<see cref="BadInputPropertyTests"/>).</summary>
    static IEnumerable<BadInput> For(OpSpec spec)
    {
        if (SpecProperty.GeneratedByTheLibrary(spec)) yield break;
        if (spec.Shapes == Shapes.Broadcast) yield return NotBroadcasting(spec);
        if (spec.FloatOnly) yield return OfInt32(spec);
    }

    static BadInput NotBroadcasting(OpSpec spec)
    {
        var leaves = spec.Inputs.Select((_, i) => new Leaf(i == 1 ? [4] : [2, 3])).ToArray();
        var call = new Call(leaves, spec.RandomArgs?.Invoke(new TestData(0)) ?? new Kwargs());
        return new($"{spec.Name} of shapes that do not broadcast", typeof(ArgumentException),
            () => Instance.Draw(spec, call, new TestData(0)).Run(), spec.ErrorName, "[2, 3]", "[4]");
    }

    /// <summary>A random call of the op with each float input replaced by int32 zeros of the shape the op sees (no views).</summary>
    static BadInput OfInt32(OpSpec spec)
    {
        var d = new TestData(1);
        var call = spec.Draw(d);
        var drawn = Instance.Draw(spec, call, d);
        var seen = drawn.Leaves.Select((t, i) => t is null ? null : call.Leaves[i]!.ApplyViews(t)).ToArray();
        var ints = seen.Select(t => t is null ? null : t.DType.IsFloatingPoint() ? Tensor.Zeros(t.ShapeArray, DType.Int32) : t.Contiguous()).ToArray();
        var plain = call with { Leaves = ints.Select(t => t is null ? null : new Leaf(t.ShapeArray)).ToArray() };
        var first = ints.First(t => t is not null)!;
        return new($"{spec.Name} of int32", typeof(ArgumentException),
            () => new Instance(spec, plain, ints).Run(), spec.ErrorName, "int32", ShapeUtil.Format(first.ShapeArray));
    }
}
