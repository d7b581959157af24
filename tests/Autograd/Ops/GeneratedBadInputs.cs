namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// The bad inputs the table implies that are not properties (<see cref="BadInputPropertyTests"/>): for each broadcasting
/// op with a mask, shapes [2, 3] and [4], whose error must name the op and both shapes. Together with
/// the BadInput[] rows at the end of each spec file they are run by tests/Autograd/BadInputTests.cs.
/// </summary>
public static class GeneratedBadInputs
{
    /// <summary>The generated bad calls, then the ones written in the spec files.</summary>
    public static IEnumerable<BadInput> All() => OpTable.Specs.Values.SelectMany(For).Concat(OpTable.WrittenBadInputs);

    /// <summary>The broadcasting ops the generators cannot draw for (masks) get one row each; the rest are properties (<see cref="BadInputPropertyTests"/>).</summary>
    static IEnumerable<BadInput> For(OpSpec spec)
    {
        if (spec.Shapes == Shapes.Broadcast && !SpecProperty.GeneratedByTheLibrary(spec)) yield return NotBroadcasting(spec);
    }

    static BadInput NotBroadcasting(OpSpec spec)
    {
        var leaves = spec.Inputs.Select((_, i) => new Leaf(i == 1 ? [4] : [2, 3])).ToArray();
        var call = new Call(leaves, spec.RandomArgs?.Invoke(new TestData(0)) ?? new Kwargs());
        return new($"{spec.Name} of shapes that do not broadcast", typeof(ArgumentException),
            () => Instance.Draw(spec, call, new TestData(0)).Run(), spec.ErrorName, "[2, 3]", "[4]");
    }
}
