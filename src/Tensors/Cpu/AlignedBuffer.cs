using System.Runtime.InteropServices;

namespace Interp.Cpu;

/// <summary>A 64-byte aligned native buffer that grows on demand and is freed with its owner.</summary>
internal sealed unsafe class AlignedBuffer<T> where T : unmanaged
{
    public T* Data { get; private set; }
    private long _elements;

    public T* Ensure(long elements)
    {
        if (elements <= _elements) return Data;
        NativeMemory.AlignedFree(Data);
        Data = (T*)NativeMemory.AlignedAlloc((nuint)(elements * sizeof(T)), 64);
        _elements = elements;
        return Data;
    }

    ~AlignedBuffer() => NativeMemory.AlignedFree(Data);
}
