using ILGPU;
using ILGPU.Runtime;

namespace Interp.Gpu;

/// <summary>
/// Device memory of one tensor, taken from its backend's <see cref="BufferPool"/>. The buffer goes back to the pool
/// when the storage is finalized or <see cref="Release"/>d; kernels already queued on the stream that use it still
/// run before any later kernel that gets the buffer again (one in-order stream).
/// </summary>
public sealed class IlgpuStorage : Storage
{
    MemoryBuffer1D<byte, Stride1D.Dense>? buffer;
    readonly BufferPool pool;

    internal IlgpuStorage(IlgpuBackend backend, DType dtype, int length)
    {
        Backend = backend; DType = dtype; Length = length;
        pool = backend.Pool;
        buffer = pool.Rent(ByteLength);
        // The GC sees only a small object; tell it about the device memory so dropped tensors are collected in time.
        GC.AddMemoryPressure(buffer.Length);
    }

    internal IlgpuBackend Backend { get; }
    public override DType DType { get; }
    public override int Length { get; }
    public override Device Device => Backend.Device;
    long ByteLength => (long)Length * DType.ElementSize();

    /// <summary>The elements as a typed view (T must match the dtype).</summary>
    internal ArrayView<T> View<T>() where T : unmanaged
    {
        ArrayView<byte> bytes = (buffer ?? throw new ObjectDisposedException("IlgpuStorage", "gpu: this tensor's device memory was released")).View;
        return bytes.SubView(0, ByteLength).Cast<T>();
    }

    /// <summary>Gives the device memory back to the pool now rather than at finalization.</summary>
    public void Release()
    {
        GiveBack();
        GC.SuppressFinalize(this);
    }

    ~IlgpuStorage() => GiveBack();

    void GiveBack()
    {
        var b = Interlocked.Exchange(ref buffer, null);
        if (b is null) return;
        GC.RemoveMemoryPressure(b.Length);
        pool.Return(b);
    }
}

/// <summary>
/// Freed device buffers kept by size class (powers of two split in quarters: waste under 25%), so that steady-state
/// training allocates nothing on the device. Like PyTorch's caching allocator, it keeps what it has allocated.
/// </summary>
public sealed class BufferPool(Accelerator accelerator)
{
    readonly Dictionary<long, Stack<MemoryBuffer1D<byte, Stride1D.Dense>>> free = new();

    // Every buffer ever allocated stays referenced here: an ILGPU buffer has its own finalizer, which would free the
    // device memory in the same GC as a dropped storage's finalizer hands it back to the pool.
    readonly List<MemoryBuffer1D<byte, Stride1D.Dense>> all = new();

    public long BytesAllocated { get; private set; }
    public int DeviceAllocations { get; private set; }

    internal static long SizeClass(long bytes)
    {
        if (bytes <= 256) return 256;
        long p = 1L << (63 - (int)long.LeadingZeroCount(bytes - 1));   // the largest power of two below bytes
        long quarter = p / 4;
        return (bytes + quarter - 1) / quarter * quarter;
    }

    internal MemoryBuffer1D<byte, Stride1D.Dense> Rent(long bytes)
    {
        long size = SizeClass(bytes);
        if (TryRent(size, out var buffer)) return buffer;
        // Out of device memory: dropped tensors not yet finalized still hold buffers. Collect them and retry once
        // (outside the lock, which their finalizers take).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (TryRent(size, out buffer)) return buffer;
        throw new OutOfMemoryException($"gpu: cannot allocate {size} bytes on {accelerator.Name}; the pool holds {BytesAllocated} bytes");
    }

    bool TryRent(long size, out MemoryBuffer1D<byte, Stride1D.Dense> buffer)
    {
        lock (free)
        {
            if (free.TryGetValue(size, out var stack) && stack.Count > 0) { buffer = stack.Pop(); return true; }
            try { buffer = accelerator.Allocate1D<byte>(size); }
            catch (Exception e) when (e is OutOfMemoryException or AcceleratorException) { buffer = null!; return false; }
            all.Add(buffer);
            BytesAllocated += size;
            DeviceAllocations++;
            return true;
        }
    }

    internal void Return(MemoryBuffer1D<byte, Stride1D.Dense> buffer)
    {
        lock (free)
        {
            if (!free.TryGetValue(buffer.Length, out var stack)) free[buffer.Length] = stack = new();
            stack.Push(buffer);
        }
    }
}
