using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/Views.cs: reshape of a transposed view, cat, stack, and a chain of views.</summary>
[OpSpecs]
public static class ViewsSpecs
{
    static readonly Input[] Abc = [new("a", Domain.Any), new("b", Domain.Any), new("c", Domain.Any)];

    static readonly Call TransposeReshape = On(new Leaf(2, 3, 4).Transposed(1, 2), Kw(("shape", new[] { 2, 12 })));

    public static readonly OpSpec Reshape = new("reshape", [Input.X], a => a[0].Reshape(a.Ints("shape")!))
    {
        Torch = "torch.reshape", FloatOnly = false, Sample = OneOf(TransposeReshape),
        Fixtures = [new("view_transpose_reshape", TransposeReshape)],
    };

    static readonly Call Cat0 = On([new Leaf(2, 3), new Leaf(4, 3), null], Kw(("dim", 0)));
    static readonly Call Cat1 = On([new Leaf(2, 3), new Leaf(2, 1), new Leaf(2, 2)], Kw(("dim", 1)));
    static readonly Call Stack1 = On([new Leaf(2, 3), new Leaf(2, 3), null], Kw(("dim", 1)));

    public static readonly OpSpec Cat = new("cat", Abc, a => Tensor.Cat(a.Present, a.Int("dim")))
    {
        Torch = "torch.cat", TorchTakesAList = true, FloatOnly = false, Sample = OneOf(Cat0, Cat1),
        Fixtures = [new("cat", Cat0), new("cat_dim1", Cat1)],
    };

    public static readonly OpSpec Stack = new("stack", Abc, a => Tensor.Stack(a.Present, a.Int("dim")))
    {
        Torch = "torch.stack", TorchTakesAList = true, FloatOnly = false, Sample = OneOf(Stack1),
        Fixtures = [new("stack", Stack1)],
    };

    /// <summary>permute, strided slice, reshape, T, chunk, cat, indexing, stack, expand, flatten, narrow, select, squeeze in one chain.</summary>
    public static readonly OpSpec ViewChain = new("view_chain", [Input.X], a =>
    {
        var x = a[0];
        var v = x.Permute(2, 0, 1).Slice(0, 1, 5, 2).Reshape(2, 12).T;   // [12, 2]
        var parts = v.Chunk(3, 0);
        var joined = Tensor.Cat([parts[2], parts[0] * 2.0], 0);
        var stacked = Tensor.Stack([joined[.., 0], joined[.., 1].Square()], 1).Unsqueeze(0).Expand(2, 8, 2).Flatten();
        return stacked.Sum() + (x.Narrow(1, 1, 2).Select(2, -1).Squeeze() * x[0, 0, 0]).Sum();
    })
    {
        FloatOnly = false, Sample = OneOf(On(new Leaf(3, 4, 5))),
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("reshape to a wrong numel", Arg, () => F(2, 3).Reshape(4), "reshape", "[2, 3]", "[4]"),
        new("reshape with two -1", Arg, () => F(2, 3).Reshape(-1, -1), "reshape", "[-1, -1]"),
        new("reshape with a negative size", Arg, () => F(2, 3).Reshape(-2, -3), "reshape", "[2, 3]", "[-2, -3]"),
        new("view of a non-viewable layout", Invalid, () => F(2, 3).T.View(6), "view", "[6]", "[3, 2]"),
        new("permute with too few dims", Arg, () => F(2, 3, 4).Permute(0, 1), "permute", "[2, 3, 4]"),
        new("permute with a duplicate dim", Arg, () => F(2, 3, 4).Permute(0, 0, 1), "permute", "[0, 0, 1]"),
        new("permute with a dim out of range", OutOfRange, () => F(2, 3, 4).Permute(0, 1, 3), "permute", "dim 3", "[2, 3, 4]"),
        new("transpose with a dim out of range", OutOfRange, () => F(2, 3).Transpose(0, 2), "transpose", "dim 2", "[2, 3]"),
        new("transpose with a negative dim out of range", OutOfRange, () => F(2, 3).Transpose(-3, 0), "transpose", "dim -3", "[2, 3]"),
        new("T of a rank-3 tensor", Arg, () => F(2, 3, 4).T, "T", "[2, 3, 4]"),
        new("squeeze with a dim out of range", OutOfRange, () => F(2, 1).Squeeze(2), "squeeze", "dim 2"),
        new("unsqueeze with a dim out of range", OutOfRange, () => F(2, 3).Unsqueeze(4), "unsqueeze", "dim 4"),
        new("flatten with start after end", Arg, () => F(2, 3, 4).Flatten(2, 0), "flatten", "2", "0"),
        new("slice with step 0", Arg, () => F(4, 5).Slice(1, 0, 4, 0), "slice", "step", "0", "[4, 5]"),
        new("slice with a dim out of range", OutOfRange, () => F(4, 5).Slice(2, 0, 1), "slice", "dim 2", "[4, 5]"),
        new("select with an index out of range", BadIndex, () => F(2, 3).Select(1, 3), "select", "index 3", "size 3"),
        new("select with a negative index out of range", BadIndex, () => F(2, 3).Select(0, -3), "select", "index -3", "size 2"),
        new("narrow past the end", OutOfRange, () => F(2, 3).Narrow(1, 2, 2), "narrow", "start 2", "length 2", "size 3"),
        new("narrow with a negative length", OutOfRange, () => F(2, 3).Narrow(1, 0, -1), "narrow", "length -1"),
        new("indexer with too many indices", BadIndex, () => F(2, 3)[0, 1, 2], "index", "3 indices", "[2, 3]"),
        new("expand to an incompatible shape", Arg, () => F(2, 3).Expand(4, 3), "expand", "[2, 3]", "[4, 3]"),
        new("expand to fewer dims", Arg, () => F(2, 3).Expand(3), "expand", "[2, 3]", "[3]"),
        new("split with sizes that do not add up", Arg, () => F(5, 2).Split([2, 2]), "split", "[2, 2]", "5"),
        new("cat of mismatched shapes", Arg, () => Tensor.Cat([F(2, 3), F(2, 4)], 0), "cat", "[2, 3]", "[2, 4]"),
        new("cat of mismatched ranks", Arg, () => Tensor.Cat([F(2, 3), F(3)], 0), "cat", "[2, 3]", "[3]"),
        new("cat of mismatched dtypes", Arg, () => Tensor.Cat([F32(2, 3), F(2, 3)], 0), "cat", "float32", "float64"),
        new("cat with a dim out of range", OutOfRange, () => Tensor.Cat([F(2, 3), F(2, 3)], 2), "cat", "dim 2"),
        new("cat of nothing", Arg, () => Tensor.Cat([], 0), "cat", "at least one"),
        new("stack of different shapes", Arg, () => Tensor.Stack([F(2, 3), F(3, 2)]), "stack", "[2, 3]", "[3, 2]"),
        new("stack of mismatched dtypes", Arg, () => Tensor.Stack([F(2), F32(2)]), "stack", "float64", "float32"),
        new("cat of tensors on different devices", Arg, () => Tensor.Cat([F(2), F(2).To(Device.IlgpuCpu)]), "cat", "cpu", "ilgpu-cpu"),
        new("MT of a rank-1 tensor", OutOfRange, () => F(3).MT, "transpose", "dim -2", "[3]"),
        new("broadcast_to an incompatible shape", Arg, () => F(2, 3).BroadcastTo(3, 3), "expand", "[2, 3]", "[3, 3]"),
        new("chunk into 0 chunks", Arg, () => F(4).Chunk(0), "chunk", "0"),
        new("split into pieces of size 0", Arg, () => F(4).Split(0), "split", "0"),
        new("stack with a dim out of range", OutOfRange, () => Tensor.Stack([F(2), F(2)], 2), "stack", "dim 2"),
    ];
}
