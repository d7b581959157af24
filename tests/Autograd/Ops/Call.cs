using Interp.Testing;

namespace Interp.Tests.Autograd.Ops;

/// <summary>A concrete call of an op: each input's leaf (null where an optional input is left out) and the keyword arguments.</summary>
public sealed record Call(Leaf?[] Leaves, Kwargs Args)
{
    public Call(params Leaf?[] leaves) : this(leaves, new Kwargs()) { }

    public Call With(string key, object value) => this with { Args = Args.With(key, value) };
}

/// <summary>
/// The tensor an input is made from: its shape, an optional domain that overrides the input's (or given int32 values,
/// as a fixture's targets), and the views taken of it before the op sees it (so the op gets a permuted, strided or
/// expanded tensor while the gradient goes to the leaf).
/// </summary>
public sealed record Leaf(int[] Shape, View[] Views, Domain? Domain = null, int[]? Given = null)
{
    public Leaf(params int[] shape) : this(shape, []) { }

    public Leaf Permuted(params int[] dims) => this with { Views = [.. Views, new View("permute", dims)] };
    public Leaf Transposed(int dim0, int dim1) => this with { Views = [.. Views, new View("transpose", [dim0, dim1])] };
    public Leaf Sliced(int dim, int start, int stop, int step = 1) => this with { Views = [.. Views, new View("slice", [dim, start, stop, step])] };
    public Leaf Expanded(params int[] shape) => this with { Views = [.. Views, new View("expand", shape)] };
    public Leaf Of(Domain domain) => this with { Domain = domain };
    public Leaf Holding(params int[] values) => this with { Given = values };

    public Tensor ApplyViews(Tensor leaf) => Views.Aggregate(leaf, (t, v) => v.Apply(t));

    public override string ToString() => ShapeUtil.Format(Shape) + string.Concat(Views.Select(v => "." + v));
}

/// <summary>A view in the small vocabulary both C# and make_op_fixtures.py apply: permute, transpose, slice (dim, start, stop, step), expand.</summary>
public sealed record View(string Kind, int[] Args)
{
    public Tensor Apply(Tensor t) => Kind switch
    {
        "permute" => t.Permute(Args),
        "transpose" => t.Transpose(Args[0], Args[1]),
        "slice" => t.Slice(Args[0], Args[1], Args[2], Args[3]),
        "expand" => t.Expand(Args),
        _ => throw new ArgumentException($"unknown view {Kind}"),
    };

    public override string ToString() => $"{Kind}({string.Join(", ", Args)})";
}
