using Interp.Autograd;
using Interp.Backends;

namespace Interp;

/// <summary>Elementwise arithmetic with broadcasting, its operators, and comparisons (which carry no gradient).</summary>
public static class ArithmeticOps
{
    extension(Tensor a)
    {
        // The backward rules capture only what they read (shapes, or an operand the other's gradient needs): a captured
        // operand stays alive until backward, as in PyTorch's saved tensors.
        public Tensor Add(Tensor b) => Binary("add", BinaryOp.Add, a, b, AddBackward(a, b, 1), AddBackwardOfRowSum(a, b, 1));
        public Tensor Sub(Tensor b) => Binary("sub", BinaryOp.Sub, a, b, AddBackward(a, b, -1), AddBackwardOfRowSum(a, b, -1));
        public Tensor Mul(Tensor b) => Binary("mul", BinaryOp.Mul, a, b, MulBackward(a.RequiresGrad ? b : null, b.RequiresGrad ? a : null, a.ShapeArray, b.ShapeArray));
        /// <summary>a / b; two int32 tensors divide as float32 (true division, as PyTorch's torch.div), not truncated.</summary>
        public Tensor Div(Tensor b) => a.DType == DType.Int32 && b.DType == DType.Int32 ? a.To(DType.Float32).Div(b.To(DType.Float32)) : Binary("div", BinaryOp.Div, a, b, DivBackward(b.RequiresGrad ? a : null, b, a.RequiresGrad, a.ShapeArray));

        /// <summary>
        /// a^b elementwise; d/da = b·a^(b−1), d/db = a^b·ln a. As in PyTorch, d/da is 0 where b = 0 (not 0·a^(−1) = NaN
        /// at a = 0) and d/db is 0 where a = 0 and b ≥ 0 (a^b is flat there; a^b·ln a would be 0·(−∞) = NaN).
        /// </summary>
        public Tensor Pow(Tensor b)
        {
            Tensor? y = null;
            y = Binary("pow", BinaryOp.Pow, a, b, g =>
            {
                var zero = a.ScalarLike(0);
                var (ad, bd) = (a.Detach(), b.Detach());
                return [a.RequiresGrad ? Graph.SumToShape(Tensor.Where(bd.Eq(0), zero, g * b * a.Pow(b - 1.0)), a.Shape) : null,
                        b.RequiresGrad ? Graph.SumToShape(Tensor.Where(ad.Eq(0) * bd.Ge(0), zero, g * y!.Detach() * a.Log()), b.Shape) : null];
            });
            return y;
        }

        /// <summary>a^p for a scalar exponent; d/da = p·a^(p−1), and exactly 0 for p = 0 (PyTorch's rule: no 0·a^(−1) = NaN at a = 0).</summary>
        public Tensor Pow(double p) => Unary.Apply("pow", UnaryOp.PowScalar, a, p, 0, Unary.Saves.Input, (x, y, g) => p == 0 ? Tensor.ZerosLike(g) : g * p * x.Pow(p - 1));

        /// <summary>
        /// The larger of a and b (NaN where either is NaN). As in PyTorch, the gradient goes to the larger operand, is
        /// halved between the two at a tie, and reaches both in full where one is NaN.
        /// </summary>
        public Tensor Maximum(Tensor b) => Binary("maximum", BinaryOp.Maximum, a, b, g => ExtremumBackward(g, a, b, larger: true));

        /// <summary>The smaller of a and b; the gradient as for <see cref="Maximum"/>, to the smaller operand.</summary>
        public Tensor Minimum(Tensor b) => Binary("minimum", BinaryOp.Minimum, a, b, g => ExtremumBackward(g, a, b, larger: false));

        public Tensor Eq(Tensor b) => Compare("eq", BinaryOp.Eq, a, b);
        public Tensor Ne(Tensor b) => Compare("ne", BinaryOp.Ne, a, b);
        public Tensor Lt(Tensor b) => Compare("lt", BinaryOp.Lt, a, b);
        public Tensor Le(Tensor b) => Compare("le", BinaryOp.Le, a, b);
        public Tensor Gt(Tensor b) => Compare("gt", BinaryOp.Gt, a, b);
        public Tensor Ge(Tensor b) => Compare("ge", BinaryOp.Ge, a, b);
        public Tensor Eq(double b) => WithNumber(a, b, (t, n) => t.Eq(n));
        public Tensor Ne(double b) => WithNumber(a, b, (t, n) => t.Ne(n));
        public Tensor Lt(double b) => WithNumber(a, b, (t, n) => t.Lt(n));
        public Tensor Le(double b) => WithNumber(a, b, (t, n) => t.Le(n));
        public Tensor Gt(double b) => WithNumber(a, b, (t, n) => t.Gt(n));
        public Tensor Ge(double b) => WithNumber(a, b, (t, n) => t.Ge(n));

        /// <summary>A 0-d tensor of this tensor's dtype and device.</summary>
        public Tensor ScalarLike(double v) => Tensor.Scalar(v, a.DType, a.Device);

        public static Tensor operator +(Tensor x, Tensor y) => x.Add(y);
        public static Tensor operator -(Tensor x, Tensor y) => x.Sub(y);
        public static Tensor operator *(Tensor x, Tensor y) => x.Mul(y);
        public static Tensor operator /(Tensor x, Tensor y) => x.Div(y);
        public static Tensor operator -(Tensor x) => x.Neg();
        public static Tensor operator +(Tensor x, double y) => WithNumber(x, y, (t, n) => t.Add(n));
        public static Tensor operator +(double x, Tensor y) => WithNumber(y, x, (t, n) => n.Add(t));
        public static Tensor operator -(Tensor x, double y) => WithNumber(x, y, (t, n) => t.Sub(n));
        public static Tensor operator -(double x, Tensor y) => WithNumber(y, x, (t, n) => n.Sub(t));
        public static Tensor operator *(Tensor x, double y) => WithNumber(x, y, (t, n) => t.Mul(n));
        public static Tensor operator *(double x, Tensor y) => WithNumber(y, x, (t, n) => n.Mul(t));
        public static Tensor operator /(Tensor x, double y) => WithNumber(x, y, (t, n) => t.Div(n));
        public static Tensor operator /(double x, Tensor y) => WithNumber(y, x, (t, n) => n.Div(t));
    }

    extension(Tensor)
    {
        /// <summary>cond ≠ 0 ? a : b, broadcasting all three; gradients flow to a and b only.</summary>
        public static Tensor Where(Tensor cond, Tensor a, Tensor b)
        {
            Check.SameDevice("where", cond, a, b);
            var r = a.Backend.Where(cond, a, b);
            var zero = Tensor.Scalar(0, a.DType, a.Device);
            var (aShape, bShape, aNeeds, bNeeds) = (a.ShapeArray, b.ShapeArray, a.RequiresGrad, b.RequiresGrad);
            return Graph.Record("where", r, [a, b], g =>
                [aNeeds ? Graph.SumToShape(g.Backend.Where(cond, g, zero), aShape) : null,
                 bNeeds ? Graph.SumToShape(g.Backend.Where(cond, zero, g), bShape) : null]);
        }
    }

    extension(Tensor x)
    {
        /// <summary>Replaces the elements where mask ≠ 0 by value (mask broadcasts to x).</summary>
        public Tensor MaskedFill(Tensor mask, double value) => Tensor.Where(mask, x.ScalarLike(value).Expand(x.ShapeArray), x);
    }

    // PyTorch's rule: weight 1 for the picked operand, 1/2 each at a tie, 0 for the other; a NaN compares neither way,
    // so both operands keep weight 1 there. For maximum, a's weight is 1 − [a < b] − ½[a = b].
    static Tensor?[] ExtremumBackward(Tensor g, Tensor a, Tensor b, bool larger)
    {
        var (ad, bd) = (a.Detach(), b.Detach());
        var half = ad.Eq(bd) * 0.5;
        var aLoses = larger ? ad.Lt(bd) : ad.Gt(bd);
        var bLoses = larger ? ad.Gt(bd) : ad.Lt(bd);
        return [a.RequiresGrad ? Graph.SumToShape(g * (1.0 - aLoses - half), a.Shape) : null,
                b.RequiresGrad ? Graph.SumToShape(g * (1.0 - bLoses - half), b.Shape) : null];
    }

    // only the operands that need a gradient get one (x̂ − x with x a constant makes no −g)
    static Func<Tensor, Tensor?[]> AddBackward(Tensor a, Tensor b, int bSign)
    {
        var (aShape, bShape, aNeeds, bNeeds) = (a.ShapeArray, b.ShapeArray, a.RequiresGrad, b.RequiresGrad);
        return g => [aNeeds ? Graph.SumToShape(g, aShape) : null, bNeeds ? Graph.SumToShape(bSign > 0 ? g : -g, bShape) : null];
    }

    // When every operand that needs a gradient is a row broadcast over the output (x − b_dec, x needing none), the
    // gradients are made from the output gradient's row sum alone: the engine may then ask the output's reader for just
    // that sum (RowSums). Null where some operand needing a gradient is not a row.
    static Func<Tensor, Tensor?[]>? AddBackwardOfRowSum(Tensor a, Tensor b, int bSign)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var (aShape, bShape, aNeeds, bNeeds) = (a.ShapeArray, b.ShapeArray, a.RequiresGrad, b.RequiresGrad);
        if ((aNeeds && !RowSums.IsRow(aShape, rank)) || (bNeeds && !RowSums.IsRow(bShape, rank))) return null;
        return s => [aNeeds ? RowSums.ToShape(s, rank, aShape) : null, bNeeds ? RowSums.ToShape(bSign > 0 ? s : -s, rank, bShape) : null];
    }

    // d(a·b) = g·b for a, g·a for b; each operand is saved only when the other needs its gradient
    static Func<Tensor, Tensor?[]> MulBackward(Tensor? bForA, Tensor? aForB, int[] aShape, int[] bShape) =>
        g => [bForA is null ? null : Graph.SumToShape(g * bForA, aShape), aForB is null ? null : Graph.SumToShape(g * aForB, bShape)];

    // d(a/b) = g/b for a, −g·a/b² for b
    static Func<Tensor, Tensor?[]> DivBackward(Tensor? aForB, Tensor b, bool aNeeds, int[] aShape) =>
        g => [aNeeds ? Graph.SumToShape(g / b, aShape) : null, aForB is null ? null : Graph.SumToShape(-g * aForB / (b * b), b.Shape)];

    /// <summary>
    /// A tensor and a plain number, as PyTorch pairs a tensor with a Python number: the number takes the tensor's dtype,
    /// except that an int32 tensor meets a number that is not an int32 (2.5, 1e10, NaN, ±∞) as float32, so that x / 2.5
    /// divides by 2.5 rather than by 2. An integral number keeps int32 (C# does not tell 2 from 2.0).
    /// </summary>
    static Tensor WithNumber(Tensor t, double v, Func<Tensor, Tensor, Tensor> op) =>
        t.DType == DType.Int32 && !(v == Math.Floor(v) && v >= int.MinValue && v <= int.MaxValue)
            ? op(t.To(DType.Float32), Tensor.Scalar(v, DType.Float32, t.Device))
            : op(t, t.ScalarLike(v));

    static Tensor Binary(string name, BinaryOp op, Tensor a, Tensor b, Func<Tensor, Tensor?[]> backward, Func<Tensor, Tensor?[]>? backwardOfRowSum = null)
    {
        Check.SameDevice(name, a, b);
        Check.SameDType(name, a, b);
        return Graph.Record(name, a.Backend.Binary(op, a, b), [a, b], backward, backwardOfRowSum);
    }

    static Tensor Compare(string name, BinaryOp op, Tensor a, Tensor b)
    {
        Check.SameDevice(name, a, b);
        Check.SameDType(name, a, b);
        return a.Backend.Binary(op, a, b);
    }
}

/// <summary>Argument checks shared by the ops, each naming the op and the offending shapes.</summary>
public static class Check
{
    public static void SameDevice(string op, params Tensor[] ts)
    {
        foreach (var t in ts)
            if (t.Device != ts[0].Device)
                throw new ArgumentException($"{op}: tensors are on different devices ({string.Join(", ", ts.Select(q => q.Device.ToString()))}); move them with .To(device)");
    }

    public static void SameDType(string op, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: dtypes differ: {a.DType.Name()} {ShapeUtil.Format(a.shape)} and {b.DType.Name()} {ShapeUtil.Format(b.shape)}; convert one with .To(dtype)");
    }

    public static void Float(string op, Tensor t)
    {
        if (!t.DType.IsFloatingPoint())
            throw new ArgumentException($"{op}: expected a float32 or float64 tensor, got {t.DType.Name()} {ShapeUtil.Format(t.shape)}");
    }

    public static void Rank(string op, Tensor t, int rank, string what = "input")
    {
        if (t.Rank != rank)
            throw new ArgumentException($"{op}: expected {what} of rank {rank}, got shape {ShapeUtil.Format(t.shape)}");
    }
}
