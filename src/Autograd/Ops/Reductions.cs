using Interp.Autograd;
using Interp.Backends;

namespace Interp;

/// <summary>Sum, mean, max, min and arg-max/min over any dims, with keepDim as in PyTorch.</summary>
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
        public Tensor Max(int dim, bool keepDim = false) => x.Max([dim], keepDim);
        public Tensor Min(int[]? dims = null, bool keepDim = false) => Reduce("min", ReduceOp.Min, x, dims, keepDim);
        public Tensor Min(int dim, bool keepDim = false) => x.Min([dim], keepDim);

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
        return x.Backend.ArgReduce(max, x, ShapeUtil.NormalizeDim(name, dim.Value, x.Rank), keepDim);
    }

    static Tensor Reduce(string name, ReduceOp op, Tensor x, int[]? dims, bool keepDim)
    {
        var d = dims is null ? Enumerable.Range(0, x.Rank).ToArray() : ShapeUtil.NormalizeDims(name, dims, x.Rank);
        var y = x.Backend.Reduce(op, x, d, keepDim);
        if (!x.DType.IsFloatingPoint()) return y;
        var inShape = x.ShapeArray;
        var keptShape = inShape.Select((s, i) => d.Contains(i) ? 1 : s).ToArray();
        int count = d.Aggregate(1, (acc, i) => acc * inShape[i]);
        var yd = y.Detach();
        return Graph.Record(name, y, [x], g =>
        {
            var gk = g.Reshape(keptShape);
            switch (op)
            {
                case ReduceOp.Sum: return [gk.Expand(inShape)];
                case ReduceOp.Mean: return [(gk / count).Expand(inShape)];
                default:
                    var hit = x.Detach().Eq(yd.Reshape(keptShape));   // 1 at the extremes
                    return [hit * (gk / hit.Sum(d, keepDim: true))];
            }
        });
    }
}
