using System.Runtime.CompilerServices;
using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>A dead storage's array is reused by the next allocation of its size, and a zeroed allocation is zero.</summary>
public class PinnedArrayPoolTests
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    static Array AllocateAndDrop(int n)
    {
        var t = Tensor.Full([n], 7.0);
        return ((CpuStorage)t.Storage).Data!;
    }

    [Fact]
    public void DeadStorageArrayIsReusedAndZeroedOnRequest()
    {
        const int n = 123_457;   // a length no other test allocates
        var array = AllocateAndDrop(n);
        bool reused = false;
        for (int round = 0; round < 10 && !reused; round++)
        {
            PinnedArrayPool.Clear();   // other tests running alongside may have filled the pool to its cap
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var z = Tensor.Zeros([n]);
            reused = ReferenceEquals(((CpuStorage)z.Storage).Data, array);
            Assert.All(z.ToFloatArray(), v => Assert.Equal(0f, v));
            if (!reused) array = AllocateAndDrop(n);
        }
        Assert.True(reused, "the array of a collected storage was never handed out again");
    }
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int32)]
    public unsafe void EveryStorageStartsOnA64ByteLineAndHoldsItsElements(DType dtype)
    {
        // small (unpooled) and large (pooled, then reused) sizes; the elements read back as written
        foreach (int n in new[] { 1, 3, 17, 5_000, 70_001, 70_001 })
        {
            var t = Tensor.Arange(n, dtype);
            var s = (CpuStorage)t.Storage;
            Assert.Equal(0, (long)(nint)s.Pointer % 64);
            Assert.Equal(n, s.Length);
            Assert.Equal(Enumerable.Range(0, n).Select(i => (double)i), t.ToDoubleArray());
            if (dtype == DType.Float64) Assert.Equal(n - 1, s.As<double>()[n - 1]);
        }
    }
}

/// <summary>The pool's shelves: exact-size reuse, most recent first, and the oldest arrays make room when full.</summary>
public class ShelvesTests
{
    [Fact]
    public void TakeGivesTheMostRecentArrayOfExactlyThatTypeAndLength()
    {
        var shelves = new Shelves(1 << 20);
        float[] older = new float[100], newer = new float[100];
        shelves.Put(older);
        shelves.Put(newer);
        shelves.Put(new double[100]);
        Assert.Null(shelves.Take(typeof(float), 99));
        Assert.Same(newer, shelves.Take(typeof(float), 100));
        Assert.Same(older, shelves.Take(typeof(float), 100));
        Assert.Null(shelves.Take(typeof(float), 100));
        Assert.Equal(800, shelves.Bytes);
    }

    [Fact]
    public void WhenFullTheOldestArraysMakeRoom()
    {
        var shelves = new Shelves(1000);   // room for two of 400 bytes
        int[] a = new int[100], b = new int[100];
        float[] c = new float[100];
        shelves.Put(a);
        shelves.Put(c);
        shelves.Put(b);   // a, the oldest, goes
        Assert.Equal(800, shelves.Bytes);
        Assert.Same(b, shelves.Take(typeof(int), 100));
        Assert.Null(shelves.Take(typeof(int), 100));
        Assert.Same(c, shelves.Take(typeof(float), 100));
        shelves.Put(new byte[2000]);   // larger than the capacity: not kept, nothing dropped for it
        Assert.Equal(0, shelves.Bytes);
    }

    [Fact]
    public void ACapacityRaisedKeepsMoreAndOneLoweredDropsTheOldestAtTheNextPut()
    {
        var shelves = new Shelves(400);
        float[] a = new float[100], b = new float[100], c = new float[100];
        shelves.Put(a);
        shelves.CapacityBytes = 1200;   // the pool's live peak grew
        shelves.Put(b);
        shelves.Put(c);
        Assert.Equal(1200, shelves.Bytes);
        shelves.CapacityBytes = 800;
        shelves.Put(new int[100]);   // a and b, the oldest, make room
        Assert.Equal(800, shelves.Bytes);
        Assert.Same(c, shelves.Take(typeof(float), 100));
        Assert.Null(shelves.Take(typeof(float), 100));
    }
}

/// <summary>The pool's loans: an array comes back only once a collection found its storage dead.</summary>
public class LoansTests
{
    sealed class Finalizable(object held)
    {
        public static volatile bool Finalized;
        readonly object held = held;
        ~Finalizable() { GC.KeepAlive(held); Finalized = true; }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void LendToGarbage(Loans loans, Array array) => loans.Add(array, new object());

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void LendToObjectOnlyAFinalizerReaches(Loans loans, Array array)
    {
        var owner = new object();
        loans.Add(array, owner);
        _ = new Finalizable(owner);
    }

    [Fact]
    public void OnlyTheArraysOfDeadOwnersComeBack()
    {
        var loans = new Loans();
        var owner = new object();
        float[] kept = new float[10], dropped = new float[10];
        loans.Add(kept, owner);
        LendToGarbage(loans, dropped);
        GC.Collect();
        Assert.Equal([dropped], loans.TakeDead());
        Assert.Equal(1, loans.Count);
        Assert.Empty(loans.TakeDead());
        GC.KeepAlive(owner);
    }

    [Fact]
    public void AnOwnerThatAFinalizerStillReachesIsNotDeadYet()
    {
        var loans = new Loans();
        var array = new float[10];
        Finalizable.Finalized = false;
        LendToObjectOnlyAFinalizerReaches(loans, array);
        GC.Collect();
        if (!Finalizable.Finalized) Assert.Empty(loans.TakeDead());   // the finalizer may read what it holds
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal([array], loans.TakeDead());
    }
}

/// <summary>The pool's tally of live storage bytes: what is held now and the most ever held at once.</summary>
public class LiveBytesTests
{
    [Fact]
    public void PeakIsTheMostHeldAtOnceNotTheSumOfAllocations()
    {
        var live = new LiveBytes();
        live.Add(100);
        live.Add(50);
        live.Remove(100);
        live.Add(80);   // 130 held, under the 150 of before
        Assert.Equal(130, live.Now);
        Assert.Equal(150, live.Peak);
        live.Add(40);
        Assert.Equal(170, live.Peak);
    }
}

/// <summary>A large storage's memory is advised for transparent huge pages (Linux).</summary>
public class HugePagesTests
{
    [Fact]
    public unsafe void LargeStorageMemoryIsMarkedForHugePages()
    {
        const string thp = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!HugePages.Enabled || !File.Exists(thp) || File.ReadAllText(thp).Contains("[never]")) return;
        var t = Tensor.Empty([3 << 20]);   // 12 MiB, fresh (no pooled array has this length)
        long middle = (long)(nint)((CpuStorage)t.Storage).Pointer + (6L << 20);
        // the mapping that holds the storage's middle carries the kernel's "hg" flag (VM_HUGEPAGE, set by MADV_HUGEPAGE)
        string? flags = null;
        bool inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var range = line.Split(' ')[0].Split('-');
            if (range.Length == 2 && long.TryParse(range[0], System.Globalization.NumberStyles.HexNumber, null, out long from)
                && long.TryParse(range[1], System.Globalization.NumberStyles.HexNumber, null, out long to))
                inside = from <= middle && middle < to;
            else if (inside && line.StartsWith("VmFlags:")) { flags = line; break; }
        }
        GC.KeepAlive(t);
        Assert.NotNull(flags);
        Assert.Contains(" hg", flags);
    }
}
