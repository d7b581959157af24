using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using Interp.Backends;

namespace Interp.Gpu;

/// <summary>
/// The kernels of one ILGPU accelerator (a CUDA GPU, or ILGPU's CPU accelerator for tests). Kernels are queued on
/// the accelerator's in-order default stream and run asynchronously; the host waits only when it reads values
/// (<see cref="ToCpu"/>, <see cref="SumOfSquares"/>). Each kernel is compiled once per accelerator and element type
/// and cached. Elementwise and row kernels compute in double and round to the tensor's dtype once.
/// Split over files by kernel family, like CpuBackend.
/// </summary>
public sealed partial class IlgpuBackend : IBackend
{
    readonly Accelerator accelerator;
    readonly AcceleratorStream stream;
    readonly ConcurrentDictionary<string, object> kernels = new();
    readonly object launchGate = new();

    internal IlgpuBackend(Device device, Accelerator accelerator)
    {
        Device = device;
        this.accelerator = accelerator;
        stream = accelerator.DefaultStream;
        Pool = new BufferPool(accelerator);
    }

    public Device Device { get; }
    internal BufferPool Pool { get; }
    internal Accelerator Accelerator => accelerator;
    public string AcceleratorName => accelerator.Name;

    /// <summary>A kernel compiled on first use and cached under <paramref name="key"/> (which names the element types).</summary>
    TKernel Kernel<TKernel>(string key, Func<Accelerator, TKernel> load) where TKernel : Delegate
    {
        Bind();
        return (TKernel)kernels.GetOrAdd(key, _ => OneAtATime(load(accelerator)));
    }

    /// <summary>
    /// The launcher, wrapped so that launches never overlap and their operands outlive them, and counted.
    /// A kernel's operands may be tensors that nothing references once their views are taken: their storages could be
    /// finalized mid-launch and their buffers rented by another thread, which would write into memory the kernel still
    /// reads (ILGPU's CPU accelerator runs the kernel on the launching thread; tests in parallel saw garbage that way).
    /// So <see cref="Raw{T}"/> records each operand's storage on the launching thread until the launch returns (on
    /// CUDA, when it is queued: later uses of a reused buffer queue behind it on the same stream), and a gate keeps a
    /// second thread's launch or host copy from starting meanwhile (ILGPU's CPU accelerator runs one task at a time).
    /// </summary>
    TKernel OneAtATime<TKernel>(TKernel launch) where TKernel : Delegate
    {
        var args = typeof(TKernel).GetMethod("Invoke")!.GetParameters().Select(p => Expression.Parameter(p.ParameterType)).ToArray();
        var gate = Expression.Constant(launchGate);
        var body = Expression.Block(
            Expression.Call(Expression.Constant(this), typeof(IlgpuBackend).GetMethod(nameof(CountLaunch), BindingFlags.NonPublic | BindingFlags.Instance)!),
            Expression.Call(typeof(Monitor).GetMethod(nameof(Monitor.Enter), [typeof(object)])!, gate),
            Expression.TryFinally(
                Expression.Invoke(Expression.Constant(launch), args),
                Expression.Block(
                    Expression.Call(typeof(Monitor).GetMethod(nameof(Monitor.Exit), [typeof(object)])!, gate),
                    Expression.Call(typeof(IlgpuBackend).GetMethod(nameof(ReleaseOperands), BindingFlags.NonPublic | BindingFlags.Static)!))));
        return Expression.Lambda<TKernel>(body, args).Compile();
    }

    /// <summary>The storages whose views the calling thread has taken for its next launch or copy.</summary>
    [ThreadStatic] static List<IlgpuStorage>? operands;

    static void ReleaseOperands() => operands?.Clear();

    [ThreadStatic] static IlgpuBackend? boundHere;

    /// <summary>Makes this accelerator current on the calling thread (CUDA contexts are per thread) before any device call.</summary>
    void Bind()
    {
        if (ReferenceEquals(boundHere, this)) return;
        accelerator.Bind();
        boundHere = this;
    }

    long hostToDevice, deviceToHost, synchronizations, launches;
    [ThreadStatic] static DeviceTraffic threadTraffic;
    [ThreadStatic] static long threadLaunches;

    /// <summary>Kernel launches on this device since it was made (each costs a few microseconds on a GPU, however small).</summary>
    public long Launches => Interlocked.Read(ref launches);

    /// <summary>Kernel launches by the calling thread on every ILGPU device: what one training loop launched, whatever other threads do.</summary>
    public static long LaunchesOnThisThread => threadLaunches;

    void CountLaunch()
    {
        Interlocked.Increment(ref launches);
        threadLaunches++;
    }

    /// <summary>
    /// This device's host traffic since it was made: copies from and to the host, and waits for the device (each copy
    /// waits too). In a training step after warm-up the only ones should be those the caller asks for (reading the loss).
    /// </summary>
    public DeviceTraffic Traffic => new(Interlocked.Read(ref hostToDevice), Interlocked.Read(ref deviceToHost), Interlocked.Read(ref synchronizations));

    /// <summary>The same counts for the calling thread alone, on every ILGPU device: what one training loop did, whatever other threads do.</summary>
    public static DeviceTraffic TrafficOnThisThread => threadTraffic;

    void Count(int toDevice, int toHost)
    {
        if (toDevice > 0) Interlocked.Increment(ref hostToDevice);
        if (toHost > 0) Interlocked.Increment(ref deviceToHost);
        Interlocked.Increment(ref synchronizations);
        threadTraffic = new(threadTraffic.HostToDevice + toDevice, threadTraffic.DeviceToHost + toHost, threadTraffic.Synchronizations + 1);
    }

    /// <summary>Waits for every queued kernel (timing, tests).</summary>
    public void Synchronize()
    {
        Bind();
        Count(0, 0);
        stream.Synchronize();
    }

    public Storage Allocate(DType dtype, int length, bool zeroed)
    {
        Bind();
        var s = new IlgpuStorage(this, dtype, length);
        if (zeroed && length > 0)
            lock (launchGate) s.View<byte>().SubView(0, (long)length * dtype.ElementSize()).MemSetToZero(stream);
        return s;
    }

    Tensor New(int[] shape, DType dtype, bool zeroed = false) => Tensor.Empty(shape, dtype, Device, zeroed);

    public Tensor FromCpu(Tensor cpu)
    {
        var c = cpu.ToCpuContiguous();
        var o = New(c.ShapeArray, c.DType);
        if (o.Numel == 0) return o;
        var s = (CpuStorage)c.Storage;
        lock (launchGate)
            switch (c.DType)
            {
                case DType.Float32: Raw<float>(o).CopyFromCPU(stream, s.As<float>()); break;
                case DType.Float64: Raw<double>(o).CopyFromCPU(stream, s.As<double>()); break;
                default: Raw<int>(o).CopyFromCPU(stream, s.As<int>()); break;
            }
        if (c.DType == DType.Int32) o.Storage.UploadedRange = MinMax(s.As<int>());
        ReleaseOperands();
        Count(1, 0);
        stream.Synchronize();   // the copy may still read the host array, which goes back to the CPU pool when c dies
        GC.KeepAlive(c);
        return o;
    }

    static (int Min, int Max) MinMax(ReadOnlySpan<int> values)
    {
        int min = int.MaxValue, max = int.MinValue;
        foreach (int v in values) (min, max) = (Math.Min(min, v), Math.Max(max, v));
        return (min, max);
    }

    public Tensor ToCpu(Tensor t)
    {
        Bind();
        var src = Contig("to_cpu", t);
        var r = Tensor.Empty(t.ShapeArray, t.DType);
        if (r.Numel > 0)
        {
            var s = (CpuStorage)r.Storage;
            lock (launchGate)
                switch (t.DType)
                {
                    case DType.Float32: Dense<float>(src).CopyToCPU(stream, s.As<float>()); break;
                    case DType.Float64: Dense<double>(src).CopyToCPU(stream, s.As<double>()); break;
                    default: Dense<int>(src).CopyToCPU(stream, s.As<int>()); break;
                }
            ReleaseOperands();
            Count(0, 1);
            stream.Synchronize();
        }
        return r;
    }

    // ---- operands ----

    IlgpuStorage StorageOf(string op, Tensor t) =>
        t.Storage is IlgpuStorage s && ReferenceEquals(s.Backend, this)
            ? s
            : throw new ArgumentException($"{op}: expected a tensor on {Device}, got one on {t.Device} (shape {ShapeUtil.Format(t.shape)}); move it with .To(device)");

    /// <summary>The whole storage of a tensor of this device (index with a Layout).</summary>
    ArrayView<T> Raw<T>(Tensor t, string op = "gpu") where T : unmanaged
    {
        var s = StorageOf(op, t);
        (operands ??= []).Add(s);
        return s.View<T>();
    }

    /// <summary>
    /// The elements of a contiguous tensor, from its offset (an empty tensor is contiguous whatever its offset, which
    /// may lie past the end of its storage: it gets an empty view from 0).
    /// </summary>
    ArrayView<T> Dense<T>(Tensor t, string op = "gpu") where T : unmanaged => Raw<T>(t, op).SubView(t.Numel == 0 ? 0 : t.Offset, t.Numel);

    /// <summary>The tensor itself when contiguous, else a contiguous copy (one strided copy kernel).</summary>
    Tensor Contig(string op, Tensor t)
    {
        StorageOf(op, t);
        if (t.IsContiguous) return t;
        var c = New(t.ShapeArray, t.DType);
        Copy(t, c);
        return c;
    }

    Tensor ToDType(Tensor t, DType dtype)
    {
        if (t.DType == dtype) return t;
        var r = New(t.ShapeArray, dtype);
        Copy(t, r);
        return r;
    }

    static void RequireFloat(string op, Tensor t)
    {
        if (!t.DType.IsFloatingPoint())
            throw new ArgumentException($"{op}: expected a float32 or float64 tensor, got {t.DType.Name()} of shape {ShapeUtil.Format(t.shape)}");
    }

    // ---- copy and fill ----

    public void Copy(Tensor src, Tensor dst)
    {
        dst.Storage.UploadedRange = null;
        if (!ShapeUtil.SameShape(src.shape, dst.shape))
            throw new ArgumentException($"copy: source shape {ShapeUtil.Format(src.shape)} differs from destination {ShapeUtil.Format(dst.shape)}");
        StorageOf("copy", src); StorageOf("copy", dst);
        if (src.Numel == 0) return;
        switch (src.DType)
        {
            case DType.Float32: CopyFrom<float, F32>(src, dst); break;
            case DType.Float64: CopyFrom<double, F64>(src, dst); break;
            default: CopyFrom<int, I32>(src, dst); break;
        }
    }

    void CopyFrom<TS, ES>(Tensor src, Tensor dst) where TS : unmanaged where ES : struct, IElem<TS>
    {
        switch (dst.DType)
        {
            case DType.Float32: CopyTyped<TS, ES, float, F32>(src, dst); break;
            case DType.Float64: CopyTyped<TS, ES, double, F64>(src, dst); break;
            default: CopyTyped<TS, ES, int, I32>(src, dst); break;
        }
    }

    void CopyTyped<TS, ES, TD, ED>(Tensor src, Tensor dst)
        where TS : unmanaged where ES : struct, IElem<TS> where TD : unmanaged where ED : struct, IElem<TD>
    {
        var k = Kernel($"copy/{typeof(TS).Name}/{typeof(TD).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TS>, Layout, ArrayView<TD>, Layout>(CopyKernel<TS, ES, TD, ED>));
        k(src.Numel, Raw<TS>(src), Layout.Of(src), Raw<TD>(dst), Layout.Of(dst));
    }

    static void CopyKernel<TS, ES, TD, ED>(Index1D i, ArrayView<TS> src, Layout ls, ArrayView<TD> dst, Layout ld)
        where TS : unmanaged where ES : struct, IElem<TS> where TD : unmanaged where ED : struct, IElem<TD>
    {
        dst[ld.At(i)] = default(ED).Store(default(ES).Load(src[ls.At(i)]));   // exact through double for every pair
    }

    public void Fill(Tensor dst, double value)
    {
        dst.Storage.UploadedRange = null;
        StorageOf("fill", dst);
        if (dst.Numel == 0) return;
        switch (dst.DType)
        {
            case DType.Float32: FillTyped<float, F32>(dst, value); break;
            case DType.Float64: FillTyped<double, F64>(dst, value); break;
            default: FillTyped<int, I32>(dst, checked((int)value)); break;
        }
    }

    void FillTyped<T, E>(Tensor dst, double value) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"fill/{typeof(T).Name}", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Layout, double>(FillKernel<T, E>));
        k(dst.Numel, Raw<T>(dst), Layout.Of(dst), value);
    }

    static void FillKernel<T, E>(Index1D i, ArrayView<T> dst, Layout ld, double value) where T : unmanaged where E : struct, IElem<T> =>
        dst[ld.At(i)] = default(E).Store(value);
}

/// <summary>Counts of host-device traffic (<see cref="IlgpuBackend.Traffic"/>); subtract two readings for what happened between.</summary>
public readonly record struct DeviceTraffic(long HostToDevice, long DeviceToHost, long Synchronizations)
{
    public static DeviceTraffic operator -(DeviceTraffic a, DeviceTraffic b) =>
        new(a.HostToDevice - b.HostToDevice, a.DeviceToHost - b.DeviceToHost, a.Synchronizations - b.Synchronizations);

    public override string ToString() => $"{HostToDevice} to the device, {DeviceToHost} to the host, {Synchronizations} waits";
}
