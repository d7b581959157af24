namespace Interp.Autograd;

/// <summary>
/// Row-summed gradients. Some ops read their output gradient only through its sum over every dim but the last
/// ("rows"): x ± b with b a row broadcast over x and x needing no gradient (an SAE's x − b_dec), whose only gradient is
/// ±Σ_rows g. When such an op's output is read by one op alone and nothing observes its gradient (no hook, no retained
/// grad, the backward not recorded), the engine asks that reader's backward for the row sum instead of the full
/// gradient. A rule that can make the sum more cheaply checks <see cref="Wanted"/>: a matmul's
/// Σ_rows(G·Bᵀ) = (Σ_rows G)·Bᵀ is a vector-matrix product instead of a GEMM. A rule that ignores the request returns
/// the full gradient and the engine sums it, so honouring it is only ever an optimisation.
/// </summary>
public static class RowSums
{
    [ThreadStatic] static bool[]? wanted;

    /// <summary>Whether the backward rule now running may return input <paramref name="input"/>'s gradient as its row sum (shape [n]).</summary>
    public static bool Wanted(int input) => wanted is { } w && input < w.Length && w[input];

    /// <summary>While disposed-of-later, the running rule may return the inputs marked true as row sums (the engine sets it).</summary>
    internal static IDisposable? Request(bool[]? inputs)
    {
        if (inputs is null) return null;
        var previous = wanted;
        wanted = inputs;
        return new Restore(() => wanted = previous);
    }

    sealed class Restore(Action undo) : IDisposable { public void Dispose() => undo(); }

    /// <summary>g summed over every dim but the last: shape [n] for g of shape [.., n].</summary>
    public static Tensor Of(Tensor g) => g.Rank <= 1 ? g : g.Sum(Enumerable.Range(0, g.Rank - 1).ToArray());

    /// <summary>Whether an operand of this shape is a row broadcast over an output of rank <paramref name="outputRank"/> ≥ 2: all its dims but the last are 1.</summary>
    public static bool IsRow(int[] shape, int outputRank) =>
        outputRank >= 2 && shape.Length <= outputRank && shape.SkipLast(1).All(d => d == 1);

    /// <summary>The gradient of a row operand of shape <paramref name="shape"/> from the output gradient's row sum [n] (the rest of <see cref="Graph.SumToShape"/>).</summary>
    public static Tensor ToShape(Tensor rowSum, int outputRank, int[] shape)
    {
        var keptDims = Enumerable.Repeat(1, outputRank - 1).Append(rowSum.shape[0]).ToArray();
        return Graph.SumToShape(rowSum.Reshape(keptDims), shape);
    }
}
