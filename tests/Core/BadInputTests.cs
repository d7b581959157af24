using Xunit;

namespace Interp.Tests.Core;

/// <summary>
/// Bad arguments to the public core ops: each fails with the expected exception type, and its message names the op
/// and the offending shapes or values (never an IndexOutOfRange or NullReference from inside a kernel).
/// </summary>
public class BadInputTests
{
    sealed record Case(Type Exception, Func<object> Act, params string[] Fragments);

    static Tensor F(params int[] shape) => Tensor.Zeros(shape, DType.Float64);
    static Tensor F32(params int[] shape) => Tensor.Zeros(shape, DType.Float32);
    static Tensor I32(params int[] shape) => Tensor.Zeros(shape, DType.Int32);

    static readonly Type Arg = typeof(ArgumentException), Range = typeof(ArgumentOutOfRangeException),
        Index = typeof(IndexOutOfRangeException), Invalid = typeof(InvalidOperationException);

    static readonly Dictionary<string, Case> Cases = new()
    {
        // broadcasting and dtypes of the binary ops
        ["add of shapes that do not broadcast"] = new(Arg, () => F(2, 3) + F(4), "add", "[2, 3]", "[4]"),
        ["sub of shapes that do not broadcast"] = new(Arg, () => F(2, 3) - F(3, 2), "sub", "[2, 3]", "[3, 2]"),
        ["mul of shapes that do not broadcast"] = new(Arg, () => F(5, 1, 3) * F(2, 4), "mul", "[5, 1, 3]", "[2, 4]"),
        ["div of shapes that do not broadcast"] = new(Arg, () => F(2) / F(3), "div", "[2]", "[3]"),
        ["pow of shapes that do not broadcast"] = new(Arg, () => F(2).Pow(F(3)), "pow", "[2]", "[3]"),
        ["maximum of shapes that do not broadcast"] = new(Arg, () => F(2).Maximum(F(3)), "maximum", "[2]", "[3]"),
        ["add of float32 and float64"] = new(Arg, () => F32(2) + F(2), "add", "float32", "float64"),
        ["mul of float64 and int32"] = new(Arg, () => F(2) * I32(2), "mul", "float64", "int32"),
        ["where with a condition that does not broadcast"] = new(Arg, () => Tensor.Where(F(3), F(2, 2), F(2, 2)), "where", "[3]", "[2, 2]"),
        ["masked_fill with a mask that does not broadcast"] = new(Arg, () => F(2, 3).MaskedFill(F(2), 1), "[2, 3]", "[2]"),
        // float-only ops
        ["exp of int32"] = new(Arg, () => I32(2, 3).Exp(), "exp", "int32", "[2, 3]"),
        ["gelu of int32"] = new(Arg, () => I32(4).Gelu(), "gelu", "int32", "[4]"),
        ["matmul of int32"] = new(Arg, () => I32(2, 2).MatMul(I32(2, 2)), "matmul", "int32"),
        ["gelu with an unknown approximation"] = new(Arg, () => F(2).Gelu("fast"), "gelu", "fast"),
        ["clamp with min above max"] = new(Arg, () => F(2).Clamp(1, 0), "clamp", "min 1", "max 0"),
        // matmul
        ["matmul with mismatched inner dims"] = new(Arg, () => F(2, 3).MatMul(F(4, 5)), "matmul", "[2, 3]", "[4, 5]"),
        ["matmul of vectors of different lengths"] = new(Arg, () => F(3).MatMul(F(4)), "matmul", "3", "4"),
        ["matmul with batch dims that do not broadcast"] = new(Arg, () => F(2, 3, 4).MatMul(F(5, 4, 6)), "matmul", "[2, 3, 4]", "[5, 4, 6]"),
        ["matmul of a rank-0 tensor"] = new(Arg, () => F().MatMul(F(3)), "matmul", "[]", "[3]"),
        ["matmul of float32 and float64"] = new(Arg, () => F32(2, 2).MatMul(F(2, 2)), "matmul", "float32", "float64"),
        // shapes and views
        ["reshape to a wrong numel"] = new(Arg, () => F(2, 3).Reshape(4), "reshape", "[2, 3]", "[4]"),
        ["reshape with two -1"] = new(Arg, () => F(2, 3).Reshape(-1, -1), "reshape", "[-1, -1]"),
        ["reshape with a negative size"] = new(Arg, () => F(2, 3).Reshape(-2, -3), "reshape", "[2, 3]", "[-2, -3]"),
        ["view of a non-viewable layout"] = new(Invalid, () => F(2, 3).T.View(6), "view", "[6]", "[3, 2]"),
        ["permute with too few dims"] = new(Arg, () => F(2, 3, 4).Permute(0, 1), "permute", "[2, 3, 4]"),
        ["permute with a duplicate dim"] = new(Arg, () => F(2, 3, 4).Permute(0, 0, 1), "permute", "[0, 0, 1]"),
        ["permute with a dim out of range"] = new(Range, () => F(2, 3, 4).Permute(0, 1, 3), "permute", "dim 3", "[2, 3, 4]"),
        ["transpose with a dim out of range"] = new(Range, () => F(2, 3).Transpose(0, 2), "transpose", "dim 2", "[2, 3]"),
        ["transpose with a negative dim out of range"] = new(Range, () => F(2, 3).Transpose(-3, 0), "transpose", "dim -3", "[2, 3]"),
        ["T of a rank-3 tensor"] = new(Arg, () => F(2, 3, 4).T, "T", "[2, 3, 4]"),
        ["squeeze with a dim out of range"] = new(Range, () => F(2, 1).Squeeze(2), "squeeze", "dim 2"),
        ["unsqueeze with a dim out of range"] = new(Range, () => F(2, 3).Unsqueeze(4), "unsqueeze", "dim 4"),
        ["flatten with start after end"] = new(Arg, () => F(2, 3, 4).Flatten(2, 0), "flatten", "2", "0"),
        ["slice with step 0"] = new(Arg, () => F(4, 5).Slice(1, 0, 4, 0), "slice", "step", "0", "[4, 5]"),
        ["slice with a dim out of range"] = new(Range, () => F(4, 5).Slice(2, 0, 1), "slice", "dim 2", "[4, 5]"),
        ["select with an index out of range"] = new(Index, () => F(2, 3).Select(1, 3), "select", "index 3", "size 3"),
        ["select with a negative index out of range"] = new(Index, () => F(2, 3).Select(0, -3), "select", "index -3", "size 2"),
        ["narrow past the end"] = new(Range, () => F(2, 3).Narrow(1, 2, 2), "narrow", "start 2", "length 2", "size 3"),
        ["narrow with a negative length"] = new(Range, () => F(2, 3).Narrow(1, 0, -1), "narrow", "length -1"),
        ["indexer with too many indices"] = new(Index, () => F(2, 3)[0, 1, 2], "index", "3 indices", "[2, 3]"),
        ["expand to an incompatible shape"] = new(Arg, () => F(2, 3).Expand(4, 3), "expand", "[2, 3]", "[4, 3]"),
        ["expand to fewer dims"] = new(Arg, () => F(2, 3).Expand(3), "expand", "[2, 3]", "[3]"),
        ["split with sizes that do not add up"] = new(Arg, () => F(5, 2).Split([2, 2]), "split", "[2, 2]", "5"),
        // joins
        ["cat of mismatched shapes"] = new(Arg, () => Tensor.Cat([F(2, 3), F(2, 4)], 0), "cat", "[2, 3]", "[2, 4]"),
        ["cat of mismatched ranks"] = new(Arg, () => Tensor.Cat([F(2, 3), F(3)], 0), "cat", "[2, 3]", "[3]"),
        ["cat of mismatched dtypes"] = new(Arg, () => Tensor.Cat([F32(2, 3), F(2, 3)], 0), "cat", "float32", "float64"),
        ["cat with a dim out of range"] = new(Range, () => Tensor.Cat([F(2, 3), F(2, 3)], 2), "cat", "dim 2"),
        ["cat of nothing"] = new(Arg, () => Tensor.Cat([], 0), "cat", "at least one"),
        ["stack of different shapes"] = new(Arg, () => Tensor.Stack([F(2, 3), F(3, 2)]), "stack", "[2, 3]", "[3, 2]"),
        ["stack of mismatched dtypes"] = new(Arg, () => Tensor.Stack([F(2), F32(2)]), "stack", "float64", "float32"),
        // reductions
        ["sum with a dim out of range"] = new(Range, () => F(2, 3).Sum(2), "sum", "dim 2", "[2, 3]"),
        ["sum with a duplicate dim"] = new(Arg, () => F(2, 3).Sum([1, -1]), "sum", "[1, -1]"),
        ["mean with a negative dim out of range"] = new(Range, () => F(2, 3).Mean(-3), "mean", "dim -3", "[2, 3]"),
        ["mean of int32"] = new(Arg, () => I32(2, 3).Mean(), "mean", "int32", "[2, 3]"),
        ["max with a dim out of range"] = new(Range, () => F(2, 3).Max(5), "max", "dim 5", "[2, 3]"),
        ["max over a list with a dim out of range"] = new(Range, () => F(2, 3).Max([0, 2]), "max", "dim 2", "[2, 3]"),
        ["min with a negative dim out of range"] = new(Range, () => F(2, 3).Min(-4), "min", "dim -4", "[2, 3]"),
        ["max over an empty dim"] = new(Arg, () => F(2, 0).Max(1), "max", "size 0", "[2, 0]"),
        ["argmax with a dim out of range"] = new(Range, () => F(2, 3).ArgMax(2), "argmax", "dim 2", "[2, 3]"),
        ["argmax with a negative dim out of range"] = new(Range, () => F(2, 3).ArgMin(-3), "argmin", "dim -3", "[2, 3]"),
        ["argmax of an empty tensor"] = new(Arg, () => F(0).ArgMax(), "argmax", "[0]"),
        // data access and autograd
        ["Item of a multi-element tensor"] = new(Invalid, () => F(2, 3).Item(), "item", "6 elements", "[2, 3]"),
        ["GetValue with an index out of range"] = new(Index, () => F(2, 3).GetValue(0, 3), "get_value", "index 3", "size 3"),
        ["Backward of a non-scalar without a gradient"] = new(Invalid, () => { Tensor.Ones([2, 3], DType.Float64, requiresGrad: true).Exp().Backward(); return 0; }, "backward", "scalar", "[2, 3]"),
        ["Backward with a gradient of the wrong shape"] = new(Arg, () => { Tensor.Ones([2, 3], DType.Float64, requiresGrad: true).Exp().Backward(F(3, 2)); return 0; }, "backward", "[3, 2]", "[2, 3]"),
        ["Backward of a tensor that needs no grad"] = new(Invalid, () => { F().Backward(); return 0; }, "backward", "does not require grad"),
        ["RequiresGrad on int32"] = new(Invalid, () => I32(2).RequiresGrad = true, "RequiresGrad", "int32"),
        // factories
        ["FromArray with a shape that does not fit the data"] = new(Arg, () => Tensor.FromArray([1.0, 2, 3, 4, 5, 6], [2, 2]), "from_array", "6 values", "[2, 2]"),
        ["FromArray of ints with a shape that does not fit"] = new(Arg, () => Tensor.FromArray([1, 2, 3], [2, 2]), "from_array", "3 values", "[2, 2]"),
        ["Zeros with a negative size"] = new(Arg, () => Tensor.Zeros([2, -1]), "zeros", "[2, -1]"),
        ["Ones with a negative size"] = new(Arg, () => Tensor.Ones([-3]), "ones", "[-3]"),
        ["Full with a negative size"] = new(Arg, () => Tensor.Full([-1, 2], 7), "full", "[-1, 2]"),
        ["Randn with a negative size"] = new(Arg, () => Tensor.Randn([4, -2]), "randn", "[4, -2]"),
        ["RandInt with a negative size"] = new(Arg, () => Tensor.RandInt(0, 5, [-1]), "randint", "[-1]"),
        ["FromArray with a negative size"] = new(Arg, () => Tensor.FromArray([1.0, 2], [-1, -2]), "from_array", "[-1, -2]"),
        ["Arange with step 0"] = new(Arg, () => Tensor.Arange(0, 5, 0), "arange", "step"),
    };

    public static IEnumerable<object[]> Names() => Cases.Keys.Select(k => new object[] { k });

    [Theory, MemberData(nameof(Names))]
    public void FailsWithAClearMessage(string name)
    {
        var c = Cases[name];
        var e = Record.Exception(c.Act);
        Assert.True(e is not null, $"{name}: no exception");
        Assert.True(e.GetType() == c.Exception, $"{name}: {e.GetType().Name} instead of {c.Exception.Name}: {e.Message}");
        foreach (var f in c.Fragments)
            Assert.True(e.Message.Contains(f, StringComparison.Ordinal), $"{name}: message lacks \"{f}\": {e.Message}");
    }
}
