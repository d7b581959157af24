using ILGPU;
using ILGPU.Runtime;

namespace Interp.Gpu;

/// <summary>
/// Index kernels (int32 indices, range-checked by the ops): one thread per element read or added; the adds are
/// atomic, so repeated indices accumulate. Gather and ScatterAdd walk index positions p through a Layout of the
/// index shape over the other operand's strides with dim's stride zeroed, then add index[p]·stride[dim].
/// </summary>
public sealed partial class IlgpuBackend
{
    public Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        RequireFloat("index_select", x);
        var src = Contig("index_select", x);
        var ix = Contig("index_select", index);
        var shape = x.ShapeArray; shape[dim] = index.Numel;
        var o = New(shape, x.DType);
        if (o.Numel == 0) return o;
        var (_, n, inner) = ShapeUtil.AroundDim(x.shape, dim);
        if (x.DType == DType.Float32) IndexSelectTyped<float, F32>(src, ix, o, n, inner);
        else IndexSelectTyped<double, F64>(src, ix, o, n, inner);
        return o;
    }

    void IndexSelectTyped<T, E>(Tensor x, Tensor index, Tensor o, int n, int inner) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"index_select/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int>(IndexSelectKernel<T, E>));
        k(o.Numel, Dense<T>(x), Dense<int>(index), Dense<T>(o), n, inner);
    }

    /// <summary>out[o, m, i] = x[o, index[m], i].</summary>
    static void IndexSelectKernel<T, E>(Index1D t, ArrayView<T> x, ArrayView<int> index, ArrayView<T> o, int n, int inner)
        where T : unmanaged where E : struct, IElem<T>
    {
        int m = (int)index.Length, i = t % inner, j = t / inner % m, a = t / (inner * m);
        o[t] = x[((long)a * n + index[j]) * inner + i];
    }

    public Tensor IndexAdd(Tensor x, int dim, Tensor index, Tensor src)
    {
        RequireFloat("index_add", x);
        var o = New(x.ShapeArray, x.DType);
        Copy(x, o);
        var s = Contig("index_add", ToDType(src, x.DType));
        if (s.Numel == 0) return o;
        var (_, n, inner) = ShapeUtil.AroundDim(x.shape, dim);
        if (x.DType == DType.Float32) IndexAddTyped<float, F32>(o, Contig("index_add", index), s, n, inner);
        else IndexAddTyped<double, F64>(o, Contig("index_add", index), s, n, inner);
        return o;
    }

    void IndexAddTyped<T, E>(Tensor o, Tensor index, Tensor src, int n, int inner) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"index_add/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int>(IndexAddKernel<T, E>));
        k(src.Numel, Dense<T>(src), Dense<int>(index), Dense<T>(o), n, inner);
    }

    /// <summary>out[o, index[m], i] += src[o, m, i].</summary>
    static void IndexAddKernel<T, E>(Index1D t, ArrayView<T> src, ArrayView<int> index, ArrayView<T> o, int n, int inner)
        where T : unmanaged where E : struct, IElem<T>
    {
        int m = (int)index.Length, i = t % inner, j = t / inner % m, a = t / (inner * m);
        default(E).AtomicAdd(ref o[((long)a * n + index[j]) * inner + i], default(E).Load(src[t]));
    }

    public Tensor Gather(Tensor x, int dim, Tensor index)
    {
        RequireFloat("gather", x);
        StorageOf("gather", x);
        var ix = Contig("gather", index);
        var o = New(index.ShapeArray, x.DType);
        if (o.Numel == 0) return o;
        var lx = AlongDim(index.shape, x, dim);
        if (x.DType == DType.Float32) GatherTyped<float, F32>(x, lx, x.strides[dim], ix, o);
        else GatherTyped<double, F64>(x, lx, x.strides[dim], ix, o);
        return o;
    }

    /// <summary>Index positions p (of <paramref name="indexShape"/>) → offsets into t with coordinate dim zeroed.</summary>
    static Layout AlongDim(int[] indexShape, Tensor t, int dim)
    {
        var strides = new int[indexShape.Length];
        for (int d = 0; d < strides.Length; d++) strides[d] = d == dim ? 0 : t.strides[d];
        return Layout.Of(indexShape, strides, t.Offset);
    }

    void GatherTyped<T, E>(Tensor x, Layout lx, int dimStride, Tensor index, Tensor o) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"gather/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Layout, int, ArrayView<int>, ArrayView<T>>(GatherKernel<T, E>));
        k(o.Numel, Raw<T>(x), lx, dimStride, Dense<int>(index), Dense<T>(o));
    }

    static void GatherKernel<T, E>(Index1D p, ArrayView<T> x, Layout lx, int dimStride, ArrayView<int> index, ArrayView<T> o)
        where T : unmanaged where E : struct, IElem<T> =>
        o[p] = x[lx.At(p) + (long)index[p] * dimStride];

    public Tensor ScatterAdd(Tensor x, int dim, Tensor index, Tensor src)
    {
        RequireFloat("scatter_add", x);
        StorageOf("scatter_add", src);
        var o = New(x.ShapeArray, x.DType);
        Copy(x, o);
        if (index.Numel == 0) return o;
        var s = ToDType(src, x.DType);
        var ix = Contig("scatter_add", index);
        var lo = AlongDim(index.shape, o, dim);
        var ls = Layout.Of(index.shape, s.strides[..index.Rank], s.Offset);
        if (x.DType == DType.Float32) ScatterAddTyped<float, F32>(s, ls, ix, o, lo, o.strides[dim]);
        else ScatterAddTyped<double, F64>(s, ls, ix, o, lo, o.strides[dim]);
        return o;
    }

    void ScatterAddTyped<T, E>(Tensor src, Layout ls, Tensor index, Tensor o, Layout lo, int dimStride) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"scatter_add/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Layout, ArrayView<int>, ArrayView<T>, Layout, int>(ScatterAddKernel<T, E>));
        k(index.Numel, Raw<T>(src), ls, Dense<int>(index), Raw<T>(o), lo, dimStride);
    }

    static void ScatterAddKernel<T, E>(Index1D p, ArrayView<T> src, Layout ls, ArrayView<int> index, ArrayView<T> o, Layout lo, int dimStride)
        where T : unmanaged where E : struct, IElem<T> =>
        default(E).AtomicAdd(ref o[lo.At(p) + (long)index[p] * dimStride], default(E).Load(src[ls.At(p)]));
}
