using Interp.Autograd;

namespace Interp;

/// <summary>
/// Shape and view ops. Views share storage with their input (no copy) wherever PyTorch makes none; each records a
/// backward rule that routes the gradient back into the input's shape.
/// </summary>
public static class ViewOps
{
    extension(Tensor x)
    {
        /// <summary>Same data, new shape (one dim may be -1); a view when the strides allow it, else a copy.</summary>
        public Tensor Reshape(params int[] shape)
        {
            var target = InferShape("reshape", x, shape);
            var strides = ViewStrides(x, target);
            var r = strides is null ? Copy(x).ViewRaw(target, ShapeUtil.ContiguousStrides(target), 0) : x.ViewRaw(target, strides, x.Offset);
            var inShape = x.ShapeArray;
            return Graph.Record("reshape", r, [x], g => [g.Reshape(inShape)]);
        }

        /// <summary>Like Reshape, but never copies: throws when the strides do not allow a view.</summary>
        public Tensor View(params int[] shape)
        {
            var target = InferShape("view", x, shape);
            if (ViewStrides(x, target) is null)
                throw new InvalidOperationException($"view: shape {ShapeUtil.Format(target)} is not compatible with the strides of a {ShapeUtil.Format(x.shape)} view; use Reshape (which copies) or Contiguous() first");
            return x.Reshape(target);
        }

        public Tensor Flatten(int startDim = 0, int endDim = -1)
        {
            if (x.Rank == 0) return x.Reshape(1);
            int s = ShapeUtil.NormalizeDim("flatten", startDim, x.shape), e = ShapeUtil.NormalizeDim("flatten", endDim, x.shape);
            if (s > e) throw new ArgumentException($"flatten: start dim {startDim} comes after end dim {endDim}");
            var shape = x.shape[..s].Append(x.shape[s..(e + 1)].Aggregate(1, (a, b) => a * b)).Concat(x.shape[(e + 1)..]).ToArray();
            return x.Reshape(shape);
        }

        /// <summary>Reorders dims: result dim i is input dim dims[i].</summary>
        public Tensor Permute(params int[] dims)
        {
            if (dims.Length != x.Rank)
                throw new ArgumentException($"permute: {dims.Length} dims given for a tensor of rank {x.Rank} ({ShapeUtil.Format(x.shape)})");
            var d = ShapeUtil.NormalizeDims("permute", dims, x.shape);
            var r = x.ViewRaw(d.Select(i => x.shape[i]).ToArray(), d.Select(i => x.strides[i]).ToArray(), x.Offset);
            var inverse = new int[d.Length];
            for (int i = 0; i < d.Length; i++) inverse[d[i]] = i;
            return Graph.Record("permute", r, [x], g => [g.Permute(inverse)]);
        }

        public Tensor Transpose(int dim0, int dim1)
        {
            var perm = Enumerable.Range(0, x.Rank).ToArray();
            int a = ShapeUtil.NormalizeDim("transpose", dim0, x.shape), b = ShapeUtil.NormalizeDim("transpose", dim1, x.shape);
            if (x.Rank == 0) return x;
            (perm[a], perm[b]) = (perm[b], perm[a]);
            return x.Permute(perm);
        }

        /// <summary>The transpose of a matrix (rank ≤ 2), as tensor.T.</summary>
        public Tensor T => x.Rank < 2 ? x : x.Rank == 2 ? x.Transpose(0, 1)
            : throw new ArgumentException($"T: expects a tensor of rank <= 2, got {ShapeUtil.Format(x.shape)}; use Transpose(-2, -1) or MT");

        /// <summary>Transpose of the last two dims (tensor.mT).</summary>
        public Tensor MT => x.Transpose(-2, -1);

        /// <summary>Elements start, start+step, … below stop along one dim (python slicing: negatives count from the end, bounds are clamped).</summary>
        public Tensor Slice(int dim, int? start = null, int? stop = null, int step = 1)
        {
            int d = ShapeUtil.NormalizeDim("slice", dim, x.shape);
            if (step <= 0) throw new ArgumentException($"slice: step must be positive, got {step} (dim {dim} of a tensor of shape {ShapeUtil.Format(x.shape)})");
            int n = x.shape[d];
            int s = Clamp(start ?? 0, n), e = Clamp(stop ?? n, n);
            int len = e > s ? (e - s + step - 1) / step : 0;
            var shape = x.ShapeArray; shape[d] = len;
            var strides = (int[])x.strides.Clone(); strides[d] *= step;
            var r = x.ViewRaw(shape, strides, x.Offset + s * x.strides[d]);
            var inShape = x.ShapeArray;
            return Graph.Record("slice", r, [x], g => [SliceBackward(g, inShape, d, s, step, len)]);
        }

        public Tensor Narrow(int dim, int start, int length)
        {
            int d = ShapeUtil.NormalizeDim("narrow", dim, x.shape);
            if (start < 0) start += x.shape[d];
            if (start < 0 || length < 0 || start + length > x.shape[d])
                throw new ArgumentOutOfRangeException(nameof(start), $"narrow: start {start} and length {length} do not fit dim {dim} of size {x.shape[d]}");
            return x.Slice(d, start, start + length);
        }

        /// <summary>The slice at one index, with that dim removed (as x[..., i, ...]).</summary>
        public Tensor Select(int dim, int index)
        {
            int d = ShapeUtil.NormalizeDim("select", dim, x.shape);
            int n = x.shape[d];
            int i = index < 0 ? index + n : index;
            if (i < 0 || i >= n) throw new IndexOutOfRangeException($"select: index {index} is out of range for dim {dim} of size {n}");
            return x.Slice(d, i, i + 1).Squeeze(d);
        }

        public Tensor Squeeze(int? dim = null)
        {
            int[] keep = dim is int dd
                ? Enumerable.Range(0, x.Rank).Where(i => i != ShapeUtil.NormalizeDim("squeeze", dd, x.shape) || x.shape[i] != 1).ToArray()
                : Enumerable.Range(0, x.Rank).Where(i => x.shape[i] != 1).ToArray();
            return x.Reshape(keep.Select(i => x.shape[i]).ToArray());
        }

        public Tensor Unsqueeze(int dim)
        {
            int d = ShapeUtil.NormalizeDim("unsqueeze", dim, x.Rank + 1);
            var shape = x.shape.ToList(); shape.Insert(d, 1);
            return x.Reshape(shape.ToArray());
        }

        /// <summary>A broadcast view (stride 0 along expanded dims); -1 keeps a dim's size.</summary>
        public Tensor Expand(params int[] shape)
        {
            if (shape.Length < x.Rank)
                throw new ArgumentException($"expand: target {ShapeUtil.Format(shape)} has fewer dims than the tensor {ShapeUtil.Format(x.shape)}");
            int lead = shape.Length - x.Rank;
            var target = shape.Select((s, i) => s == -1 && i >= lead ? x.shape[i - lead] : s).ToArray();
            var strides = ShapeUtil.BroadcastStrides("expand", x.shape, x.strides, target);
            var r = x.ViewRaw(target, strides, x.Offset);
            var inShape = x.ShapeArray;
            return Graph.Record("expand", r, [x], g => [Graph.SumToShape(g, inShape)]);
        }

        public Tensor BroadcastTo(params int[] shape) => x.Expand(shape);

        /// <summary>Pieces of <paramref name="size"/> along a dim (the last may be smaller).</summary>
        public Tensor[] Split(int size, int dim = 0)
        {
            int d = ShapeUtil.NormalizeDim("split", dim, x.shape);
            if (size <= 0) throw new ArgumentException($"split: size must be positive, got {size}");
            var parts = new List<Tensor>();
            for (int s = 0; s < x.shape[d] || (s == 0 && x.shape[d] == 0); s += size)
                parts.Add(x.Narrow(d, s, Math.Min(size, x.shape[d] - s)));
            return parts.ToArray();
        }

        public Tensor[] Split(int[] sizes, int dim = 0)
        {
            int d = ShapeUtil.NormalizeDim("split", dim, x.shape);
            if (sizes.Sum() != x.shape[d])
                throw new ArgumentException($"split: sizes {ShapeUtil.Format(sizes)} add up to {sizes.Sum()}, not the size {x.shape[d]} of dim {dim}");
            var parts = new Tensor[sizes.Length];
            for (int i = 0, s = 0; i < sizes.Length; s += sizes[i], i++) parts[i] = x.Narrow(d, s, sizes[i]);
            return parts;
        }

        public Tensor[] Chunk(int chunks, int dim = 0)
        {
            if (chunks <= 0) throw new ArgumentException($"chunk: chunks must be positive, got {chunks}");
            int n = x.shape[ShapeUtil.NormalizeDim("chunk", dim, x.shape)];
            return x.Split(Math.Max(1, (n + chunks - 1) / chunks), dim);
        }

        /// <summary>This tensor if already contiguous, else a contiguous copy.</summary>
        public Tensor Contiguous() => x.IsContiguous ? x : x.Clone();

        /// <summary>A contiguous copy (differentiable).</summary>
        public Tensor Clone() => Graph.Record("clone", Copy(x), [x], g => [g]);

        /// <summary>Converts the dtype (differentiable between float types).</summary>
        public Tensor To(DType dtype)
        {
            if (dtype == x.DType) return x;
            var r = Tensor.Empty(x.ShapeArray, dtype, x.Device);
            x.Backend.Copy(x, r);
            var from = x.DType;
            return dtype.IsFloatingPoint() ? Graph.Record("to", r, [x], g => [g.To(from)]) : r;
        }

        /// <summary>Moves to a device (differentiable).</summary>
        public Tensor To(Device device)
        {
            if (device == x.Device) return x;
            var from = x.Device;
            return Graph.Record("to", x.CopyToDevice(device), [x], g => [g.To(from)]);
        }

        /// <summary>PyTorch-style indexing: ints select (dropping the dim), ranges slice: x[0], x[.., 1..3], x[^1].</summary>
        public Tensor this[params TensorIndex[] index]
        {
            get
            {
                if (index.Length > x.Rank)
                    throw new IndexOutOfRangeException($"index: {index.Length} indices for a tensor of rank {x.Rank} ({ShapeUtil.Format(x.shape)})");
                var r = x;
                int dim = 0;
                foreach (var ix in index)
                {
                    int n = r.shape[dim];
                    if (ix.Range is Range range)
                    {
                        var (off, len) = (range.Start.GetOffset(n), range.End.GetOffset(n));
                        r = r.Slice(dim, off, len);
                        dim++;
                    }
                    else r = r.Select(dim, ix.Index!.Value.IsFromEnd ? -ix.Index.Value.Value : ix.Index.Value.Value);
                }
                return r;
            }
        }
    }

    extension(Tensor)
    {
        /// <summary>Joins tensors along an existing dim.</summary>
        public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
        {
            if (tensors.Count == 0) throw new ArgumentException("cat: expected at least one tensor");
            Check.SameDevice("cat", [.. tensors]);
            var first = tensors[0];
            int d = ShapeUtil.NormalizeDim("cat", dim, first.shape);
            foreach (var t in tensors)
            {
                bool ok = t.Rank == first.Rank && t.DType == first.DType && t.Device == first.Device;
                for (int i = 0; ok && i < t.Rank; i++) ok = i == d || t.shape[i] == first.shape[i];
                if (!ok)
                    throw new ArgumentException($"cat: tensors must match except in dim {dim}; got {string.Join(", ", tensors.Select(q => ShapeUtil.Format(q.shape) + " " + q.DType.Name()))}");
            }
            var shape = first.ShapeArray;
            shape[d] = tensors.Sum(t => t.shape[d]);
            var r = Tensor.Empty(shape, first.DType, first.Device);
            var sizes = tensors.Select(t => t.shape[d]).ToArray();
            for (int i = 0, s = 0; i < tensors.Count; s += sizes[i], i++)
                r.Backend.Copy(tensors[i], r.SliceRaw(d, s, 1, sizes[i]));
            return Graph.Record("cat", r, tensors.ToArray(), g => g.Split(sizes, d).Cast<Tensor?>().ToArray());
        }

        /// <summary>Joins tensors along a new dim.</summary>
        public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
        {
            if (tensors.Count == 0) throw new ArgumentException("stack: expected at least one tensor");
            int d = ShapeUtil.NormalizeDim("stack", dim, tensors[0].Rank + 1);
            foreach (var t in tensors)
                if (!ShapeUtil.SameShape(t.shape, tensors[0].shape) || t.DType != tensors[0].DType || t.Device != tensors[0].Device)
                    throw new ArgumentException($"stack: all tensors must have the same shape, dtype and device; got {string.Join(", ", tensors.Select(q => $"{ShapeUtil.Format(q.shape)} {q.DType.Name()} {q.Device}"))}");
            return Tensor.Cat(tensors.Select(t => t.Unsqueeze(d)).ToArray(), d);
        }
    }

    static int Clamp(int i, int n) => Math.Clamp(i < 0 ? i + n : i, 0, n);

    static Tensor Copy(Tensor x)
    {
        var r = Tensor.Empty(x.ShapeArray, x.DType, x.Device);
        x.Backend.Copy(x, r);
        return r;
    }

    /// <summary>
    /// Zeros of the input's shape with g written into the sliced elements; itself differentiable (its backward is the
    /// same slice), so second derivatives through a slice are not lost.
    /// </summary>
    static Tensor SliceBackward(Tensor g, int[] inShape, int d, int start, int step, int len)
    {
        var z = Tensor.Zeros(inShape, g.DType, g.Device);
        z.Backend.Copy(g, z.SliceRaw(d, start, step, len));
        // a stop just past the last element selected, so the slice has len elements without clamping
        int stop = len == 0 ? start : start + (len - 1) * step + 1;
        return Graph.Record("slice_backward", z, [g], gg => [gg.Slice(d, start, stop, step)]);
    }

    static int[] InferShape(string op, Tensor x, int[] shape)
    {
        int infer = Array.IndexOf(shape, -1);
        if (infer != Array.LastIndexOf(shape, -1)) throw new ArgumentException($"{op}: only one dim may be -1 in {ShapeUtil.Format(shape)}");
        var r = (int[])shape.Clone();
        if (infer >= 0)
        {
            int known = shape.Where(s => s != -1).Aggregate(1, (a, b) => a * b);
            if (known == 0 || x.Numel % known != 0)
                throw new ArgumentException($"{op}: cannot reshape a tensor of shape {ShapeUtil.Format(x.shape)} ({x.Numel} elements) to {ShapeUtil.Format(shape)}");
            r[infer] = x.Numel / known;
        }
        if (r.Any(s => s < 0) || ShapeUtil.Numel(r) != x.Numel)
            throw new ArgumentException($"{op}: cannot reshape a tensor of shape {ShapeUtil.Format(x.shape)} ({x.Numel} elements) to {ShapeUtil.Format(shape)}");
        return r;
    }

    /// <summary>
    /// Strides that show x's elements in the new shape without copying, or null when none exist (PyTorch's
    /// computeStride): each run of old dims that is contiguous in memory may be re-split into any new dims of the same size.
    /// </summary>
    static int[]? ViewStrides(Tensor x, int[] newShape)
    {
        if (x.Numel == 0 || x.IsContiguous) return ShapeUtil.ContiguousStrides(newShape);
        var oldShape = x.shape; var oldStrides = x.strides;
        var result = new int[newShape.Length];
        int viewD = newShape.Length - 1;
        long chunkBaseStride = oldStrides.Length > 0 ? oldStrides[^1] : 1;
        long tensorNumel = 1, viewNumel = 1;
        for (int tensorD = oldShape.Length - 1; tensorD >= 0; tensorD--)
        {
            tensorNumel *= oldShape[tensorD];
            if (tensorD == 0 || (oldShape[tensorD - 1] != 1 && oldStrides[tensorD - 1] != tensorNumel * chunkBaseStride))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    result[viewD] = (int)(viewNumel * chunkBaseStride);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (tensorD > 0) { chunkBaseStride = oldStrides[tensorD - 1]; tensorNumel = 1; viewNumel = 1; }
            }
        }
        return viewD == -1 ? result : null;
    }

    internal static Tensor ViewRaw(this Tensor x, int[] shape, int[] strides, int offset) => new(x.Storage, shape, strides, offset);

    internal static Tensor SliceRaw(this Tensor x, int d, int start, int step, int len)
    {
        var shape = x.ShapeArray; shape[d] = len;
        var strides = (int[])x.strides.Clone(); strides[d] *= step;
        return new Tensor(x.Storage, shape, strides, x.Offset + start * x.strides[d]);
    }
}

/// <summary>One entry of an indexer: an int (or ^i) selects, a Range slices.</summary>
public readonly struct TensorIndex
{
    public Index? Index { get; }
    public Range? Range { get; }
    TensorIndex(Index? i, Range? r) { Index = i; Range = r; }
    public static implicit operator TensorIndex(int i) => new(i < 0 ? System.Index.FromEnd(-i) : i, null);
    public static implicit operator TensorIndex(Index i) => new(i, null);
    public static implicit operator TensorIndex(Range r) => new(null, r);
}
