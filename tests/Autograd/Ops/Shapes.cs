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
        var leaves = inputs.Select((input, i) => input.IsFloat ? RandomView(d, shapes[i]) : new Leaf(shapes[i])).ToArray();
        return new Call(leaves, args);
    }

    /// <summary>
    /// A leaf that becomes a tensor of <paramref name="target"/> shape through a random view: none, a permutation, a
    /// strided slice or an expansion.
    /// </summary>
    public static Leaf RandomView(TestData d, int[] target)
    {
        int r = target.Length;
        switch (r == 0 ? 0 : d.Int(0, 3))
        {
            case 1:
                var reversed = Enumerable.Range(0, r).Reverse().ToArray();
                return new Leaf(target.Reverse().ToArray()).Permuted(reversed);
            case 2:
                var wide = (int[])target.Clone(); wide[^1] = 2 * target[^1];
                return new Leaf(wide).Sliced(r - 1, 1, wide[^1], 2);
            case 3:
                var narrow = (int[])target.Clone(); narrow[0] = 1;
                return new Leaf(narrow).Expanded(target);
            default:
                return new Leaf(target);
        }
    }
}
