using System.Numerics;
using System.Runtime.InteropServices;

namespace Interp.Cpu;

/// <summary>
/// Splits one GEMM into independent blocks of C: by rows (in units of the kernel's RowGrain, one block per thread) when C has at
/// least as many rows as columns, otherwise by columns (in whole NR tiles). A big product on the AVX-512 kernel, deeper than
/// one K block and not few rows by many columns, runs in OpenBLAS's loop order with one packed A shared between the threads
/// (<see cref="GemmSharedA{T}"/>, on one thread too). Otherwise a big row split shares one packed B between
/// the threads, its row blocks claimed in turn (<see cref="GemmSharedB{T, TKernel}"/>). Otherwise each block runs the full
/// blocked algorithm with its own per-thread packing buffers, so threads never synchronise inside the multiply. When A fits (few rows),
/// a column split packs A once and every block reads that copy; the split is then cut into up to
/// <see cref="ColumnPartsPerThread"/> blocks per thread, claimed in turn: when one core is slowed (a shared machine,
/// or one thread's blocks fetching more from memory) the other takes over its later blocks instead of spinning at
/// the join.
/// </summary>
internal static unsafe class GemmParallel<T, TKernel>
    where T : unmanaged, INumber<T>
    where TKernel : struct, IMicroKernel<T>
{
    public static void Run(in GemmProblem<T> p, int maxThreads)
    {
        // each thread packs its share of the split side and the whole of the other operand, so split the longer of
        // M and N: a weight gradient Xᵀ·G [256, 4096] split by rows had both threads pack all of G
        bool byRows = p.M >= p.N || Tiles(p.N, TKernel.NR) < 2;
        int tiles = byRows ? Tiles(p.M, TKernel.MR) : Tiles(p.N, TKernel.NR);
        long work = (long)p.M * p.N * p.K;
        int threads = (int)Math.Clamp(work / Gemm.ParallelGrain, 1, Math.Min(Math.Min(maxThreads, GemmThreads.MaxParts), tiles));
        bool sharedA = typeof(TKernel) == typeof(Avx512Kernel<T>) && GemmSharedA<T>.Applies(p);
        if (threads == 1 && !sharedA)
        {
            BlockedGemm<T, TKernel>.Run(p);
            return;
        }
        if (!GemmThreads.TryEnter())
        {
            BlockedGemm<T, TKernel>.Run(p); // another thread holds the cores
            return;
        }
        try
        {
            if (sharedA)
            {
                GemmSharedA<T>.Run(p, threads);   // also on one thread: its loop order is the faster one for big products
                return;
            }
            if (byRows && GemmSharedB<T, TKernel>.Applies(p))
            {
                GemmSharedB<T, TKernel>.Run(p, threads);
                return;
            }
            var shared = byRows ? default : ShareA(p);
            // more blocks than threads only where they share A: else each would pack all of A again
            int parts = shared.Data == null ? threads : threads * Math.Clamp(tiles / (threads * MinColumnTilesPerPart), 1, ColumnPartsPerThread);
            s_task.Set(p, byRows, parts, shared);
            GemmThreads.Run(s_task, parts);
        }
        finally
        {
            GemmThreads.Exit();
        }
    }

    /// <summary>
    /// A packed once into the shared buffer, or none when it is too big. The calling thread packs it alone before the
    /// blocks start: that takes as long as each thread packing all of A for its own block (as without sharing), and
    /// needs no second hand-off to the workers, whose wake-up on a busy machine can cost more than the packing.
    /// </summary>
    private static SharedA<T> ShareA(in GemmProblem<T> p)
    {
        long elements = BlockedGemm<T, TKernel>.SharedAElements(p);
        if (elements == 0) return default;
        var shared = new SharedA<T>(s_sharedData.Ensure(elements), BlockedGemm<T, TKernel>.KBlock(p));
        BlockedGemm<T, TKernel>.PackSharedA(p, shared);
        return shared;
    }

    /// <summary>The shared packed A (kept between calls, at most <see cref="BlockedGemm{T, TKernel}.SharedAMaxElements"/>); only touched while the pool is held.</summary>
    private static readonly AlignedBuffer<T> s_sharedData = new();

    /// <summary>Most blocks per thread of a column split, and the fewest NR tiles in one block.</summary>
    internal const int ColumnPartsPerThread = 4, MinColumnTilesPerPart = 8;

    /// <summary>Only touched while the pool is held, so one instance serves every call.</summary>
    private static readonly SliceTask s_task = new();

    private sealed class SliceTask : GemmTask
    {
        private GemmProblem<T> _problem;
        private bool _byRows;
        private int _parts;
        private SharedA<T> _shared;

        public void Set(in GemmProblem<T> problem, bool byRows, int parts, SharedA<T> shared)
        {
            _problem = problem; _byRows = byRows; _parts = parts; _shared = shared;
        }

        public override void Execute(int part) => BlockedGemm<T, TKernel>.Run(Part(_problem, _byRows, part, _parts), _shared);
    }

    /// <summary>Part t of <paramref name="parts"/>: rows in units of the kernel's <see cref="IMicroKernel{T}.RowGrain"/>, or columns
    /// in whole NR tiles.</summary>
    private static GemmProblem<T> Part(in GemmProblem<T> p, bool byRows, int t, int parts)
    {
        int unit = byRows ? TKernel.RowGrain : TKernel.NR;
        int extent = byRows ? p.M : p.N;
        int units = Tiles(extent, unit);
        int start = (int)((long)units * t / parts) * unit;
        int end = Math.Min(extent, (int)((long)units * (t + 1) / parts) * unit);
        return byRows ? p.Slice(start, end - start, 0, p.N) : p.Slice(0, p.M, start, end - start);
    }

    private static int Tiles(int extent, int tile) => (extent + tile - 1) / tile;
}

/// <summary>
/// Batched GEMM: matrices are spread over threads whole when they are small or there are at least four per thread
/// (a conv's 64 per-image products: splitting each one between threads had both pack the same B and cost the conv2d
/// forward+backward ~10 %); a few big ones are each split internally.
/// </summary>
internal static unsafe class GemmBatch<T> where T : unmanaged, INumber<T>
{
    public static void Run(in GemmProblem<T> p, long strideA, long strideB, long strideC, int batch)
    {
        long work = (long)p.M * p.N * p.K;
        int parts = Math.Min(GemmThreads.MaxParts, batch);
        bool spreadBatch = parts > 1 && strideC != 0 && (work < 4 * Gemm.ParallelGrain || batch >= 4 * parts) && work * batch >= Gemm.ParallelGrain;
        if (spreadBatch && GemmThreads.TryEnter())
        {
            try
            {
                s_task.Set(p, strideA, strideB, strideC, batch, parts);
                GemmThreads.Run(s_task, parts);
            }
            finally
            {
                GemmThreads.Exit();
            }
            return;
        }
        int threads = spreadBatch ? 1 : Environment.ProcessorCount;
        for (int i = 0; i < batch; i++)
            Gemm.Run(p.Offset(i * strideA, i * strideB, i * strideC), threads);
    }

    /// <summary>Only touched while the pool is held, so one instance serves every call.</summary>
    private static readonly BatchTask s_task = new();

    /// <summary>Part t multiplies matrices [batch*t/parts, batch*(t+1)/parts) on one thread each.</summary>
    private sealed class BatchTask : GemmTask
    {
        private GemmProblem<T> _first;
        private long _strideA, _strideB, _strideC;
        private int _batch, _parts;

        public void Set(in GemmProblem<T> first, long strideA, long strideB, long strideC, int batch, int parts)
        {
            _first = first; _strideA = strideA; _strideB = strideB; _strideC = strideC; _batch = batch; _parts = parts;
        }

        public override void Execute(int part)
        {
            int end = (int)((long)_batch * (part + 1) / _parts);
            for (int i = (int)((long)_batch * part / _parts); i < end; i++)
                Gemm.Run(_first.Offset(i * _strideA, i * _strideB, i * _strideC), 1);
        }
    }
}
