using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Interp;

/// <summary>A flat buffer of elements on one device. Tensors are views (shape, strides, offset) over a storage.</summary>
public abstract class Storage
{
    public abstract DType DType { get; }
    public abstract int Length { get; }
    public abstract Device Device { get; }
}

/// <summary>
/// Host memory: a pinned managed array, so kernels may take raw pointers into it at any time. Large arrays come from
/// and go back to <see cref="PinnedArrayPool"/>: whoever reads <see cref="Data"/> or a pointer keeps the storage alive
/// meanwhile (its finalizer hands the array to the next allocation).
/// </summary>
public sealed unsafe class CpuStorage : Storage
{
    public Array Data { get; }
    public override DType DType { get; }
    public override int Length { get; }
    public override Device Device => Device.Cpu;

    CpuStorage(Array data, DType dtype)
    {
        Data = data; DType = dtype; Length = data.Length;
        if (!PinnedArrayPool.Worth(Buffer.ByteLength(data))) GC.SuppressFinalize(this);
    }

    ~CpuStorage() => PinnedArrayPool.Return(Data);

    public static CpuStorage Allocate(DType dtype, int length, bool zeroed) => dtype switch
    {
        DType.Float32 => new(Alloc<float>(length, zeroed), dtype),
        DType.Float64 => new(Alloc<double>(length, zeroed), dtype),
        _ => new(Alloc<int>(length, zeroed), dtype),
    };

    static T[] Alloc<T>(int n, bool zeroed) where T : unmanaged
    {
        if (PinnedArrayPool.Worth((long)n * Unsafe.SizeOf<T>()) && PinnedArrayPool.Rent<T>(n) is { } reused)
        {
            if (zeroed) Array.Clear(reused);
            return reused;
        }
        return zeroed ? GC.AllocateArray<T>(n, pinned: true) : GC.AllocateUninitializedArray<T>(n, pinned: true);
    }

    public T[] As<T>() where T : unmanaged => (T[])Data;

    /// <summary>Pointer to element 0; valid for the storage's lifetime because the array is pinned.</summary>
    public void* Pointer => Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Data));

    public T* Ptr<T>() where T : unmanaged => (T*)Pointer;
}
