using System.Runtime.CompilerServices;

namespace Interp;

/// <summary>
/// Recycles the pinned arrays of CPU storages that died, as PyTorch's caching allocator does on the GPU. A training step
/// allocates the same activation and gradient shapes every time; without reuse each array is fresh pinned-heap memory,
/// and writing into fresh memory costs a page fault per 4 KiB (a modular-addition step spent a fifth of its time there
/// and ran 2.6x slower than with the pool).
/// A storage returns its array from its finalizer, so the pool never hands out memory that something still reads:
/// kernels keep their tensors (hence storages) alive while they hold pointers (<c>CpuBackend.KeepAlive</c>).
/// Storages only die when the GC runs, and big pinned arrays hardly make it run, so when a request finds no free array
/// and <see cref="CollectEveryBytes"/> of large allocations have passed since the last one, the pool runs a blocking
/// collection itself: over a heap of small objects (the arrays hold no references) it takes about a millisecond and
/// hands back every dead step's arrays.
/// Arrays are kept by exact element type and length, at most <see cref="CapacityBytes"/> in all.
/// </summary>
static class PinnedArrayPool
{
    /// <summary>Arrays smaller than this many bytes are not worth the finalizer.</summary>
    internal const int MinBytes = 16 * 1024;
    /// <summary>Most bytes kept for reuse; <c>INTERP_POOL_CAP_MB</c> overrides it (as PYTORCH_CUDA_ALLOC_CONF tunes PyTorch's).</summary>
    internal static readonly long CapacityBytes = Megabytes("INTERP_POOL_CAP_MB", 512);
    /// <summary>Large allocations between collections; <c>INTERP_POOL_COLLECT_MB</c> overrides it.</summary>
    internal static readonly long CollectEveryBytes = Megabytes("INTERP_POOL_COLLECT_MB", 64);

    static long Megabytes(string variable, long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable(variable), out long mb) && mb >= 0 ? mb << 20 : fallback << 20;

    static readonly Dictionary<(Type, int), Stack<Array>> free = new();
    static readonly object gate = new();
    static long pooledBytes, sinceCollect;

    internal static bool Worth(long bytes) => bytes >= MinBytes;

    /// <summary>
    /// A free array of exactly <paramref name="length"/> elements, or null. Only when none is free and
    /// <see cref="CollectEveryBytes"/> have been allocated since the last collection does it collect (so that the
    /// arrays of storages that died meanwhile come back) and look again: a step that finds its arrays in the pool
    /// pays for no collection at all.
    /// </summary>
    internal static T[]? Rent<T>(int length) where T : unmanaged
    {
        long bytes = (long)length * Unsafe.SizeOf<T>();
        long since = Interlocked.Add(ref sinceCollect, bytes);
        if (TryPop(length, bytes, out T[]? array) || since < CollectEveryBytes) return array;
        Interlocked.Exchange(ref sinceCollect, 0);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TryPop(length, bytes, out array);
        return array;
    }

    static bool TryPop<T>(int length, long bytes, out T[]? array) where T : unmanaged
    {
        lock (gate)
        {
            array = null;
            if (!free.TryGetValue((typeof(T), length), out var stack) || stack.Count == 0) return false;
            pooledBytes -= bytes;
            array = (T[])stack.Pop();
            return true;
        }
    }

    internal static void Return(Array array)
    {
        long bytes = Buffer.ByteLength(array);
        lock (gate)
        {
            if (pooledBytes + bytes > CapacityBytes) return;
            var key = (array.GetType().GetElementType()!, array.Length);
            if (!free.TryGetValue(key, out var stack)) free[key] = stack = new Stack<Array>();
            stack.Push(array);
            pooledBytes += bytes;
        }
    }

    /// <summary>Drops every pooled array: the memory goes back to the GC.</summary>
    public static void Clear()
    {
        lock (gate) { free.Clear(); pooledBytes = 0; }
    }
}
