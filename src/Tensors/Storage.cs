using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Interp;

/// <summary>A flat buffer of elements on one device. Tensors are views (shape, strides, offset) over a storage.</summary>
public abstract class Storage
{
    static long created;

    /// <summary>How many storages were created before this one, process-wide: a later storage has a larger number.</summary>
    internal long Serial { get; } = Interlocked.Increment(ref created);

    /// <summary>The <see cref="Serial"/> the next storage will get at the earliest.</summary>
    internal static long NextSerial => Volatile.Read(ref created) + 1;

    public abstract DType DType { get; }
    public abstract int Length { get; }
    public abstract Device Device { get; }

    /// <summary>
    /// For an int32 storage on an accelerator filled from the host: the smallest and largest value copied in, so index
    /// checks need no copy back (<see cref="Tensor.ValuesKnownWithin"/>). Any later write into the storage clears it.
    /// </summary>
    internal (int Min, int Max)? UploadedRange { get; set; }
}

/// <summary>
/// Host memory: a pinned managed array, so kernels may take raw pointers into it at any time. The first element sits
/// on a 64-byte boundary (the array is 64 bytes longer than the storage, and the elements start where the line does):
/// the GEMM's AVX-512 loads and stores of whole rows ran 10-12 % slower on the 16-byte-aligned starts the GC gives.
/// Large arrays come from and go back to <see cref="PinnedArrayPool"/>: whoever reads <see cref="As{T}"/> or a pointer
/// keeps the storage alive meanwhile (once a collection finds it dead, the pool hands the array to the next allocation).
/// Or native memory that another object owns (<see cref="Wrap"/>: a memory-mapped file's weights): the storage keeps
/// that owner alive, and the owner frees the memory from its own finalizer once no storage refers to it.
/// </summary>
public sealed unsafe class CpuStorage : Storage
{
    const int LineBytes = 64;

    /// <summary>The pinned backing array: the elements are <see cref="Length"/> of it from a 64-byte boundary on. Null for native memory.</summary>
    public Array? Data { get; }
    readonly int start;   // elements of Data before the first one
    readonly byte* first;   // element 0 (the array is pinned, so its address never changes)
    /// <summary>What frees the native memory once no storage refers to it (null for an array).</summary>
    public object? Owner { get; }
    public override DType DType { get; }
    public override int Length { get; }
    public override Device Device => Device.Cpu;

    CpuStorage(Array data, DType dtype, int length)
    {
        Data = data; DType = dtype; Length = length;
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(data));
        start = (int)((LineBytes - address % LineBytes) % LineBytes) / dtype.ElementSize();
        first = (byte*)address + (long)start * dtype.ElementSize();
        if (PinnedArrayPool.Worth(Buffer.ByteLength(data))) PinnedArrayPool.Lent(data, this);
    }

    CpuStorage(void* pointer, DType dtype, int length, object owner)
    {
        first = (byte*)pointer; DType = dtype; Length = length; Owner = owner;
    }

    /// <summary>
    /// <paramref name="length"/> elements of native memory at <paramref name="pointer"/> (aligned to the element size),
    /// valid while <paramref name="owner"/> lives: the storage references the owner, which frees the memory in its own
    /// finalizer. Writes go to that memory (a copy-on-write mapping keeps them from the file).
    /// </summary>
    public static CpuStorage Wrap(void* pointer, DType dtype, int length, object owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if ((nint)pointer % dtype.ElementSize() != 0)
            throw new ArgumentException($"storage: native memory at 0x{(nint)pointer:x} is not aligned to {dtype.Name()}'s {dtype.ElementSize()} bytes");
        return new(pointer, dtype, length, owner);
    }

    public static CpuStorage Allocate(DType dtype, int length, bool zeroed) => dtype switch
    {
        DType.Float32 => new(Alloc<float>(length, zeroed), dtype, length),
        DType.Float64 => new(Alloc<double>(length, zeroed), dtype, length),
        _ => new(Alloc<int>(length, zeroed), dtype, length),
    };

    /// <summary>A pinned array with room for <paramref name="n"/> elements from its first 64-byte boundary on.</summary>
    static T[] Alloc<T>(int n, bool zeroed) where T : unmanaged
    {
        long padded = (long)n + LineBytes / Unsafe.SizeOf<T>();
        if (padded > Array.MaxLength) throw new OutOfMemoryException($"tensor storage of {n} elements is larger than an array can hold");
        if (PinnedArrayPool.Worth(padded * Unsafe.SizeOf<T>()) && PinnedArrayPool.Rent<T>((int)padded) is { } reused)
        {
            if (zeroed) Array.Clear(reused);
            return reused;
        }
        // fresh memory: advise huge pages before the first write faults it in (the GC leaves fresh pages untouched, zeroed or not)
        var array = zeroed ? GC.AllocateArray<T>((int)padded, pinned: true) : GC.AllocateUninitializedArray<T>((int)padded, pinned: true);
        HugePages.Advise(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)), padded * Unsafe.SizeOf<T>());
        return array;
    }

    /// <summary>The elements (valid while the storage is alive).</summary>
    public Span<T> As<T>() where T : unmanaged
    {
        if (Data is not null) return new((T[])Data, start, Length);
        if (Unsafe.SizeOf<T>() != DType.ElementSize())
            throw new InvalidCastException($"storage: {DType.Name()} elements read as {typeof(T).Name}");
        return new(first, Length);
    }

    /// <summary>Pointer to element 0; valid for the storage's lifetime (the array is pinned; native memory lives as long as its owner).</summary>
    public void* Pointer => first;

    public T* Ptr<T>() where T : unmanaged => (T*)Pointer;
}
