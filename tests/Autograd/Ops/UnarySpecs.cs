using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/Unary.cs: elementwise functions of one tensor.</summary>
[OpSpecs]
public static class UnarySpecs
{
    static readonly Input[] X = [Input.X];
    static readonly Input[] PositiveX = [new("x", Domain.Positive)];
    static Fixture F34(string name, Kwargs? args = null, DType dtype = DType.Float64) => new(name, On(new Leaf(3, 4), args), dtype);

    public static readonly OpSpec Neg = new("neg", X, a => -a[0]) { Torch = "torch.neg", FloatOnly = false, Fixtures = [F34("neg")] };
    public static readonly OpSpec Exp = new("exp", X, a => a[0].Exp()) { Torch = "torch.exp", Fixtures = [F34("exp")] };
    public static readonly OpSpec Log = new("log", PositiveX, a => a[0].Log()) { Torch = "torch.log", Fixtures = [F34("log")] };
    public static readonly OpSpec Sqrt = new("sqrt", PositiveX, a => a[0].Sqrt()) { Torch = "torch.sqrt", Fixtures = [F34("sqrt")] };
    public static readonly OpSpec Rsqrt = new("rsqrt", PositiveX, a => a[0].Rsqrt()) { Torch = "torch.rsqrt", Fixtures = [F34("rsqrt")] };
    public static readonly OpSpec Abs = new("abs", X, a => a[0].Abs()) { Torch = "torch.abs", FloatOnly = false, Fixtures = [F34("abs")] };
    public static readonly OpSpec Square = new("square", X, a => a[0].Square()) { Torch = "torch.square", FloatOnly = false };
    public static readonly OpSpec Reciprocal = new("reciprocal", PositiveX, a => a[0].Reciprocal()) { Torch = "torch.reciprocal" };
    public static readonly OpSpec Tanh = new("tanh", X, a => a[0].Tanh()) { Torch = "torch.tanh", Fixtures = [F34("tanh")] };
    public static readonly OpSpec Sigmoid = new("sigmoid", X, a => a[0].Sigmoid()) { Torch = "torch.sigmoid", Fixtures = [F34("sigmoid")] };
    public static readonly OpSpec Relu = new("relu", X, a => a[0].Relu()) { Torch = "torch.relu", FloatOnly = false, Fixtures = [F34("relu")] };
    public static readonly OpSpec Erf = new("erf", X, a => a[0].Erf()) { Torch = "torch.erf" };

    public static readonly OpSpec Gelu = new("gelu", X, a => a[0].Gelu(a.Kw.Str("approximate", "none")))
    {
        Torch = "torch.nn.functional.gelu",
        RandomArgs = _ => Kw(("approximate", "none")),
        Fixtures = [F34("gelu", Kw(("approximate", "none"))), F34("gelu_f32", Kw(("approximate", "none")), DType.Float32)],
    };

    public static readonly OpSpec GeluTanh = Gelu with
    {
        Name = "gelu_tanh", ErrorName = "gelu_tanh",
        RandomArgs = _ => Kw(("approximate", "tanh")),
        Fixtures = [F34("gelu_tanh", Kw(("approximate", "tanh")))],
    };

    public static readonly OpSpec Softplus = new("softplus", X, a => a[0].Softplus(a.Double("beta", 1), a.Double("threshold", 20)))
    {
        Torch = "torch.nn.functional.softplus",
        RandomArgs = d => Kw(("beta", new[] { 1.0, 2.0, 0.5 }[d.Int(0, 2)]), ("threshold", new[] { 20.0, 1.0 }[d.Int(0, 1)])),
        Fixtures = [F34("softplus"), F34("softplus_beta2_threshold1", Kw(("beta", 2.0), ("threshold", 1.0)))],
    };

    public static readonly OpSpec Clamp = new("clamp", X, a => a[0].Clamp(a.Double("min", double.NegativeInfinity), a.Double("max", double.PositiveInfinity)))
    {
        Torch = "torch.clamp", FloatOnly = false,
        RandomArgs = _ => Kw(("min", -0.7), ("max", 0.9)),
        Fixtures = [new("clamp", On(new Leaf(4, 5), Kw(("min", -0.5), ("max", 0.5)))), new("clamp_min", On(new Leaf(4, 5), Kw(("min", 0.1))))],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("gelu with an unknown approximation", Arg, () => F(2).Gelu("fast"), "gelu", "fast"),
        new("clamp with a NaN bound", Arg, () => F(2).Clamp(double.NaN, 0), "clamp", "NaN"),
    ];
}
