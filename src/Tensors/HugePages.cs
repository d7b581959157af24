using System.Runtime.InteropServices;

namespace Interp;

/// <summary>
/// Asks Linux to back large storages with 2 MiB transparent huge pages (madvise MADV_HUGEPAGE), as NumPy does for its
/// arrays of 4 MiB and more and PyTorch's CPU allocator (THP_MEM_ALLOC_ENABLE) for 2 MiB and more. Fresh memory costs a page fault on first touch: at 4 KiB a page, filling a 100 MB tensor
/// takes 25,000 faults, at 2 MiB fifty. Loading a checkpoint and keeping a cache of activations write that much fresh
/// memory; with the default THP setting (`madvise`) only advised ranges get huge pages. Elsewhere it does nothing;
/// <c>INTERP_HUGEPAGES=0</c> turns it off.
/// </summary>
static unsafe class HugePages
{
    /// <summary>Smallest array advised: one huge page (only whole aligned 2 MiB blocks inside the array become huge pages).</summary>
    internal const long MinBytes = 2L << 20;
    const int MADV_HUGEPAGE = 14;

    internal static readonly bool Enabled = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("INTERP_HUGEPAGES") != "0";

    /// <summary>
    /// Advises the whole pages inside [start, start + bytes) before they are first written (a hint: errors are ignored;
    /// pages already present stay as they are).
    /// </summary>
    internal static void Advise(void* start, long bytes)
    {
        if (!Enabled || bytes < MinBytes) return;
        long page = Environment.SystemPageSize;
        long from = ((long)start + page - 1) / page * page, to = ((long)start + bytes) / page * page;
        if (to > from) madvise((void*)from, (nuint)(to - from), MADV_HUGEPAGE);
    }

    [DllImport("libc", EntryPoint = "madvise")]
    static extern int madvise(void* address, nuint length, int advice);
}
