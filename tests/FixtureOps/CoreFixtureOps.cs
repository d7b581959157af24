namespace Interp.Tests.FixtureOps;

/// <summary>The fixture ops of the core: elementwise, basic reductions, matmul, joins and views.</summary>
internal static class CoreFixtureOps
{
    [FixtureOp("add")] static Tensor Add(FixtureCase c) => c.In("a") + c.In("b");
    [FixtureOp("sub")] static Tensor Sub(FixtureCase c) => c.In("a") - c.In("b");
    [FixtureOp("mul")] static Tensor Mul(FixtureCase c) => c.In("a") * c.In("b");
    [FixtureOp("div")] static Tensor Div(FixtureCase c) => c.In("a") / c.In("b");
    [FixtureOp("pow")] static Tensor Pow(FixtureCase c) => c.Has("b") ? c.In("a").Pow(c.In("b")) : c.In("x").Pow(c.Double("exponent"));

    [FixtureOp("neg")] static Tensor Neg(FixtureCase c) => -c.In("x");
    [FixtureOp("exp")] static Tensor Exp(FixtureCase c) => c.In("x").Exp();
    [FixtureOp("log")] static Tensor Log(FixtureCase c) => c.In("x").Log();
    [FixtureOp("sqrt")] static Tensor Sqrt(FixtureCase c) => c.In("x").Sqrt();
    [FixtureOp("rsqrt")] static Tensor Rsqrt(FixtureCase c) => c.In("x").Rsqrt();
    [FixtureOp("abs")] static Tensor Abs(FixtureCase c) => c.In("x").Abs();
    [FixtureOp("tanh")] static Tensor Tanh(FixtureCase c) => c.In("x").Tanh();
    [FixtureOp("sigmoid")] static Tensor Sigmoid(FixtureCase c) => c.In("x").Sigmoid();
    [FixtureOp("relu")] static Tensor Relu(FixtureCase c) => c.In("x").Relu();
    [FixtureOp("gelu")] static Tensor Gelu(FixtureCase c) => c.In("x").Gelu(c.Str("approximate"));

    [FixtureOp("clamp")]
    static Tensor Clamp(FixtureCase c) => c.In("x").Clamp(
        c.HasArg("min") ? c.Double("min") : double.NegativeInfinity,
        c.HasArg("max") ? c.Double("max") : double.PositiveInfinity);

    [FixtureOp("where")] static Tensor Where(FixtureCase c) => Tensor.Where(c.In("cond"), c.In("a"), c.In("b"));
    [FixtureOp("masked_fill")] static Tensor MaskedFill(FixtureCase c) => c.In("x").MaskedFill(c.In("mask"), c.Double("value"));

    static int[]? Dims(FixtureCase c, string key = "dim") => c.HasArg(key) ? c.Ints(key) : null;
    static bool KeepDim(FixtureCase c) => c.HasArg("keepdim") && c.Bool("keepdim");

    [FixtureOp("sum")] static Tensor Sum(FixtureCase c) => c.In("x").Sum(Dims(c), KeepDim(c));
    [FixtureOp("mean")] static Tensor Mean(FixtureCase c) => c.In("x").Mean(Dims(c), KeepDim(c));
    // torch.max(x, dim) returns (values, indices): the fixture keeps the values, whose gradient goes to the index.
    [FixtureOp("max")] static Tensor Max(FixtureCase c) => c.HasArg("dim") ? c.In("x").Max(c.Int("dim"), KeepDim(c)) : c.In("x").Max();
    [FixtureOp("min")] static Tensor Min(FixtureCase c) => c.HasArg("dim") ? c.In("x").Min(c.Int("dim"), KeepDim(c)) : c.In("x").Min();
    [FixtureOp("argmax")] static Tensor ArgMax(FixtureCase c) => c.In("x").ArgMax(c.HasArg("dim") ? c.Int("dim") : null, KeepDim(c));

    [FixtureOp("matmul")] static Tensor MatMul(FixtureCase c) => c.In("a").MatMul(c.In("b"));

    /// <summary>The inputs a, b, c, … in name order.</summary>
    static Tensor[] Abc(FixtureCase c) => c.Inputs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToArray();
    [FixtureOp("cat")] static Tensor Cat(FixtureCase c) => Tensor.Cat(Abc(c), c.Int("dim"));
    [FixtureOp("stack")] static Tensor Stack(FixtureCase c) => Tensor.Stack(Abc(c), c.Int("dim"));

    [FixtureOp("permute+sum")]
    static Tensor PermuteSum(FixtureCase c) => c.In("x").Permute(c.Ints("dims")).Sum(Dims(c, "sum_dim"), KeepDim(c));

    [FixtureOp("transpose+mean")]
    static Tensor TransposeMean(FixtureCase c) => c.In("x").Transpose(c.Int("dim0"), c.Int("dim1")).Mean(Dims(c, "mean_dim"), KeepDim(c));

    [FixtureOp("slice+sum")]
    static Tensor SliceSum(FixtureCase c)
    {
        var x = c.In("x");
        var slices = c.Meta.GetProperty("slices").EnumerateArray().ToArray();
        for (int d = 0; d < slices.Length; d++)
        {
            var s = slices[d].EnumerateArray().Select(e => e.ValueKind == System.Text.Json.JsonValueKind.Null ? (int?)null : e.GetInt32()).ToArray();
            x = x.Slice(d, s[0], s[1], s[2] ?? 1);
        }
        return x.Sum(Dims(c, "sum_dim"), KeepDim(c));
    }

    [FixtureOp("transpose+reshape")]
    static Tensor TransposeReshape(FixtureCase c) => c.In("x").Transpose(c.Int("dim0"), c.Int("dim1")).Reshape(c.Ints("shape"));

    [FixtureOp("transpose+matmul")]
    static Tensor TransposeMatMul(FixtureCase c) => c.In("a").Transpose(c.Int("dim0"), c.Int("dim1")).MatMul(c.In("b"));
}
