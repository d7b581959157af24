using Interp.Autograd;

namespace Interp;

/// <summary>
/// Integer indexing along a dim (int32 index tensors): index_select, index_add, gather, scatter_add and embedding.
/// Each backward is the adjoint op (select ↔ add, gather ↔ scatter_add), so gradients of gradients work too.
/// Index values are range-checked before any kernel runs.
/// </summary>
public static class IndexingOps
{
    extension(Tensor x)
    {
        /// <summary>torch.index_select: the slices x[..., index[m], ...] along dim, for a 1-d index.</summary>
        public Tensor IndexSelect(int dim, Tensor index)
        {
            const string op = "index_select";
            int d = ShapeUtil.NormalizeDim(op, dim, x.Rank);
            CheckIndex(op, x, index, d);
            if (index.Rank > 1) throw new ArgumentException($"{op}: index must be 1-d, got shape {ShapeUtil.Format(index.shape)}");
            CheckRange(op, index, x.shape[d], d);
            var y = x.Backend.IndexSelect(x, d, index);
            var inShape = x.ShapeArray;
            return Graph.Record(op, y, [x], g => [Tensor.Zeros(inShape, g.DType, g.Device).IndexAdd(d, index, g)]);
        }

        /// <summary>torch.index_add: a copy of x with src's slices added at x[..., index[m], ...] (repeats accumulate).</summary>
        public Tensor IndexAdd(int dim, Tensor index, Tensor src)
        {
            const string op = "index_add";
            int d = ShapeUtil.NormalizeDim(op, dim, x.Rank);
            CheckIndex(op, x, index, d);
            Check.SameDType(op, x, src);
            var expected = x.ShapeArray; expected[d] = index.Numel;
            if (!ShapeUtil.SameShape(src.shape, expected))
                throw new ArgumentException($"{op}: src has shape {ShapeUtil.Format(src.shape)}, expected {ShapeUtil.Format(expected)} for x {ShapeUtil.Format(x.shape)}, dim {dim} and {index.Numel} indices");
            CheckRange(op, index, x.shape[d], d);
            var y = x.Backend.IndexAdd(x, d, index, src);
            return Graph.Record(op, y, [x, src], g => [g, src.RequiresGrad ? g.IndexSelect(d, index) : null]);
        }

        /// <summary>torch.gather: out[p] = x[p with coordinate dim replaced by index[p]]; index has x's rank and is no larger off dim.</summary>
        public Tensor Gather(int dim, Tensor index)
        {
            const string op = "gather";
            int d = ShapeUtil.NormalizeDim(op, dim, x.Rank);
            CheckIndex(op, x, index, d);
            CheckScatterShapes(op, x, index, null, d);
            CheckRange(op, index, x.shape[d], d);
            var y = x.Backend.Gather(x, d, index);
            var inShape = x.ShapeArray;
            return Graph.Record(op, y, [x], g => [Tensor.Zeros(inShape, g.DType, g.Device).ScatterAdd(d, index, g)]);
        }

        /// <summary>torch.scatter_add: a copy of x with src[p] added at x[p with coordinate dim replaced by index[p]].</summary>
        public Tensor ScatterAdd(int dim, Tensor index, Tensor src)
        {
            const string op = "scatter_add";
            int d = ShapeUtil.NormalizeDim(op, dim, x.Rank);
            CheckIndex(op, x, index, d);
            Check.SameDType(op, x, src);
            CheckScatterShapes(op, x, index, src, d);
            CheckRange(op, index, x.shape[d], d);
            var y = x.Backend.ScatterAdd(x, d, index, src);
            var srcShape = src.ShapeArray;
            return Graph.Record(op, y, [x, src], g =>
            {
                if (!src.RequiresGrad) return [g, null];
                var picked = g.Gather(d, index);   // index's shape; src may be larger: its other elements get zero
                return [g, ShapeUtil.SameShape(picked.shape, srcShape) ? picked : PadTo(picked, srcShape)];
            });
        }

        /// <summary>
        /// torch.nn.functional.embedding(ids, weight) written weight.Embedding(ids): the rows weight[ids] with shape
        /// [..ids.shape, D]. The backward accumulates g's rows into a zero table (repeated ids add up).
        /// </summary>
        public Tensor Embedding(Tensor ids)
        {
            if (x.Rank != 2)
                throw new ArgumentException($"embedding: weight must be [num_embeddings, dim], got shape {ShapeUtil.Format(x.shape)}");
            if (ids.DType != DType.Int32)
                throw new ArgumentException($"embedding: ids must be int32, got {ids.DType.Name()} {ShapeUtil.Format(ids.shape)}");
            try
            {
                return x.IndexSelect(0, ids.Reshape(-1)).Reshape([.. ids.shape, x.shape[1]]);
            }
            catch (IndexOutOfRangeException e)
            {
                throw new IndexOutOfRangeException($"embedding: an id is outside the table of {x.shape[0]} rows ({e.Message})", e);
            }
        }
    }

    /// <summary>
    /// src's gradient where index (smaller than src) covers only a corner: zeros elsewhere. Differentiable (its
    /// backward cuts the corner out again), so a second derivative through scatter_add's src is not lost.
    /// </summary>
    static Tensor PadTo(Tensor corner, int[] shape)
    {
        var z = Tensor.Zeros(shape, corner.DType, corner.Device);
        var cornerShape = corner.ShapeArray;
        z.Backend.Copy(corner, Corner(z, cornerShape));
        return Graph.Record("pad", z, [corner], g => [Corner(g, cornerShape)]);
    }

    /// <summary>The leading <paramref name="shape"/> elements of every dim of t.</summary>
    static Tensor Corner(Tensor t, int[] shape)
    {
        for (int d = 0; d < shape.Length; d++) t = t.Narrow(d, 0, shape[d]);
        return t;
    }

    static void CheckIndex(string op, Tensor x, Tensor index, int dim)
    {
        Check.SameDevice(op, x, index);
        Check.Float(op, x);
        if (index.DType != DType.Int32)
            throw new ArgumentException($"{op}: index must be int32, got {index.DType.Name()} {ShapeUtil.Format(index.shape)}");
    }

    /// <summary>Gather/scatter shape rules: same rank; index no larger than x off dim (and no larger than src anywhere).</summary>
    static void CheckScatterShapes(string op, Tensor x, Tensor index, Tensor? src, int dim)
    {
        bool ok = index.Rank == x.Rank && (src is null || src.Rank == x.Rank);
        for (int d = 0; ok && d < x.Rank; d++)
            ok = (d == dim || index.shape[d] <= x.shape[d]) && (src is null || index.shape[d] <= src.shape[d]);
        if (!ok)
            throw new ArgumentException($"{op}: index {ShapeUtil.Format(index.shape)} must have the rank of x {ShapeUtil.Format(x.shape)}" +
                (src is null ? "" : $" and src {ShapeUtil.Format(src.shape)}, be no larger than src in any dim,") + $" and be no larger than x in dims other than {dim}");
    }

    /// <summary>Every index in [0, bound): the first offender is named with its position.</summary>
    internal static void CheckRange(string op, Tensor index, int bound, int dim)
    {
        if (index.ValuesKnownWithin(0, bound)) return;   // an uploaded device tensor: no copy back to the host
        var v = index.ToArray<int>();
        for (int i = 0; i < v.Length; i++)
            if ((uint)v[i] >= (uint)bound)
                throw new IndexOutOfRangeException($"{op}: index {v[i]} (at position {i} of index {ShapeUtil.Format(index.shape)}) is out of range for dim {dim} of size {bound}");
    }
}
