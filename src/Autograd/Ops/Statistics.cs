using Interp.Autograd;
using Interp.Backends;

namespace Interp;

/// <summary>Variance, standard deviation, vector norms and log-sum-exp over any dims, with keepDim as in PyTorch.</summary>
public static class Statistics
{
    extension(Tensor x)
    {
        /// <summary>
        /// Σ(x − mean)² / (N − correction) over <paramref name="dims"/> (all when null); correction 1 is the unbiased
        /// estimate, 0 the biased one. A two-pass kernel (mean first), so large offsets cost no accuracy.
        /// </summary>
        public Tensor Var(int[]? dims = null, bool keepDim = false, int correction = 1) => Variance("var", x, dims, keepDim, correction);
        public Tensor Var(int dim, bool keepDim = false, int correction = 1) => x.Var([dim], keepDim, correction);

        /// <summary>√var over the same dims, with the same correction.</summary>
        /// <remarks>The gradient is 0 where the std is 0 (a constant slice), as in PyTorch, not 0·∞ = NaN.</remarks>
        public Tensor Std(int[]? dims = null, bool keepDim = false, int correction = 1) => SqrtOfVariance(Variance("std", x, dims, keepDim, correction));
        public Tensor Std(int dim, bool keepDim = false, int correction = 1) => x.Std([dim], keepDim, correction);

        /// <summary>
        /// The vector p-norm (Σ|x|^p)^(1/p) over <paramref name="dims"/> (all when null): p = 2 (default), 1, ±∞ (max/min |x|)
        /// or any other p &gt; 0; p = 0 counts the nonzero elements (gradient 0). The 2-norm's gradient x·g/‖x‖ is taken as 0 where the norm is 0, as in PyTorch.
        /// </summary>
        public Tensor Norm(double p = 2, int[]? dims = null, bool keepDim = false)
        {
            Check.Float("norm", x);
            var d = AllOr("norm", dims, x);
            if (p == 2) return Norm2(x, d, keepDim);
            if (p == 1) return Norm1(x, d, keepDim);
            if (double.IsPositiveInfinity(p)) return x.Abs().Max(d, keepDim);
            if (double.IsNegativeInfinity(p)) return x.Abs().Min(d, keepDim);
            if (p == 0) return CountNonZero(x, d, keepDim);
            if (!(p > 0)) throw new ArgumentException($"norm: p must be ≥ 0 or ±infinity, got {p} (input shape {ShapeUtil.Format(x.shape)})");
            return x.Abs().Pow(p).Sum(d, keepDim).Pow(1 / p);
        }
        public Tensor Norm(double p, int dim, bool keepDim = false) => x.Norm(p, [dim], keepDim);

        /// <summary>log Σ exp(x) over <paramref name="dims"/>, as m + log Σ exp(x − m) with m the max (finite for huge inputs).</summary>
        public Tensor LogSumExp(int[] dims, bool keepDim = false)
        {
            Check.Float("logsumexp", x);
            var d = Dims("logsumexp", dims, x);
            if (d.Any(i => x.shape[i] == 0))   // an empty sum: log 0 = −∞, as in PyTorch
                return Graph.Record("logsumexp", Tensor.Full(keepDim ? Kept(x, d) : Reduced(x, d), double.NegativeInfinity, x.DType, x.Device), [x],
                    g => [Tensor.ZerosLike(x)]);
            var m = x.Detach().Max(d, keepDim: true);
            // an infinite max (a row of −∞, or a +∞) shifts by 0 instead, so −∞ rows give −∞ rather than NaN
            m = Tensor.Where(m.Abs().Eq(double.PositiveInfinity), m.ScalarLike(0), m);
            var y = (x - m).Exp().Sum(d, keepDim: true).Log() + m;
            return keepDim ? y : y.Reshape(Reduced(x, d));
        }
        public Tensor LogSumExp(int dim, bool keepDim = false) => x.LogSumExp([dim], keepDim);
    }

    static Tensor Variance(string name, Tensor x, int[]? dims, bool keepDim, int correction)
    {
        Check.Float(name, x);
        var d = AllOr(name, dims, x);
        var y = x.Backend.Var(x, d, correction, keepDim);
        int count = d.Aggregate(1, (acc, i) => acc * x.shape[i]);
        var keptShape = Kept(x, d);
        // ∂var/∂x = 2(x − mean) / (N − correction)
        return Graph.Record("var", y, [x], g =>
            [g.Reshape(keptShape) * (x - x.Mean(d, keepDim: true)) * (2.0 / Math.Max(0, count - correction))]);
    }

    /// <summary>√var with the gradient g/(2·std), taken as 0 where std = 0 (torch's std_backward).</summary>
    static Tensor SqrtOfVariance(Tensor v) => Unary.Apply("std", UnaryOp.Sqrt, v, 0, 0, Unary.Saves.Output, (_, std, g) =>
    {
        var zero = std.Eq(0.0);
        return Tensor.Where(zero, std.ScalarLike(0), g / (2.0 * Tensor.Where(zero, std.ScalarLike(1), std)));
    });

    /// <summary>The number of nonzero elements (torch.norm with p = 0); its gradient is 0.</summary>
    static Tensor CountNonZero(Tensor x, int[] d, bool keepDim)
    {
        var y = x.Detach().Ne(0.0).Sum(d, keepDim);
        return Graph.Record("norm", y, [x], g => [Tensor.ZerosLike(x)]);
    }

    /// <summary>
    /// Σ|x| in one pass over x (|x| is not written out) with the backward g·sign(x), as x.Abs().Sum(d) (an SAE's L1
    /// penalty on its [batch, features] activations).
    /// </summary>
    static Tensor Norm1(Tensor x, int[] d, bool keepDim)
    {
        if (x.Rank == 0 || d.Length == 0) return x.Abs().Sum(d, keepDim);
        var y = x.Backend.AbsSum(x, d, keepDim);
        var (keptShape, inShape) = (Kept(x, d), x.ShapeArray);
        return Graph.RecordSignScaled("norm", y, x, g =>
        {
            var spread = g.Reshape(keptShape).Expand(inShape);
            return [GradMode.IsEnabled && g.RequiresGrad
                ? spread * x.Detach().Sign()   // recorded: sign(x) is a constant there, as in abs's backward
                : g.Backend.Binary(BinaryOp.MulSign, spread, x.Detach())];
        }, g => g.Reshape(keptShape));   // the gradient is that scale times sign(x): x's producer may take it so (SignScaled)
    }

    /// <summary>√Σx² with the backward x·g/‖x‖ (0 where ‖x‖ = 0).</summary>
    static Tensor Norm2(Tensor x, int[] d, bool keepDim)
    {
        var b = x.Backend;
        var y = b.Unary(UnaryOp.Sqrt, b.Reduce(ReduceOp.Sum, b.Unary(UnaryOp.Square, x), d, keepDim));
        var keptShape = Kept(x, d);
        return Graph.RecordSavingOutput("norm", y, [x], (norm, g) =>
        {
            var yk = norm.Reshape(keptShape);
            var zero = yk.Eq(0.0);
            return [x * Tensor.Where(zero, yk.ScalarLike(0), g.Reshape(keptShape) / Tensor.Where(zero, yk.ScalarLike(1), yk))];
        });
    }

    static int[] AllOr(string op, int[]? dims, Tensor x) => dims is null ? Enumerable.Range(0, x.Rank).ToArray() : Dims(op, dims, x);

    /// <summary>Normalised dims, or an error naming the op, the dim and the input shape.</summary>
    internal static int[] Dims(string op, int[] dims, Tensor x)
    {
        foreach (var dim in dims) Dim(op, dim, x);
        return ShapeUtil.NormalizeDims(op, dims, x.Rank);
    }

    internal static int Dim(string op, int dim, Tensor x)
    {
        int r = Math.Max(x.Rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dim {dim} is out of range for input of shape {ShapeUtil.Format(x.shape)} (expected {-r}..{r - 1})");
        return dim < 0 ? dim + r : dim;
    }

    /// <summary>x's shape with the reduced dims kept as size 1.</summary>
    static int[] Kept(Tensor x, int[] d) => x.shape.Select((s, i) => d.Contains(i) ? 1 : s).ToArray();

    /// <summary>x's shape with the reduced dims removed.</summary>
    static int[] Reduced(Tensor x, int[] d) => x.shape.Where((_, i) => !d.Contains(i)).ToArray();
}
