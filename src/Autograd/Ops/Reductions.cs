using Interp.Autograd;
using Interp.Backends;

namespace Interp;

/// <summary>Sum, mean, max, min and arg-max/min over any dims, with keepDim as in PyTorch; the running sum along a dim.</summary>
public static class Reductions
{
    extension(Tensor x)
    {
        /// <summary>Sum over <paramref name="dims"/> (all dims when null).</summary>
        public Tensor Sum(int[]? dims = null, bool keepDim = false) => Reduce("sum", ReduceOp.Sum, x, dims, keepDim);
        public Tensor Sum(int dim, bool keepDim = false) => x.Sum([dim], keepDim);
        public Tensor Mean(int[]? dims = null, bool keepDim = false) => Reduce("mean", ReduceOp.Mean, x, dims, keepDim);
        public Tensor Mean(int dim, bool keepDim = false) => x.Mean([dim], keepDim);

        /// <summary>Maximum over dims (torch.amax); the gradient is shared evenly among tied maxima.</summary>
        public Tensor Max(int[]? dims = null, bool keepDim = false) => Reduce("max", ReduceOp.Max, x, dims, keepDim);
        /// <summary>torch.max(x, dim).values: the gradient goes to the one index torch.max(x, dim) returns, not shared among ties.</summary>
        public Tensor Max(int dim, bool keepDim = false) => AlongDim(true, x, dim, keepDim);
        public Tensor Min(int[]? dims = null, bool keepDim = false) => Reduce("min", ReduceOp.Min, x, dims, keepDim);
        public Tensor Min(int dim, bool keepDim = false) => AlongDim(false, x, dim, keepDim);

        /// <summary>
        /// The running sum along a dim (torch.cumsum): y_i = Σ_{j ≤ i} x_j. Its backward is the running sum from the end,
        /// Σ_{j ≥ i} g_j = Σ_j g_j − y(g)_i + g_i, made of cumsum itself so that it is differentiable again.
        /// </summary>
        public Tensor CumSum(int dim)
        {
            Check.Float("cumsum", x);
            if (x.Rank == 0)   // torch: a 0-d tensor takes dim 0 or -1 and is its own running sum
            {
                ShapeUtil.NormalizeDim("cumsum", dim, 1);
                return x.Reshape(1).CumSum(0).Reshape();
            }
            int d = ShapeUtil.NormalizeDim("cumsum", dim, x.shape);
            return Graph.Record("cumsum", x.Backend.CumSum(x, d), [x], g => [g.Sum(d, keepDim: true) - g.CumSum(d) + g]);
        }

        /// <summary>Index of the maximum along a dim (of the flattened tensor when dim is null), as int32.</summary>
        public Tensor ArgMax(int? dim = null, bool keepDim = false) => Arg(true, x, dim, keepDim);
        public Tensor ArgMin(int? dim = null, bool keepDim = false) => Arg(false, x, dim, keepDim);
    }

    static Tensor Arg(bool max, Tensor x, int? dim, bool keepDim)
    {
        string name = max ? "argmax" : "argmin";
        if (dim is null)
        {
            var flat = x.Detach().Reshape(-1);
            return flat.Backend.ArgReduce(max, flat, 0, keepDim: false);
        }
        int d = ShapeUtil.NormalizeDim(name, dim.Value, x.shape);
        if (x.Rank == 0) return Arg(max, x.Reshape(1), 0, false);   // torch: argmax of a 0-d tensor along dim 0/-1 is 0
        return x.Backend.ArgReduce(max, x, d, keepDim);
    }

    /// <summary>
    /// Max/min along one dim with PyTorch's max(dim) gradient: dy/dx is 1 at the first extreme of each row (the index
    /// argmax/argmin returns) and 0 elsewhere, so tied maxima do not share it (amax, Max(int[]), shares it evenly).
    /// </summary>
    static Tensor AlongDim(bool max, Tensor x, int dim, bool keepDim)
    {
        string name = max ? "max" : "min";
        int d = ShapeUtil.NormalizeDim(name, dim, x.shape);
        if (x.Rank == 0 || !x.DType.IsFloatingPoint()) return Reduce(name, max ? ReduceOp.Max : ReduceOp.Min, x, [d], keepDim);
        var y = x.Backend.Reduce(max ? ReduceOp.Max : ReduceOp.Min, x, [d], keepDim);
        var index = x.Backend.ArgReduce(max, x.Detach(), d, keepDim: true);
        var inShape = x.ShapeArray;
        var keptShape = (int[])inShape.Clone(); keptShape[d] = 1;
        var posShape = inShape.Select((s, i) => i == d ? s : 1).ToArray();
        return Graph.Record(name, y, [x], g =>
        {
            var position = Tensor.Arange(0, inShape[d], 1, x.DType, x.Device).Reshape(posShape);
            var pick = position.Eq(index.To(x.DType));   // one-hot along d
            return [pick * g.Reshape(keptShape)];
        });
    }

    static Tensor Reduce(string name, ReduceOp op, Tensor x, int[]? dims, bool keepDim)
    {
        var d = dims is null ? Enumerable.Range(0, x.Rank).ToArray() : ShapeUtil.NormalizeDims(name, dims, x.shape);
        if (x.Rank == 0) d = [];   // a 0-d tensor accepts dim 0/-1 (as in PyTorch) but has no dim to reduce
        var y = x.Backend.Reduce(op, x, d, keepDim);
        if (!x.DType.IsFloatingPoint()) return y;
        var inShape = x.ShapeArray;
        var keptShape = inShape.Select((s, i) => d.Contains(i) ? 1 : s).ToArray();
        int count = d.Aggregate(1, (acc, i) => acc * inShape[i]);
        return Graph.Record(name, y, [x], op switch
        {
            // a sum or mean needs no saved tensor (only shapes), so none is captured
            ReduceOp.Sum => g => [g.Reshape(keptShape).Expand(inShape)],
            ReduceOp.Mean => g => [(g.Reshape(keptShape) / count).Expand(inShape)],
            _ => ExtremeBackward(x.Detach(), y.Detach().Reshape(keptShape), keptShape, d),
        });
    }

    /// <summary>
    /// max/min: the gradient is shared equally among the elements that attain the extreme; where the extreme is NaN,
    /// among the NaNs (PyTorch's evenly_distribute_backward).
    /// </summary>
    static Func<Tensor, Tensor?[]> ExtremeBackward(Tensor x, Tensor yKept, int[] keptShape, int[] d) => g =>
    {
        var hit = x.Eq(yKept) + x.Ne(x) * yKept.Ne(yKept);   // 1 at the extremes (NaN ≠ NaN, so the NaNs are added)
        return [hit * (g.Reshape(keptShape) / hit.Sum(d, keepDim: true))];
    };
}
