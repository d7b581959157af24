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
}
