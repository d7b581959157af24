using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Interp;

/// <summary>
/// Recycles the pinned arrays of CPU storages that died, as PyTorch's caching allocator does on the GPU. A training step
/// allocates the same activation and gradient shapes every time; without reuse each array is fresh pinned-heap memory,
/// and writing into fresh memory costs a page fault per 4 KiB (a modular-addition step spent a fifth of its time there
/// and ran 2.6x slower than with the pool).
/// Each lent array is kept with a weak handle on its storage; once a collection has found the storage dead (the handle
/// reads null), the array goes back on the shelves, so the pool never hands out memory that something still reads:
/// kernels keep their tensors (hence storages) alive while they hold pointers (<c>CpuBackend.KeepAlive</c>).
/// A request that finds no free array first looks for storages that died in a collection the runtime ran since the last
/// look. Storages only die when the GC runs, and big pinned arrays hardly make it run, so when there are still none and
/// <see cref="CollectEveryBytes"/> of large allocations have passed since the pool's last collection, it runs a
/// blocking collection itself: over a heap of small objects (the arrays hold no references) that takes about a
/// millisecond and finds every dead step's arrays. The handles make that a look straight after the collection; with the
/// storages' finalizers handing the arrays back (as before), the request also waited for the finalizer thread, which on a
/// busy machine took up to 50 ms a GPT-2 small forward at 1 x 128 (against 1-2 ms of collection pauses).
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
    static readonly Loans loans = new();
    static readonly object gate = new();
    static long sinceCollect;
    /// <summary>GC.CollectionCount(0) when the loans were last looked through: a later collection may have found dead storages.</summary>
    static int lookedAtCollection = -1;

    /// <summary>The pool's own collections and the Stopwatch ticks they took (for the benches).</summary>
    internal static long Collections, CollectTicks;

    internal static bool Worth(long bytes) => bytes >= MinBytes;

    /// <summary>
    /// A free array of exactly <paramref name="length"/> elements, or null. When none is free, first the arrays of
    /// storages that the runtime's collections found dead since the last look come back; only when there are still none
    /// and <see cref="CollectEveryBytes"/> have been allocated since the pool's last collection does it collect and look
    /// again: a step that finds its arrays in the pool pays for no collection at all.
    /// </summary>
    internal static T[]? Rent<T>(int length) where T : unmanaged
    {
        long bytes = (long)length * Unsafe.SizeOf<T>();
        long since = Interlocked.Add(ref sinceCollect, bytes);
        if (TryTake(length, out T[]? array)) return array;
        if (GC.CollectionCount(0) != Volatile.Read(ref lookedAtCollection) && ReclaimDead() && TryTake(length, out array)) return array;
        if (since < CollectEveryBytes) return null;
        Interlocked.Exchange(ref sinceCollect, 0);
        long t0 = Stopwatch.GetTimestamp();
        GC.Collect();
        ReclaimDead();
        Interlocked.Add(ref CollectTicks, Stopwatch.GetTimestamp() - t0);
        Interlocked.Increment(ref Collections);
        TryTake(length, out array);
        return array;
    }

    static bool TryTake<T>(int length, out T[]? array) where T : unmanaged
    {
        lock (gate) array = (T[]?)free.Take(typeof(T), length);
        return array is not null;
    }

    /// <summary>
    /// <paramref name="owner"/> (a storage) took <paramref name="array"/>, fresh or from the pool: its bytes count as live,
    /// and the array comes back once a collection finds the owner dead.
    /// </summary>
    internal static void Lent(Array array, object owner)
    {
        lock (gate)
        {
            live.Add(Buffer.ByteLength(array));
            loans.Add(array, owner);
        }
    }

    /// <summary>Puts the arrays of the storages found dead on the shelves (while they have room); true when there were any.</summary>
    static bool ReclaimDead()
    {
        lock (gate)
        {
            lookedAtCollection = GC.CollectionCount(0);
            free.CapacityBytes = CapacityBytes;
            var dead = loans.TakeDead();
            foreach (var array in dead)
            {
                live.Remove(Buffer.ByteLength(array));
                free.Put(array);
            }
            return dead.Count > 0;
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

/// <summary>
/// The arrays lent to storages, each with a weak handle on its storage. The handles track resurrection, so a storage
/// that only an object waiting for its finalizer still reaches counts as alive until that finalizer has run and a
/// later collection found it unreachable. Not thread-safe (the pool locks around it).
/// </summary>
sealed class Loans
{
    readonly List<(GCHandle Owner, Array Array)> loans = [];

    public int Count => loans.Count;

    public void Add(Array array, object owner) => loans.Add((GCHandle.Alloc(owner, GCHandleType.WeakTrackResurrection), array));

    /// <summary>Removes the loans whose owner the GC found dead and yields their arrays.</summary>
    public List<Array> TakeDead()
    {
        var dead = new List<Array>();
        for (int i = loans.Count - 1; i >= 0; i--)
        {
            var (owner, array) = loans[i];
            if (owner.Target is not null) continue;
            owner.Free();
            dead.Add(array);
            loans[i] = loans[^1];
            loans.RemoveAt(loans.Count - 1);
        }
        return dead;
    }
}
