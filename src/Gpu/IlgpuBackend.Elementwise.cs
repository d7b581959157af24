using ILGPU;
using ILGPU.Runtime;
using Interp.Backends;

namespace Interp.Gpu;

/// <summary>Unary, binary (broadcasting over strided views) and where: one thread per output element.</summary>
public sealed partial class IlgpuBackend
{
    public Tensor Unary(UnaryOp op, Tensor x, double p1 = 0, double p2 = 0)
    {
        string name = op.ToString().ToLowerInvariant();
        RequireFloat(name, x);
        StorageOf(name, x);
        var o = New(x.ShapeArray, x.DType);
        if (o.Numel == 0) return o;
        if (x.DType == DType.Float32) UnaryTyped<float, F32>(op, x, o, p1, p2);
        else UnaryTyped<double, F64>(op, x, o, p1, p2);
        return o;
    }

    void UnaryTyped<T, E>(UnaryOp op, Tensor x, Tensor o, double p1, double p2) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"unary/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Layout, ArrayView<T>, int, double, double>(UnaryKernel<T, E>));
        k(o.Numel, Raw<T>(x), Layout.Of(x), Raw<T>(o), (int)op, p1, p2);
    }

    static void UnaryKernel<T, E>(Index1D i, ArrayView<T> x, Layout lx, ArrayView<T> o, int op, double p1, double p2)
        where T : unmanaged where E : struct, IElem<T> =>
        o[i] = default(E).Store(GpuMath.Unary(op, default(E).Load(x[lx.At(i)]), p1, p2));

    public Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        string name = op.ToString().ToLowerInvariant();
        if (a.DType != b.DType)
            throw new ArgumentException($"{name}: dtypes differ ({a.DType.Name()} {ShapeUtil.Format(a.shape)} and {b.DType.Name()} {ShapeUtil.Format(b.shape)})");
        StorageOf(name, a); StorageOf(name, b);
        var shape = ShapeUtil.Broadcast(name, a.shape, b.shape);
        var o = New(shape, a.DType);
        if (o.Numel == 0) return o;
        var la = Broadcast(name, a, shape);
        var lb = Broadcast(name, b, shape);
        switch (a.DType)
        {
            case DType.Float32: BinaryTyped<float, F32>(op, a, la, b, lb, o); break;
            case DType.Float64: BinaryTyped<double, F64>(op, a, la, b, lb, o); break;
            default: BinaryTyped<int, I32>(op, a, la, b, lb, o); break;   // through double, exact for int32; division truncates
        }
        return o;
    }

    static Layout Broadcast(string op, Tensor t, int[] shape) =>
        Layout.Of(shape, ShapeUtil.BroadcastStrides(op, t.shape, t.strides, shape), t.Offset);

    void BinaryTyped<T, E>(BinaryOp op, Tensor a, Layout la, Tensor b, Layout lb, Tensor o) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"binary/{typeof(T).Name}", acc =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Layout, ArrayView<T>, Layout, ArrayView<T>, int>(BinaryKernel<T, E>));
        k(o.Numel, Raw<T>(a), la, Raw<T>(b), lb, Raw<T>(o), (int)op);
    }

    static void BinaryKernel<T, E>(Index1D i, ArrayView<T> a, Layout la, ArrayView<T> b, Layout lb, ArrayView<T> o, int op)
        where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        o[i] = e.Store(GpuMath.Binary(op, e.Load(a[la.At(i)]), e.Load(b[lb.At(i)])));
    }

    public Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"where: dtypes differ ({a.DType.Name()} and {b.DType.Name()})");
        StorageOf("where", cond); StorageOf("where", a); StorageOf("where", b);
        var shape = ShapeUtil.Broadcast("where", ShapeUtil.Broadcast("where", cond.shape, a.shape), b.shape);
        cond = ToDType(cond, a.DType);   // as on the CPU: the condition is read in the values' dtype
        var o = New(shape, a.DType);
        if (o.Numel == 0) return o;
        var lc = Broadcast("where", cond, shape);
        var la = Broadcast("where", a, shape);
        var lb = Broadcast("where", b, shape);
        switch (a.DType)
        {
            case DType.Float32: WhereTyped<float, F32>(cond, lc, a, la, b, lb, o); break;
            case DType.Float64: WhereTyped<double, F64>(cond, lc, a, la, b, lb, o); break;
            default: WhereTyped<int, I32>(cond, lc, a, la, b, lb, o); break;
        }
        return o;
    }

    void WhereTyped<T, E>(Tensor c, Layout lc, Tensor a, Layout la, Tensor b, Layout lb, Tensor o) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"where/{typeof(T).Name}", acc =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Layout, ArrayView<T>, Layout, ArrayView<T>, Layout, ArrayView<T>>(WhereKernel<T, E>));
        k(o.Numel, Raw<T>(c), lc, Raw<T>(a), la, Raw<T>(b), lb, Raw<T>(o));
    }

    static void WhereKernel<T, E>(Index1D i, ArrayView<T> c, Layout lc, ArrayView<T> a, Layout la, ArrayView<T> b, Layout lb, ArrayView<T> o)
        where T : unmanaged where E : struct, IElem<T> =>
        o[i] = default(E).Load(c[lc.At(i)]) != 0 ? a[la.At(i)] : b[lb.At(i)];
}
