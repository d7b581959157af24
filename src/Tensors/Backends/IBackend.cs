namespace Interp.Backends;

/// <summary>
/// The kernels of one device. Model, analysis and autograd code call only these (through the differentiable ops),
/// so they never know which device they run on. Results are new contiguous tensors unless a method says otherwise;
/// inputs may be any strided view. Split over files by topic (partial interface), one per family of kernels.
/// </summary>
public partial interface IBackend
{
    Device Device { get; }

    Storage Allocate(DType dtype, int length, bool zeroed);

    /// <summary>Copies a contiguous CPU tensor to this device.</summary>
    Tensor FromCpu(Tensor cpu);

    /// <summary>Copies a tensor of this device to a new contiguous CPU tensor.</summary>
    Tensor ToCpu(Tensor t);

    /// <summary>dst[i] = src[i] elementwise over equal shapes; any strides on both sides; converts dtypes.</summary>
    void Copy(Tensor src, Tensor dst);

    /// <summary>Sets every element of a (possibly strided) tensor.</summary>
    void Fill(Tensor dst, double value);

    /// <summary>Elementwise f(x) with up to two scalar parameters (clamp bounds, a power, ...).</summary>
    Tensor Unary(UnaryOp op, Tensor x, double p1 = 0, double p2 = 0);

    /// <summary>Elementwise a ∘ b with broadcasting; comparisons give 1 or 0 in the inputs' dtype.</summary>
    Tensor Binary(BinaryOp op, Tensor a, Tensor b);

    /// <summary>cond ≠ 0 ? a : b with broadcasting of all three.</summary>
    Tensor Where(Tensor cond, Tensor a, Tensor b);

    /// <summary>Reduces over the given (normalised, distinct) dims.</summary>
    Tensor Reduce(ReduceOp op, Tensor x, int[] dims, bool keepDim);

    /// <summary>
    /// Σ|x| over the given (normalised, distinct) dims, the 1-norm. This default writes |x| and then sums it; a backend
    /// may sum the absolute values in one pass.
    /// </summary>
    Tensor AbsSum(Tensor x, int[] dims, bool keepDim) => Reduce(ReduceOp.Sum, Unary(UnaryOp.Abs, x), dims, keepDim);

    /// <summary>Index of the max (or min) along one dim, as int32.</summary>
    Tensor ArgReduce(bool max, Tensor x, int dim, bool keepDim);

    /// <summary>Batched matrix product [..., m, k] · [..., k, n] with broadcast batch dims (both ranks ≥ 2).</summary>
    Tensor MatMul(Tensor a, Tensor b);

    /// <summary>
    /// bias + a·b (torch.addmm, batched as <see cref="MatMul"/>) for a bias of shape [n], added to every row. This default
    /// adds it afterwards; a backend may add it to each tile of the product as its GEMM finishes it, so the product is not read a second time.
    /// </summary>
    Tensor AddMatMul(Tensor bias, Tensor a, Tensor b) => Binary(BinaryOp.Add, MatMul(a, b), bias);

    /// <summary>
    /// relu(bias + a·b) for a bias [n], as <see cref="AddMatMul"/>. This default runs the ReLU afterwards; a backend may
    /// apply bias and ReLU to each tile of the product as the GEMM finishes it, so the product is written once.
    /// </summary>
    Tensor AddMatMulRelu(Tensor bias, Tensor a, Tensor b) => Unary(UnaryOp.Relu, AddMatMul(bias, a, b), 0, 0);

    /// <summary>
    /// The backward of y = relu(bias + a·b) up to its GEMMs: d = g·sign(y) (sign(y) is the ReLU's step, y being its
    /// output) and the bias gradient Σ d over every dim but the last, for g and y of one shape [.., n]. This default
    /// composes MulSign and a sum; a backend may do both in one pass over g and y.
    /// </summary>
    (Tensor Grad, Tensor BiasGrad) ReluBackwardWithBiasGrad(Tensor g, Tensor y)
    {
        ReluBackwardShapes.Check(g, y);
        var d = Binary(BinaryOp.MulSign, g, y);
        return (d, Reduce(ReduceOp.Sum, d, [.. Enumerable.Range(0, d.Rank - 1)], keepDim: false));
    }

    /// <summary>
    /// <see cref="ReluBackwardWithBiasGrad(Tensor, Tensor)"/> for the gradient g1 + g2 (y read by two ops, each giving a
    /// part): the same result bit for bit. This default adds the parts first; a backend may add them in the same pass.
    /// </summary>
    (Tensor Grad, Tensor BiasGrad) ReluBackwardWithBiasGrad(Tensor g1, Tensor g2, Tensor y)
    {
        ReluBackwardShapes.Check(g1, y);
        ReluBackwardShapes.Check(g2, y);
        return ReluBackwardWithBiasGrad(Binary(BinaryOp.Add, g1, g2), y);
    }

    /// <summary>
    /// <see cref="ReluBackwardWithBiasGrad(Tensor, Tensor)"/> for the gradient g + s·sign(y), s broadcast to y's shape:
    /// a part given as a scale of sign(y) (the gradient of Σ|y| over some dims is the output gradient spread over them
    /// times sign(y); an SAE's L1 penalty), g the other parts' sum or null. The same result bit for bit as writing
    /// MulSign(s, y) out and calling the two-part overload, which this default does; a backend may read s in its one pass.
    /// </summary>
    (Tensor Grad, Tensor BiasGrad) ReluBackwardOfSignScaled(Tensor? g, Tensor scale, Tensor y)
    {
        var s = ReluBackwardShapes.Spread(scale, y);
        if (g is not null) ReluBackwardShapes.Check(g, y);
        var part = Binary(BinaryOp.MulSign, s, y);
        return g is null ? ReluBackwardWithBiasGrad(part, y) : ReluBackwardWithBiasGrad(g, part, y);
    }
}

/// <summary>What <see cref="IBackend.ReluBackwardWithBiasGrad"/> accepts, shared by every backend.</summary>
public static class ReluBackwardShapes
{
    public static void Check(Tensor g, Tensor y)
    {
        if (g.Rank < 1 || !ShapeUtil.SameShape(g.shape, y.shape))
            throw new ArgumentException($"relu_backward: the gradient {ShapeUtil.Format(g.shape)} and the ReLU output {ShapeUtil.Format(y.shape)} must have one shape of rank >= 1");
        if (g.DType != y.DType || !g.DType.IsFloatingPoint())
            throw new ArgumentException($"relu_backward: the gradient ({g.DType.Name()}) and the ReLU output ({y.DType.Name()}) must share a float dtype");
    }

    /// <summary>The scale of a sign-scaled gradient part as a view of y's shape (stride 0 along the dims it is broadcast over).</summary>
    public static Tensor Spread(Tensor scale, Tensor y)
    {
        if (y.Rank < 1)
            throw new ArgumentException($"relu_backward: the ReLU output {ShapeUtil.Format(y.shape)} must have rank >= 1");
        if (scale.DType != y.DType || !y.DType.IsFloatingPoint())
            throw new ArgumentException($"relu_backward: the gradient's scale ({scale.DType.Name()}) and the ReLU output ({y.DType.Name()}) must share a float dtype");
        if (scale.Device != y.Device)
            throw new ArgumentException($"relu_backward: the gradient's scale is on {scale.Device} and the ReLU output on {y.Device}");
        var strides = ShapeUtil.BroadcastStrides("relu_backward", scale.shape, scale.strides, y.shape);
        return new Tensor(scale.Storage, y.ShapeArray, strides, scale.Offset);
    }
}

public enum UnaryOp
{
    Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sign, Tanh, Sigmoid, Relu, Square, Reciprocal,
    /// <summary>x·Φ(x) with the exact Gaussian CDF (erf form).</summary>
    Gelu,
    /// <summary>GPT-2's 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    GeluTanh,
    /// <summary>d/dx of Gelu.</summary>
    GeluGrad,
    /// <summary>d/dx of GeluTanh.</summary>
    GeluTanhGrad,
    Erf,
    /// <summary>x^p1.</summary>
    PowScalar,
    /// <summary>min(max(x, p1), p2).</summary>
    Clamp,
    /// <summary>1 where p1 ≤ x ≤ p2, else 0 (the gradient mask of Clamp).</summary>
    InRange,
}

public enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge,
    /// <summary>a·sign(b): the backward of ReLU (b its output) and of abs (b its input) in one pass.</summary>
    MulSign,
    /// <summary>a·gelu'(b): the backward of exact GELU (a the output gradient, b the input) in one pass.</summary>
    GeluBackward,
}

public enum ReduceOp { Sum, Mean, Max, Min }
