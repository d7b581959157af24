namespace Interp.Tests.Autograd.Ops;

/// <summary>Small helpers the spec files share to write calls and random samples.</summary>
public static class Samples
{
    /// <summary>One of the given calls at random (for ops whose random calls are their fixture calls: einsum, cat, attention).</summary>
    public static Func<TestData, Call> OneOf(params Call[] calls) => d => calls[d.Int(0, calls.Length - 1)];

    public static Kwargs Kw(params (string key, object value)[] pairs) => new(pairs);

    /// <summary>A call on one leaf.</summary>
    public static Call On(Leaf x, Kwargs? args = null) => new([x], args ?? new Kwargs());

    /// <summary>A call on several leaves.</summary>
    public static Call On(Leaf?[] leaves, Kwargs? args = null) => new(leaves, args ?? new Kwargs());

    /// <summary>A random shape of rank between the bounds (sizes at least <paramref name="minDim"/>) as a random view.</summary>
    public static (Leaf leaf, int[] shape) RandomInput(TestData d, int minRank = 0, int maxRank = 3, int minDim = 1)
    {
        var shape = d.Shape(minRank, maxRank).Select(s => Math.Max(s, minDim)).ToArray();
        return (RandomView(d, shape), shape);
    }

    /// <summary>A random non-empty set of dims of a tensor of rank <paramref name="rank"/> ≥ 1, some written negative.</summary>
    public static int[] SomeDims(TestData d, int rank)
    {
        var dims = Enumerable.Range(0, rank).Where(_ => d.Int(0, 1) == 1).Select(i => d.Int(0, 1) == 1 ? i - rank : i).ToArray();
        return dims.Length == 0 ? [d.Int(0, rank - 1)] : dims;
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
