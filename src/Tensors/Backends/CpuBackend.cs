using System.Numerics;
using Interp.Cpu;

namespace Interp.Backends;

/// <summary>The host's kernels: SIMD (System.Runtime.Intrinsics) with scalar fallbacks, split over all cores.</summary>
public sealed unsafe partial class CpuBackend : IBackend
{
    public static readonly CpuBackend Instance = new();
    CpuBackend() { }

    public Device Device => Device.Cpu;

    public Storage Allocate(DType dtype, int length, bool zeroed) => CpuStorage.Allocate(dtype, length, zeroed);

    public Tensor FromCpu(Tensor cpu) => cpu;

    public Tensor ToCpu(Tensor t)
    {
        var r = Tensor.Empty(t.ShapeArray, t.DType);
        Copy(t, r);
        return r;
    }

    /// <summary>
    /// Element 0 of a CPU tensor's pinned storage. Valid only while the storage is reachable: the JIT may treat a tensor
    /// as dead right after its last managed use, before the loops that read through the pointer have run, and the GC
    /// then frees the pinned array under them. Every kernel therefore holds its tensors in a <see cref="KeepAlive"/>
    /// scope that lasts as long as its pointers.
    /// </summary>
    internal static T* Ptr<T>(Tensor t) where T : unmanaged => ((CpuStorage)t.Storage).Ptr<T>();

    /// <summary>Keeps tensors (and so their storages) reachable until the end of the enclosing scope.</summary>
    internal readonly struct KeepAlive(params Tensor?[] tensors) : IDisposable
    {
        public void Dispose() => GC.KeepAlive(tensors);
    }

    public void Copy(Tensor src, Tensor dst)
    {
        if (!ShapeUtil.SameShape(src.shape, dst.shape))
            throw new ArgumentException($"copy: source shape {ShapeUtil.Format(src.shape)} differs from destination {ShapeUtil.Format(dst.shape)}");
        RequireCpu("copy", src); RequireCpu("copy", dst);
        switch (src.DType, dst.DType)
        {
            case (DType.Float32, DType.Float32): CopyTyped<float, float>(src, dst); break;
            case (DType.Float32, DType.Float64): CopyTyped<float, double>(src, dst); break;
            case (DType.Float32, DType.Int32): CopyTyped<float, int>(src, dst); break;
            case (DType.Float64, DType.Float32): CopyTyped<double, float>(src, dst); break;
            case (DType.Float64, DType.Float64): CopyTyped<double, double>(src, dst); break;
            case (DType.Float64, DType.Int32): CopyTyped<double, int>(src, dst); break;
            case (DType.Int32, DType.Float32): CopyTyped<int, float>(src, dst); break;
            case (DType.Int32, DType.Float64): CopyTyped<int, double>(src, dst); break;
            default: CopyTyped<int, int>(src, dst); break;
        }
    }

    static void CopyTyped<TS, TD>(Tensor src, Tensor dst) where TS : unmanaged, INumberBase<TS> where TD : unmanaged, INumberBase<TD>
    {
        TS* ps = Ptr<TS>(src);
        TD* pd = Ptr<TD>(dst);
        using var alive = new KeepAlive(src, dst);
        var loop = new StridedLoop(src.shape, src.strides, dst.strides);
        loop.Run([src.Offset, dst.Offset], (off, n, st) =>
        {
            TS* s = ps + off[0];
            TD* d = pd + off[1];
            int ss = st[0], ds = st[1];
            if (typeof(TS) == typeof(TD) && ss == 1 && ds == 1)
                new ReadOnlySpan<TD>(s, n).CopyTo(new Span<TD>(d, n));
            else
                for (int i = 0; i < n; i++) d[i * ds] = TD.CreateTruncating(s[i * ss]);
        });
    }

    public void Fill(Tensor dst, double value)
    {
        RequireCpu("fill", dst);
        switch (dst.DType)
        {
            case DType.Float32: FillTyped(dst, (float)value); break;
            case DType.Float64: FillTyped(dst, value); break;
            default: FillTyped(dst, checked((int)value)); break;
        }
    }

    static void FillTyped<T>(Tensor dst, T value) where T : unmanaged
    {
        T* p = Ptr<T>(dst);
        using var alive = new KeepAlive(dst);
        new StridedLoop(dst.shape, dst.strides).Run([dst.Offset], (off, n, st) =>
        {
            if (st[0] == 1) new Span<T>(p + off[0], n).Fill(value);
            else for (int i = 0; i < n; i++) p[off[0] + i * st[0]] = value;
        });
    }

    static void RequireCpu(string op, Tensor t)
    {
        if (t.Device != Device.Cpu) throw new ArgumentException($"{op}: expected a tensor on cpu, got one on {t.Device}");
    }

    static void RequireFloat(string op, Tensor t)
    {
        if (!t.DType.IsFloatingPoint())
            throw new ArgumentException($"{op}: expected a float32 or float64 tensor, got {t.DType.Name()} of shape {ShapeUtil.Format(t.shape)}");
    }
}
