namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// How a random call's shapes are drawn: all inputs of one shape (rank 0–3, sizes 1–4), or broadcast partners (some
/// leading dims dropped, some dims 1, either side the larger). Each float input is then a random non-contiguous view.
/// </summary>
public enum Shapes { Same, Broadcast }

public static class ShapesExtensions
{
    public static Call Draw(this Shapes family, TestData d, Input[] inputs, Kwargs args)
    {
        var first = d.Shape();
        var shapes = inputs.Select((_, i) => i == 0 || family == Shapes.Same ? first : d.BroadcastPartner(first)).ToArray();
        if (family == Shapes.Broadcast && shapes.Length > 1 && d.Int(0, 1) == 1) (shapes[0], shapes[1]) = (shapes[1], shapes[0]);
        var leaves = inputs.Select((input, i) => input.IsFloat ? Samples.RandomView(d, shapes[i]) : new Leaf(shapes[i])).ToArray();
        return new Call(leaves, args);
    }
}
