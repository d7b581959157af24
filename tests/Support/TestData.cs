namespace Interp.Tests;

/// <summary>Random shapes, tensors and non-contiguous views for property tests, all derived from one seed.</summary>
public sealed class TestData(int seed)
{
    readonly Generator gen = new((ulong)seed * 7919UL + 17);

    public int Int(int lo, int hiInclusive) => lo + gen.NextInt(hiInclusive - lo + 1);

    public int[] Shape(int minRank = 0, int maxRank = 3, int maxDim = 4) =>
        Enumerable.Range(0, Int(minRank, maxRank)).Select(_ => Int(1, maxDim)).ToArray();

    /// <summary>A shape that broadcasts against <paramref name="shape"/>: some leading dims dropped, some dims set to 1.</summary>
    public int[] BroadcastPartner(int[] shape)
    {
        var tail = shape[Int(0, shape.Length)..];
        return tail.Select(d => Int(0, 2) == 0 ? 1 : d).ToArray();
    }

    public Tensor Tensor(int[] shape, double lo = -2, double hi = 2) =>
        Interp.Tensor.Uniform(shape, lo, hi, gen, DType.Float64);

    /// <summary>A positive-valued tensor (for log, sqrt, pow bases).</summary>
    public Tensor Positive(int[] shape) => Tensor(shape, 0.5, 2.5);

    /// <summary>
    /// A leaf shape and a function that turns the leaf into a view of <paramref name="target"/> shape: the tensor itself,
    /// a permutation, a strided slice or an expansion — so gradients through non-contiguous inputs get checked.
    /// </summary>
    public (int[] leafShape, Func<Tensor, Tensor> view, string kind) View(int[] target)
    {
        int r = target.Length;
        switch (r == 0 ? 0 : Int(0, 3))
        {
            case 1:
                return (target.Reverse().ToArray(), t => t.Permute(Enumerable.Range(0, r).Reverse().ToArray()), "permuted");
            case 2:
                var wide = (int[])target.Clone(); wide[^1] = 2 * target[^1];
                return (wide, t => t.Slice(-1, 1, null, 2), "strided slice");
            case 3:
                var narrow = (int[])target.Clone(); narrow[0] = 1;
                return (narrow, t => t.Expand(target), "expanded");
            default:
                return (target, t => t, "contiguous");
        }
    }
}
