using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/Indexing.cs: index_select, index_add, gather, scatter_add and embedding (repeated indices likely).</summary>
[OpSpecs]
public static class IndexingSpecs
{
    static Input Index(int below) => new("index", Domain.IndicesBelow(below), Keyword: true);

    /// <summary>A random shape of rank 1–3 and one of its dims.</summary>
    static (int[] shape, int dim) ShapeAndDim(TestData d)
    {
        var shape = d.Shape(1, 3);
        return (shape, d.Int(0, shape.Length - 1));
    }

    /// <summary>An index shape for gather and scatter_add: any length along dim, at most the input's size elsewhere.</summary>
    static int[] GatherIndexShape(TestData d, int[] shape, int dim) => shape.Select((s, i) => i == dim ? d.Int(1, 5) : d.Int(1, s)).ToArray();

    public static readonly OpSpec IndexSelect = new("index_select", [Input.X, Index(4)], a => a[0].IndexSelect(a.Int("dim"), a[1]))
    {
        Torch = "torch.index_select", FloatOnly = false,
        Sample = d =>
        {
            var (shape, dim) = ShapeAndDim(d);
            var index = new Leaf(d.Int(1, 5)).Of(Domain.IndicesBelow(shape[dim]));
            return On([RandomView(d, shape), index], Kw(("dim", dim)));
        },
        Fixtures =
        [
            new("index_select", On([new Leaf(5, 4), new Leaf(4).Holding(4, 0, 4, 2)], Kw(("dim", 0)))),
            new("index_select_dim1", On([new Leaf(3, 5), new Leaf(3).Holding(1, 1, 3)], Kw(("dim", 1)))),
        ],
    };

    public static readonly OpSpec IndexAdd = new("index_add", [Input.X, Index(4), new("source", Domain.Any, Keyword: true)],
        a => a[0].IndexAdd(a.Int("dim"), a[1], a[2]))
    {
        Torch = "torch.index_add", FloatOnly = false,
        Sample = d =>
        {
            var (shape, dim) = ShapeAndDim(d);
            int count = d.Int(1, 5);
            var source = (int[])shape.Clone(); source[dim] = count;
            return On([new Leaf(shape), new Leaf(count).Of(Domain.IndicesBelow(shape[dim])), new Leaf(source)], Kw(("dim", dim)));
        },
    };

    public static readonly OpSpec Gather = new("gather", [Input.X, Index(4)], a => a[0].Gather(a.Int("dim"), a[1]))
    {
        Torch = "torch.gather", FloatOnly = false,
        Sample = d =>
        {
            var (shape, dim) = ShapeAndDim(d);
            var index = new Leaf(GatherIndexShape(d, shape, dim)).Of(Domain.IndicesBelow(shape[dim]));
            return On([RandomView(d, shape), index], Kw(("dim", dim)));
        },
        Fixtures =
        [
            new("gather", On([new Leaf(3, 5), new Leaf(3, 4).Of(Domain.IndicesBelow(5))], Kw(("dim", 1)))),
            new("gather_dim0", On([new Leaf(4, 3), new Leaf(2, 3).Of(Domain.IndicesBelow(4))], Kw(("dim", 0)))),
        ],
    };

    public static readonly OpSpec ScatterAdd = new("scatter_add", [Input.X, Index(4), new("src", Domain.Any, Keyword: true)],
        a => a[0].ScatterAdd(a.Int("dim"), a[1], a[2]))
    {
        Torch = "torch.scatter_add", FloatOnly = false,
        Sample = d =>
        {
            var (shape, dim) = ShapeAndDim(d);
            var indexShape = GatherIndexShape(d, shape, dim);
            var srcShape = indexShape.Select(s => s + d.Int(0, 1)).ToArray();   // src may be larger than index
            var reversed = Enumerable.Range(0, shape.Length).Reverse().ToArray();
            return On([new Leaf(shape), new Leaf(indexShape).Of(Domain.IndicesBelow(shape[dim])), new Leaf(srcShape.Reverse().ToArray()).Permuted(reversed)], Kw(("dim", dim)));
        },
        Fixtures = [new("scatter_add", On([new Leaf(3, 5), new Leaf(3, 4).Of(Domain.IndicesBelow(5)), new Leaf(3, 4)], Kw(("dim", 1))))],
    };

    /// <summary>F.embedding(input, weight): the ids come first, as in PyTorch.</summary>
    public static readonly OpSpec Embedding = new("embedding", [new("input", Domain.IndicesBelow(10)), new("weight", Domain.Any)], a => a[1].Embedding(a[0]))
    {
        Torch = "torch.nn.functional.embedding", FloatOnly = false,
        Sample = d =>
        {
            int vocab = d.Int(1, 6), dim = d.Int(1, 4);
            return On([new Leaf(d.Shape(0, 2, 4)).Of(Domain.IndicesBelow(vocab)), new Leaf(vocab, dim)]);
        },
        Fixtures = [new("embedding", On([new Leaf(2, 3).Holding(1, 3, 3, 9, 0, 1), new Leaf(10, 4)]))],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("index_select with an index on another device", Arg, () => F(3).IndexSelect(0, Tensor.FromArray([0]).To(Device.IlgpuCpu)), "index_select", "cpu", "ilgpu-cpu"),
        new("index_select with an index out of range", BadIndex, () => F(3, 4).IndexSelect(0, Tensor.FromArray([0, 3])), "index_select", "3", "size 3"),
        new("index_select with a float index", Arg, () => F(3).IndexSelect(0, F(2)), "index_select", "float64"),
        new("index_select with a dim out of range", OutOfRange, () => F(3).IndexSelect(1, Tensor.FromArray([0])), "index_select", "dim 1"),
        new("index_add with a source of the wrong shape", Arg, () => F(3, 2).IndexAdd(0, Tensor.FromArray([0, 1]), F(2, 3)), "index_add", "[2, 3]"),
        new("index_add with an index out of range", BadIndex, () => F(3, 2).IndexAdd(0, Tensor.FromArray([0, -1]), F(2, 2)), "index_add", "-1"),
        new("gather with an index out of range", BadIndex, () => F(2, 3).Gather(1, Tensor.FromArray([0, 5, 1, 2, 0, 0], [2, 3])), "gather", "5", "size 3"),
        new("gather with an index of another rank", Arg, () => F(2, 3).Gather(1, Tensor.FromArray([0, 1])), "gather", "[2]", "[2, 3]"),
        new("scatter_add with an index out of range", BadIndex, () => F(2, 3).ScatterAdd(1, Tensor.FromArray([0, 3], [2, 1]), F(2, 1)), "scatter_add", "3", "size 3"),
        new("scatter_add with a source smaller than the index", Arg, () => F(2, 3).ScatterAdd(1, Tensor.FromArray([0, 1, 0, 1], [2, 2]), F(2, 1)), "scatter_add", "[2, 2]", "[2, 1]"),
        new("embedding with an id out of range", BadIndex, () => F(4, 2).Embedding(Tensor.FromArray([1, 4])), "embedding", "index 4", "4 rows"),
        new("embedding with a negative id", BadIndex, () => F(4, 2).Embedding(Tensor.FromArray([-1])), "embedding", "index -1", "4 rows"),
        new("embedding of a rank-1 table", Arg, () => F(4).Embedding(Tensor.FromArray([1])), "embedding", "[4]"),
    ];
}
