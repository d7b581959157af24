namespace Interp.Analysis.Sae;

/// <summary>The top-k selection of a TopK SAE.</summary>
public static class TopK
{
    /// <summary>
    /// A 0/1 mask of x's shape [.., n] with exactly k ones per row, at the k largest entries of the row (ties: the
    /// first index, as repeated argmax). Carries no gradient.
    /// </summary>
    public static Tensor Mask(Tensor x, int k)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0) throw new ArgumentException("topk: needs at least one dimension, got a scalar");
        int n = x.Size(-1);
        if (k < 1 || k > n) throw new ArgumentException($"topk: k must lie in [1, {n}] for rows of {n}, got {k}");
        var shape = x.ShapeArray;
        var rows = x.Detach().Reshape(-1, n);
        var mask = Tensor.Zeros(rows.ShapeArray, x.DType, x.Device);
        var one = Tensor.Ones([rows.Size(0), 1], x.DType, x.Device);
        var knockOut = Tensor.Full([rows.Size(0), 1], double.NegativeInfinity, x.DType, x.Device);
        for (int i = 0; i < k; i++)
        {
            var index = rows.ArgMax(1, keepDim: true);
            mask = mask.ScatterAdd(1, index, one);
            rows = rows.ScatterAdd(1, index, knockOut);
        }
        return mask.Reshape(shape);
    }
}
