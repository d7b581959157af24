using System.Numerics;
using System.Runtime.InteropServices;

namespace Interp.Cpu;

/// <summary>
/// A row-split GEMM whose threads share one packed B block, as BLIS and OpenBLAS do, instead of each thread packing all
/// of B for its own rows. The product is a sequence of steps, one per KC x NC block of B (the (jc, pc) loops of
/// <see cref="BlockedGemm{T, TKernel}"/>); a step packs its B block into one of two shared buffers, in a few pieces of
/// panels, and then multiplies it by every row of A, in blocks of rows (each packed into the thread's own A buffer),
/// on <see cref="GemmStepsTask"/>'s schedule: <c>pack B(0) | rows(0) | pack B(1) | rows(1) | ...</c>, each piece
/// claimed by whichever thread is free. A core slowed by another process (a shared machine) costs at most one piece,
/// never half the product, and a worker that wakes late finds the caller has done its share.
/// </summary>
internal static unsafe class GemmSharedB<T, TKernel>
    where T : unmanaged, INumber<T>
    where TKernel : struct, IMicroKernel<T>
{
    /// <summary>Row blocks each thread should get per step, so that a slowed thread hands over the rest.</summary>
    private const int RowBlocksPerThread = 4;

    /// <summary>Whether a row split of <paramref name="p"/> shares B here (B packed: not read in place; enough work).</summary>
    public static bool Applies(in GemmProblem<T> p) =>
        (long)p.M * p.N * p.K >= Gemm.SharedBMinWork && p.M >= 2 * TKernel.MR && !BlockedGemm<T, TKernel>.ReadsBInPlace(p);

    public static void Run(in GemmProblem<T> p, int threads)
    {
        int kc = Math.Min(TKernel.KC, p.K), nc = Math.Min(TKernel.NC, p.N);
        long bufferElements = (long)RoundUp(nc, TKernel.NR) * kc;
        s_task.Set(p, threads, s_buffer.Ensure(2 * bufferElements), bufferElements);
        GemmThreads.Run(s_task, threads);
    }

    /// <summary>Two B block buffers; only touched while the pool is held.</summary>
    private static readonly AlignedBuffer<T> s_buffer = new();

    /// <summary>Only touched while the pool is held, so one instance serves every call.</summary>
    private static readonly StepsTask s_task = new();

    private sealed class StepsTask : GemmStepsTask
    {
        private GemmProblem<T> _p;
        private T* _buffers;
        private long _bufferElements;
        private int _kSteps, _rowBlocks, _panels;

        public void Set(in GemmProblem<T> p, int threads, T* buffers, long bufferElements)
        {
            _p = p; _buffers = buffers; _bufferElements = bufferElements;
            _kSteps = Tiles(p.K, TKernel.KC);
            int steps = Tiles(p.N, TKernel.NC) * _kSteps;
            int packPieces = Math.Min(2 * threads, Tiles(Math.Min(TKernel.NC, p.N), TKernel.NR));
            // row blocks of whole MR panels, as even as they divide (a 256-row C: 22 panels as 2-3 per block, not 7 blocks
            // of 36 rows and one of 4), at least RowBlocksPerThread per thread and at most MC rows each
            _panels = Tiles(p.M, TKernel.MR);
            _rowBlocks = Math.Min(_panels, Math.Max(threads * RowBlocksPerThread, Tiles(_panels, TKernel.MC / TKernel.MR)));
            Reset(steps, packPieces, _rowBlocks);
        }

        /// <summary>Piece <paramref name="piece"/> of B block <paramref name="step"/>: a run of whole NR panels.</summary>
        protected override void PackPiece(int step, int piece)
        {
            var (jc, pc, nc, kc) = Block(step);
            int panels = Tiles(nc, TKernel.NR);
            int first = panels * piece / PackPieces, end = panels * (piece + 1) / PackPieces;
            if (first == end) return;
            int j0 = first * TKernel.NR, cols = Math.Min(nc, end * TKernel.NR) - j0;
            GemmPack<T, TKernel>.PackB(_p, pc, jc + j0, kc, cols, Buffer(step) + (nint)j0 * kc);
        }

        /// <summary>Row block <paramref name="block"/> of step <paramref name="step"/>: its A packed, times the whole B block.</summary>
        protected override void MultiplyBlock(int step, int block)
        {
            var (jc, pc, nc, kc) = Block(step);
            int ic = FirstPanel(block) * TKernel.MR, mc = Math.Min(_p.M, FirstPanel(block + 1) * TKernel.MR) - ic;
            var buffers = BlockedGemm<T, TKernel>.ThreadBuffers;
            GemmPack<T, TKernel>.PackA(_p, ic, pc, mc, kc, buffers.A);
            T beta = pc == 0 ? _p.Beta : T.One;
            bool epilogue = pc + kc == _p.K && _p.HasEpilogue;
            T* bias = _p.Bias == null ? null : _p.Bias + jc;
            BlockedGemm<T, TKernel>.MacroKernel(buffers.A, Buffer(step), null, 0, buffers.Tile, mc, nc, kc,
                _p.C + ic * _p.Ldc + jc, _p.Ldc, _p.Alpha, beta, epilogue, bias, _p.Relu);
        }

        private int FirstPanel(int block) => (int)((long)_panels * block / _rowBlocks);

        /// <summary>Step s's block of B: columns jc .. jc+nc, depths pc .. pc+kc (K blocks innermost, as in the one-thread loops).</summary>
        private (int Jc, int Pc, int Nc, int Kc) Block(int step)
        {
            int jc = step / _kSteps * TKernel.NC, pc = step % _kSteps * TKernel.KC;
            return (jc, pc, Math.Min(TKernel.NC, _p.N - jc), Math.Min(TKernel.KC, _p.K - pc));
        }

        private T* Buffer(int step) => _buffers + (step & 1) * _bufferElements;
    }

    private static int Tiles(int extent, int tile) => (extent + tile - 1) / tile;

    private static int RoundUp(int x, int multiple) => Tiles(x, multiple) * multiple;
}
