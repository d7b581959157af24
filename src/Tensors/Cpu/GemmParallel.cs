using System.Numerics;

namespace Interp.Cpu;

/// <summary>
/// Splits one GEMM into independent blocks of C, one per thread: by rows (in whole MR tiles) when there are
/// enough, otherwise by columns (in whole NR tiles). Each block runs the full blocked algorithm with its own
/// per-thread packing buffers, so threads never synchronise inside the multiply.
/// </summary>
internal static unsafe class GemmParallel<T, TKernel>
    where T : unmanaged, INumber<T>
    where TKernel : struct, IMicroKernel<T>
{
    public static void Run(in GemmProblem<T> p, int maxThreads)
    {
        bool byRows = Tiles(p.M, TKernel.MR) >= Tiles(p.N, TKernel.NR) || Tiles(p.M, TKernel.MR) >= maxThreads;
        int tiles = byRows ? Tiles(p.M, TKernel.MR) : Tiles(p.N, TKernel.NR);
        long work = (long)p.M * p.N * p.K;
        int threads = (int)Math.Clamp(work / Gemm.ParallelGrain, 1, Math.Min(maxThreads, tiles));
        if (threads == 1)
        {
            BlockedGemm<T, TKernel>.Run(p);
            return;
        }
        GemmProblem<T> whole = p;
        Parallel.For(0, threads, t => BlockedGemm<T, TKernel>.Run(Part(whole, byRows, tiles, t, threads)));
    }

    private static GemmProblem<T> Part(in GemmProblem<T> p, bool byRows, int tiles, int t, int threads)
    {
        int tile = byRows ? TKernel.MR : TKernel.NR;
        int extent = byRows ? p.M : p.N;
        int start = (int)((long)tiles * t / threads) * tile;
        int end = Math.Min(extent, (int)((long)tiles * (t + 1) / threads) * tile);
        return byRows ? p.Slice(start, end - start, 0, p.N) : p.Slice(0, p.M, start, end - start);
    }

    private static int Tiles(int extent, int tile) => (extent + tile - 1) / tile;
}

/// <summary>Batched GEMM: small matrices are spread over threads whole; big ones are split internally.</summary>
internal static unsafe class GemmBatch<T> where T : unmanaged, INumber<T>
{
    public static void Run(in GemmProblem<T> p, long strideA, long strideB, long strideC, int batch)
    {
        int threads = Environment.ProcessorCount;
        long work = (long)p.M * p.N * p.K;
        bool spreadBatch = batch > 1 && strideC != 0 && threads > 1
            && work < 4 * Gemm.ParallelGrain && work * batch >= Gemm.ParallelGrain;
        if (!spreadBatch)
        {
            for (int i = 0; i < batch; i++)
                Gemm.Run(p.Offset(i * strideA, i * strideB, i * strideC), threads);
            return;
        }
        GemmProblem<T> first = p;
        int parts = Math.Min(threads, batch);
        Parallel.For(0, parts, t =>
        {
            int end = (int)((long)batch * (t + 1) / parts);
            for (int i = (int)((long)batch * t / parts); i < end; i++)
                Gemm.Run(first.Offset(i * strideA, i * strideB, i * strideC), 1);
        });
    }
}
