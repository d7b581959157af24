using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/Arithmetic.cs: elementwise arithmetic with broadcasting, where and masked_fill.</summary>
[OpSpecs]
public static class ArithmeticSpecs
{
    static readonly Input[] AB = [new("a", Domain.Any), new("b", Domain.Any)];

    /// <summary>[3,1,4] with [2,1] → [3,2,4], in float64 and (for add) float32.</summary>
    static Fixture Broadcasting(string name, DType dtype = DType.Float64) => new(name, On([new Leaf(3, 1, 4), new Leaf(2, 1)]), dtype);

    static OpSpec Binary(string name, string torch, Func<Tensor, Tensor, Tensor> f) =>
        new(name, AB, a => f(a[0], a[1])) { Torch = torch, Shapes = Shapes.Broadcast, FloatOnly = false, Fixtures = [Broadcasting(name)] };

    public static readonly OpSpec Add = Binary("add", "torch.add", (a, b) => a + b) with { Fixtures = [Broadcasting("add"), Broadcasting("add_f32", DType.Float32)] };
    public static readonly OpSpec Sub = Binary("sub", "torch.sub", (a, b) => a - b);
    public static readonly OpSpec Mul = Binary("mul", "torch.mul", (a, b) => a * b);
    public static readonly OpSpec Div = Binary("div", "torch.div", (a, b) => a / b) with { Inputs = [new("a", Domain.Any), new("b", Domain.AwayFromZero)] };
    public static readonly OpSpec Maximum = Binary("maximum", "torch.maximum", (a, b) => a.Maximum(b)) with { Fixtures = [] };
    public static readonly OpSpec Minimum = Binary("minimum", "torch.minimum", (a, b) => a.Minimum(b)) with { Fixtures = [] };

    public static readonly OpSpec Pow = Binary("pow", "torch.pow", (a, b) => a.Pow(b)) with
    {
        Inputs = [new("a", Domain.Positive), new("b", Domain.Any)],
        Fixtures = [new("pow_tensor", On([new Leaf(3, 4), new Leaf(3, 4)]))],
    };

    public static readonly OpSpec PowScalar = new("pow_scalar", [new("x", Domain.Positive)], a => a[0].Pow(a.Double("exponent", double.NaN)))
    {
        Torch = "torch.pow", ErrorName = "pow",
        RandomArgs = _ => Kw(("exponent", 2.5)),
        Fixtures =
        [
            new("pow_scalar", On(new Leaf(3, 4).Of(Domain.Any), Kw(("exponent", 3.0)))),
            new("pow_scalar_half", On(new Leaf(3, 4), Kw(("exponent", 0.5)))),
        ],
    };

    public static readonly OpSpec Where = new("where", [new("condition", Domain.Mask), new("a", Domain.Any), new("b", Domain.Any)],
        a => Tensor.Where(a[0], a[1], a[2]))
    {
        Torch = "torch.where", Shapes = Shapes.Broadcast, FloatOnly = false,
        Fixtures = [new("where", On([new Leaf(3, 4), new Leaf(3, 4), new Leaf(1, 4)]))],
    };

    public static readonly OpSpec MaskedFill = new("masked_fill", [Input.X, new("mask", Domain.Mask)], a => a[0].MaskedFill(a[1], a.Double("value", double.NaN)))
    {
        Torch = "torch.Tensor.masked_fill", FloatOnly = false,
        RandomArgs = _ => Kw(("value", 3.5)),
        Fixtures = [new("masked_fill", On([new Leaf(3, 4), new Leaf(1, 4)], Kw(("value", -10000.0))))],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("add of float32 and float64", Arg, () => F32(2) + F(2), "add", "float32", "float64"),
        new("mul of float64 and int32", Arg, () => F(2) * I32(2), "mul", "float64", "int32"),
        new("where with a condition that does not broadcast", Arg, () => Tensor.Where(F(3), F(2, 2), F(2, 2)), "where", "[3]", "[2, 2]"),
        new("masked_fill with a mask that does not broadcast", Arg, () => F(2, 3).MaskedFill(F(2), 1), "[2, 3]", "[2]"),
        new("eq of shapes that do not broadcast", Arg, () => F(2, 3).Eq(F(2)), "eq", "[2, 3]", "[2]"),
        new("ne of float32 and float64", Arg, () => F32(2).Ne(F(2)), "ne", "float32", "float64"),
        new("lt of shapes that do not broadcast", Arg, () => F(4).Lt(F(3)), "lt", "[4]", "[3]"),
        new("le of float64 and int32", Arg, () => F(2).Le(I32(2)), "le", "float64", "int32"),
        new("gt of shapes that do not broadcast", Arg, () => F(2, 2).Gt(F(3, 1, 3)), "gt", "[2, 2]", "[3, 1, 3]"),
        new("ge of float32 and int32", Arg, () => F32(1).Ge(I32(1)), "ge", "float32", "int32"),
        new("pow of float32 and float64", Arg, () => F32(2).Pow(F(2)), "pow", "float32", "float64"),
        new("div of float64 and int32", Arg, () => F(2) / I32(2), "div", "float64", "int32"),
        new("sub of float32 and int32", Arg, () => F32(2) - I32(2), "sub", "float32", "int32"),
        new("add of tensors on different devices", Arg, () => F(2) + F(2).To(Device.IlgpuCpu), "add", "cpu", "ilgpu-cpu"),
        new("where of tensors on different devices", Arg, () => Tensor.Where(F(2).To(Device.IlgpuCpu), F(2), F(2)), "where", "cpu", "ilgpu-cpu"),
        new("pow of int32 by a scalar", Arg, () => I32(2).Pow(0.5), "pow", "int32"),
    ];
}
