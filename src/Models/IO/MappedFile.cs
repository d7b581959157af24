using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Interp.IO;

/// <summary>
/// A whole file mapped into memory copy-on-write (MAP_PRIVATE): tensors that view it read the file's bytes straight from
/// the page cache, with no copy and no fresh pages to clear, and a write gives the writer a private copy of that page, so
/// the file never changes. Storages wrapping it (<see cref="View"/>) keep it alive; it unmaps itself from its finalizer
/// once none is left. The file must not be modified or truncated while the mapping lives: a shrunk file ends the process
/// with SIGBUS on the next read past its new end, as with PyTorch's torch.load(mmap=True).
/// </summary>
internal sealed unsafe class MappedFile
{
    /// <summary>Bytes per unit of <see cref="Populate"/>'s parallel work.</summary>
    const long ChunkBytes = 8L << 20;
    const int MADV_POPULATE_READ = 22;   // Linux 5.14+: fills the page tables as reads would, in one call

    readonly MemoryMappedFile file;
    readonly MemoryMappedViewAccessor view;
    readonly byte* start;

    /// <summary>Length of the mapping (the file's length when mapped).</summary>
    public long Length { get; }

    MappedFile(MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
    {
        (this.file, this.view, Length) = (file, view, length);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        start = p + view.PointerOffset;
    }

    /// <summary>Maps the first <paramref name="length"/> bytes of an open file (the caller has checked the file holds them).</summary>
    public static MappedFile Map(SafeFileHandle handle, long length)
    {
        var file = MemoryMappedFile.CreateFromFile(handle, null, length, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: true);
        try
        {
            return new MappedFile(file, file.CreateViewAccessor(0, length, MemoryMappedFileAccess.CopyOnWrite), length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    ~MappedFile()
    {
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        file.Dispose();
    }

    /// <summary>A contiguous tensor of <paramref name="shape"/> over the bytes from <paramref name="offset"/> on (in bounds, aligned to the dtype).</summary>
    public Tensor View(long offset, int[] shape, DType dtype)
    {
        int n = ShapeUtil.Numel(shape);
        if (offset < 0 || offset + (long)n * dtype.ElementSize() > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"mapped file: {n} {dtype.Name()} elements from byte {offset} run past its {Length} bytes");
        return new Tensor(CpuStorage.Wrap(start + offset, dtype, n, this), shape);
    }

    /// <summary>
    /// Maps the pages of [offset, offset + bytes) in on all cores now (reading them from disk if they are not cached),
    /// so that the first forward does not take a page fault per few pages. A hint: pages are not pinned.
    /// </summary>
    public void Populate(IEnumerable<(long Offset, long Bytes)> ranges)
    {
        var chunks = ranges.SelectMany(r => Chunks(r.Offset, r.Bytes)).ToArray();
        Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c => Populate(c.Offset, c.Bytes));
        GC.KeepAlive(this);
    }

    static IEnumerable<(long Offset, long Bytes)> Chunks(long offset, long bytes)
    {
        for (long at = 0; at < bytes; at += ChunkBytes) yield return (offset + at, Math.Min(ChunkBytes, bytes - at));
    }

    void Populate(long offset, long bytes)
    {
        long page = Environment.SystemPageSize;
        long from = (long)(start + offset) / page * page, to = (long)(start + offset + bytes);
        if (OperatingSystem.IsLinux() && madvise((void*)from, (nuint)(to - from), MADV_POPULATE_READ) == 0) return;
        for (long p = from; p < to; p += page) Volatile.Read(ref *(byte*)p);   // older kernels, other systems: a read per page
    }

    [DllImport("libc", EntryPoint = "madvise")]
    static extern int madvise(void* address, nuint length, int advice);
}
