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
/// Arrays are kept by exact element type and length, at most <see cref="CapacityBytes"/> in all (<see cref="Shelves"/>):
/// as many bytes as the process's storages ever held at once (at least 512 MiB). A workload that keeps much memory and
/// then lets it go at once, as a cache of activations does, finds all of it again in its next run instead of faulting
/// it in afresh (with a fixed 512 MiB, a GPT-2 small cache at 8 x 128 cost 1.4-1.5x the forward's CPU time; 1.1x
/// reusing it all), and the pool never keeps more than the process's storages needed at their peak.
/// </summary>
static class PinnedArrayPool
{
    /// <summary>Arrays smaller than this many bytes are not worth the finalizer.</summary>
    internal const int MinBytes = 16 * 1024;
    /// <summary>The least the pool may keep when the storages never held more.</summary>
    internal const long MinCapacityBytes = 512L << 20;
    /// <summary>A fixed capacity from <c>INTERP_POOL_CAP_MB</c> (as PYTORCH_CUDA_ALLOC_CONF tunes PyTorch's), else none.</summary>
    static readonly long? fixedCapacity = long.TryParse(Environment.GetEnvironmentVariable("INTERP_POOL_CAP_MB"), out long mb) && mb >= 0 ? mb << 20 : null;
    /// <summary>Most bytes kept for reuse: the fixed capacity if set, else the peak of live storage bytes (at least <see cref="MinCapacityBytes"/>).</summary>
    internal static long CapacityBytes => fixedCapacity ?? Math.Max(MinCapacityBytes, live.Peak);
    /// <summary>Large allocations between collections; <c>INTERP_POOL_COLLECT_MB</c> overrides it.</summary>
    internal static readonly long CollectEveryBytes = Megabytes("INTERP_POOL_COLLECT_MB", 64);

    static long Megabytes(string variable, long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable(variable), out long mb) && mb >= 0 ? mb << 20 : fallback << 20;

    static readonly Shelves free = new(MinCapacityBytes);
    static readonly LiveBytes live = new();
    static readonly object gate = new();
    static long sinceCollect;

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
        if (TryTake(length, out T[]? array) || since < CollectEveryBytes) return array;
        Interlocked.Exchange(ref sinceCollect, 0);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TryTake(length, out array);
        return array;
    }

    static bool TryTake<T>(int length, out T[]? array) where T : unmanaged
    {
        lock (gate) array = (T[]?)free.Take(typeof(T), length);
        return array is not null;
    }

    /// <summary>A storage took <paramref name="array"/> (fresh or from the pool): its bytes count as live until it comes back.</summary>
    internal static void Lent(Array array)
    {
        lock (gate) live.Add(Buffer.ByteLength(array));
    }

    /// <summary>A dead storage's array, lent before: kept for reuse while the shelves have room.</summary>
    internal static void Return(Array array)
    {
        lock (gate)
        {
            live.Remove(Buffer.ByteLength(array));
            free.CapacityBytes = CapacityBytes;
            free.Put(array);
        }
    }

    /// <summary>Drops every pooled array: the memory goes back to the GC.</summary>
    public static void Clear()
    {
        lock (gate) free.Clear();
    }
}

/// <summary>
/// Free arrays by element type and length, at most a capacity of bytes in all. When a returned array does not fit, the
/// arrays pooled longest ago make room for it: after a workload changes shape (a forward after a run that cached every
/// activation, a model loaded after another) the pool fills with the sizes now in use rather than staying full of sizes
/// nothing asks for, every new array then fresh memory. Not thread-safe (the pool locks around it).
/// </summary>
sealed class Shelves(long capacityBytes)
{
    readonly Dictionary<(Type, int), List<(long Order, Array Array)>> byKey = new();
    long order;

    public long Bytes { get; private set; }

    /// <summary>The most bytes kept; lowering it drops the oldest arrays at the next <see cref="Put"/>.</summary>
    public long CapacityBytes { get; set; } = capacityBytes;

    /// <summary>The most recently returned free array of that element type and length, or null.</summary>
    public Array? Take(Type elementType, int length)
    {
        if (!byKey.TryGetValue((elementType, length), out var list)) return null;
        var array = list[^1].Array;
        list.RemoveAt(list.Count - 1);
        if (list.Count == 0) byKey.Remove((elementType, length));
        Bytes -= Buffer.ByteLength(array);
        return array;
    }

    public void Put(Array array)
    {
        long bytes = Buffer.ByteLength(array);
        if (bytes > CapacityBytes) return;
        while (Bytes + bytes > CapacityBytes) DropOldest();
        var key = (array.GetType().GetElementType()!, array.Length);
        if (!byKey.TryGetValue(key, out var list)) byKey[key] = list = [];
        list.Add((order++, array));
        Bytes += bytes;
    }

    /// <summary>Each list is oldest first, so the oldest array of all heads one of them.</summary>
    void DropOldest()
    {
        var key = byKey.MinBy(e => e.Value[0].Order).Key;
        var list = byKey[key];
        Bytes -= Buffer.ByteLength(list[0].Array);
        list.RemoveAt(0);
        if (list.Count == 0) byKey.Remove(key);
    }

    public void Clear()
    {
        byKey.Clear();
        Bytes = 0;
    }
}

/// <summary>Bytes of the pooled-size arrays that storages hold now, and the most they ever held at once. Not thread-safe (the pool locks around it).</summary>
sealed class LiveBytes
{
    public long Now { get; private set; }
    public long Peak { get; private set; }

    public void Add(long bytes)
    {
        Now += bytes;
        Peak = Math.Max(Peak, Now);
    }

    public void Remove(long bytes) => Now -= bytes;
}
