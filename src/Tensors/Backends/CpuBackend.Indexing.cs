using System.Numerics;

using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    /// <summary>The tensor itself when contiguous, else a contiguous copy (kernels then index it with plain offsets).</summary>
    Tensor Contig(Tensor t) => t.IsContiguous ? t : ToCpu(t);

    public Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        RequireFloat("index_select", x);
        var shape = x.ShapeArray; shape[dim] = index.Numel;
        var o = Tensor.Empty(shape, x.DType);
        if (x.DType == DType.Float32) IndexSelectTyped<float>(Contig(x), dim, Contig(index), o);
        else IndexSelectTyped<double>(Contig(x), dim, Contig(index), o);
        return o;
    }

    static void IndexSelectTyped<T>(Tensor x, int dim, Tensor index, Tensor o) where T : unmanaged
    {
        var (outer, n, inner) = ShapeUtil.AroundDim(x.shape, dim);
        int m = index.Numel;
        T* src = Ptr<T>(x) + x.Offset, dst = Ptr<T>(o);
        int* ix = Ptr<int>(index) + index.Offset;
        using var alive = new KeepAlive(x, o, index);
        void Row(int r)   // one output row: (o, j) = (r / m, r % m)
        {
            int oi = r / m, j = r % m;
            new ReadOnlySpan<T>(src + ((long)oi * n + ix[j]) * inner, inner).CopyTo(new Span<T>(dst + (long)r * inner, inner));
        }
        if ((long)outer * m * inner < 1 << 15) for (int r = 0; r < outer * m; r++) Row(r);
        else CpuParallel.For(outer * m, Row);
    }

    public Tensor IndexAdd(Tensor x, int dim, Tensor index, Tensor src)
    {
        RequireFloat("index_add", x);
        var o = ToCpu(x);
        if (x.DType == DType.Float32) IndexAddTyped<float>(o, dim, Contig(index), Contig(src));
        else IndexAddTyped<double>(o, dim, Contig(index), Contig(src));
        return o;
    }

    /// <summary>
    /// o[a, index[j], :] += src[a, j, :]. Writers to the same row race, so the work is split over (outer, column
    /// block) pairs: each task owns a block of the inner dim (the embedding dim for an embedding's backward) and walks
    /// every j in order, which also keeps the accumulation order deterministic.
    /// </summary>
    static void IndexAddTyped<T>(Tensor o, int dim, Tensor index, Tensor src) where T : unmanaged, INumberBase<T>
    {
        var (outer, n, inner) = ShapeUtil.AroundDim(o.shape, dim);
        int m = index.Numel;
        T* dst = Ptr<T>(o), s = Ptr<T>(src) + src.Offset;
        int* ix = Ptr<int>(index) + index.Offset;
        using var alive = new KeepAlive(o, src, index);
        const int Block = 256;
        int blocks = (inner + Block - 1) / Block;
        void Task(int t)
        {
            int a = t / blocks, c0 = t % blocks * Block, c1 = Math.Min(inner, c0 + Block);
            for (int j = 0; j < m; j++)
            {
                T* d = dst + ((long)a * n + ix[j]) * inner, r = s + ((long)a * m + j) * inner;
                for (int c = c0; c < c1; c++) d[c] += r[c];
            }
        }
        if ((long)outer * m * inner < 1 << 15 || outer * blocks == 1) for (int t = 0; t < outer * blocks; t++) Task(t);
        else CpuParallel.For(outer * blocks, Task);
    }

    public Tensor Gather(Tensor x, int dim, Tensor index)
    {
        RequireFloat("gather", x);
        var o = Tensor.Empty(index.ShapeArray, x.DType);
        if (x.DType == DType.Float32) GatherTyped<float>(x, dim, Contig(index), o);
        else GatherTyped<double>(x, dim, Contig(index), o);
        return o;
    }

    /// <summary>The storage offset in t of index position p (row-major over <paramref name="shape"/>), with coordinate dim replaced by k (no replacement for dim −1).</summary>
    static long OffsetAt(int[] shape, int[] strides, int offset, long p, int dim, int k)
    {
        long off = offset;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int c = (int)(p % shape[d]); p /= shape[d];
            off += (long)(d == dim ? k : c) * strides[d];
        }
        return off;
    }

    static void GatherTyped<T>(Tensor x, int dim, Tensor index, Tensor o) where T : unmanaged
    {
        T* src = Ptr<T>(x), dst = Ptr<T>(o);
        int* ix = Ptr<int>(index) + index.Offset;
        using var alive = new KeepAlive(x, o, index);
        var ishape = index.shape;
        void Body(int p) => dst[p] = src[OffsetAt(ishape, x.strides, x.Offset, p, dim, ix[p])];
        if (o.Numel < 1 << 15) for (int p = 0; p < o.Numel; p++) Body(p);
        else CpuParallel.For(o.Numel, Body);
    }

    public Tensor ScatterAdd(Tensor x, int dim, Tensor index, Tensor src)
    {
        RequireFloat("scatter_add", x);
        var o = ToCpu(x);
        if (x.DType == DType.Float32) ScatterAddTyped<float>(o, dim, Contig(index), src);
        else ScatterAddTyped<double>(o, dim, Contig(index), src);
        return o;
    }

    /// <summary>Sequential: any two positions may hit the same output element.</summary>
    static void ScatterAddTyped<T>(Tensor o, int dim, Tensor index, Tensor src) where T : unmanaged, INumberBase<T>
    {
        T* dst = Ptr<T>(o), s = Ptr<T>(src);
        int* ix = Ptr<int>(index) + index.Offset;
        using var alive = new KeepAlive(o, src, index);
        var ishape = index.shape;
        for (long p = 0; p < index.Numel; p++)
        {
            int k = ix[p];
            dst[OffsetAt(ishape, o.strides, 0, p, dim, k)] += s[OffsetAt(ishape, src.strides, src.Offset, p, -1, 0)];
        }
    }
}
