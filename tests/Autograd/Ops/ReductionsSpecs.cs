using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/Reductions.cs: sum, mean, max, min and argmax over all elements or some dims; cumsum.</summary>
[OpSpecs]
public static class ReductionsSpecs
{
    static readonly Leaf X234 = new(2, 3, 4);

    static Kwargs Dims(int[]? dims, bool keep) => dims is null ? Kw() : Kw(("dim", dims), ("keepdim", keep));
    static Kwargs Dim(int? dim, bool keep) => dim is null ? Kw() : Kw(("dim", dim.Value), ("keepdim", keep));

    /// <summary>A random input and a random subset of its dims (none: all elements), keepdim either way.</summary>
    static Call OverSomeDims(TestData d)
    {
        var (leaf, shape) = RandomInput(d);
        var dims = Enumerable.Range(0, shape.Length).Where(_ => d.Int(0, 1) == 1).ToArray();
        return On(leaf, Dims(dims.Length == 0 ? null : dims, d.Int(0, 1) == 1));
    }

    /// <summary>A random input and one random dim (none for a 0-d input), keepdim either way.</summary>
    static Call AlongADim(TestData d)
    {
        var (leaf, shape) = RandomInput(d);
        return On(leaf, Dim(shape.Length == 0 ? null : d.Int(-shape.Length, shape.Length - 1), d.Int(0, 1) == 1));
    }

    public static readonly OpSpec Sum = new("sum", [Input.X], a => a[0].Sum(a.Ints("dim"), a.Bool("keepdim")))
    {
        Torch = "torch.sum", FloatOnly = false, Sample = OverSomeDims,
        Fixtures =
        [
            new("sum_dim1", On(X234, Dims([1], false))), new("sum_dim02_keep", On(X234, Dims([0, 2], true))), new("sum_all", On(X234)),
            new("view_permute_sum", On(new Leaf(2, 3, 4).Permuted(2, 0, 1), Dims([1], false))),
            new("view_slice_sum", On(new Leaf(2, 5, 6).Sliced(1, 1, 4).Sliced(2, 0, 6, 2), Dims([-1], false))),
        ],
    };

    public static readonly OpSpec Mean = new("mean", [Input.X], a => a[0].Mean(a.Ints("dim"), a.Bool("keepdim")))
    {
        Torch = "torch.mean", Sample = OverSomeDims,
        Fixtures =
        [
            new("mean_dim1", On(X234, Dims([1], false))), new("mean_dimm1_keep", On(X234, Dims([-1], true))), new("mean_all", On(X234)),
            new("view_transpose_mean", On(new Leaf(2, 3, 4).Transposed(0, 2), Dims([0], false))),
        ],
    };

    // torch.max(x, dim) returns (values, indices): the fixture keeps the values, whose gradient goes to the index.
    public static readonly OpSpec Max = new("max", [Input.X], a => a.Kw.Has("dim") ? a[0].Max(a.Int("dim"), a.Bool("keepdim")) : a[0].Max())
    {
        Torch = "torch.max", FloatOnly = false, Sample = AlongADim,
        Fixtures = [new("max_dim1", On(X234, Dim(1, false))), new("max_dim2_keep", On(X234, Dim(2, true))), new("max_all", On(X234))],
    };

    public static readonly OpSpec Min = new("min", [Input.X], a => a.Kw.Has("dim") ? a[0].Min(a.Int("dim"), a.Bool("keepdim")) : a[0].Min())
    {
        Torch = "torch.min", FloatOnly = false, Sample = AlongADim,
        Fixtures = [new("min_dim0", On(X234, Dim(0, false))), new("min_dim1_keep", On(X234, Dim(1, true)))],
    };

    public static readonly OpSpec CumSum = new("cumsum", [Input.X], a => a[0].CumSum(a.Int("dim")))
    {
        Torch = "torch.cumsum",
        Sample = d =>
        {
            var (leaf, shape) = RandomInput(d);
            return On(leaf, Kw(("dim", shape.Length == 0 ? 0 : d.Int(-shape.Length, shape.Length - 1))));
        },
        Fixtures = [new("cumsum_dim1", On(X234, Kw(("dim", 1)))), new("cumsum_dimm1_permuted", On(new Leaf(2, 3, 4).Permuted(2, 0, 1), Kw(("dim", -1))))],
    };

    public static readonly OpSpec ArgMax = new("argmax", [Input.X], a => a[0].ArgMax(a.Kw.Has("dim") ? a.Int("dim") : null, a.Bool("keepdim")))
    {
        Torch = "torch.argmax", FloatOnly = false, Differentiable = false, Sample = AlongADim,
        Fixtures = [new("argmax_dim1", On(X234, Dim(1, false))), new("argmax_dim2_keep", On(X234, Dim(2, true))), new("argmax_all", On(X234))],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("cumsum with a dim out of range", OutOfRange, () => F(2, 3).CumSum(2), "cumsum", "dim 2", "[2, 3]"),
        new("sum with a dim out of range", OutOfRange, () => F(2, 3).Sum(2), "sum", "dim 2", "[2, 3]"),
        new("sum with a duplicate dim", Arg, () => F(2, 3).Sum([1, -1]), "sum", "[1, -1]"),
        new("mean with a negative dim out of range", OutOfRange, () => F(2, 3).Mean(-3), "mean", "dim -3", "[2, 3]"),
        new("max with a dim out of range", OutOfRange, () => F(2, 3).Max(5), "max", "dim 5", "[2, 3]"),
        new("max over a list with a dim out of range", OutOfRange, () => F(2, 3).Max([0, 2]), "max", "dim 2", "[2, 3]"),
        new("min with a negative dim out of range", OutOfRange, () => F(2, 3).Min(-4), "min", "dim -4", "[2, 3]"),
        new("max over an empty dim", Arg, () => F(2, 0).Max(1), "max", "size 0", "[2, 0]"),
        new("argmax with a dim out of range", OutOfRange, () => F(2, 3).ArgMax(2), "argmax", "dim 2", "[2, 3]"),
        new("argmin with a negative dim out of range", OutOfRange, () => F(2, 3).ArgMin(-3), "argmin", "dim -3", "[2, 3]"),
        new("argmax of an empty tensor", Arg, () => F(0).ArgMax(), "argmax", "[0]"),
    ];
}
