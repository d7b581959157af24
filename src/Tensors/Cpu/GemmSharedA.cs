using System.Numerics;

namespace Interp.Cpu;

/// <summary>
/// The AVX-512 GEMM in OpenBLAS's loop order, its threads sharing one packed A block:
/// <code>
/// for ic in M step MA:                      A block  MA x KC, shared        -> L2/L3
///   for pc in K step KC:   pack A (pieces)
///     for jc in N step NC:  pack B          B block  KC x NC, the thread's  -> L2   (one piece: a column block)
///       for ir in MA step MR:               A panel  MR x KC (24 KB)        -> L1
///         for jr in NC step NR:             B panel  KC x NR streams in from L2
///           micro-kernel (<see cref="Avx512Kernel{T}.RunStreamingB"/>)
/// </code>
/// <see cref="BlockedGemm{T, TKernel}"/> keeps the 32-wide B panel in L1 instead and streams the 12-row A panel past it,
/// so its panel (32 KB at KC = 256) fills most of the 48 KB L1 and KC stops at 256. Here the L1 holds the smaller A
/// panel, so KC doubles to 512 and every tile of C is read and written half as often; the B panels stream in from the
/// L2-resident block at 128 bytes per 12 cycles, prefetched ahead (one core, thread CPU time, each sample paired with
/// OpenBLAS's Cooperlake sgemm on the same operands: n = 2048 0.97-1.01 → 1.02-1.05 of OpenBLAS).
/// <para>
/// Steps (ic, pc) and their pieces run on <see cref="GemmStepsTask"/>'s schedule, as in <see cref="GemmSharedB{T, TKernel}"/>
/// with the roles of A and B swapped: <c>pack A(0) | columns(0) | pack A(1) | columns(1) | ...</c>. Each B element is
/// packed once when all of M is one A block.
/// </para>
/// </summary>
internal static unsafe class GemmSharedA<T> where T : unmanaged, INumber<T>
{
    private static int MR => Avx512Kernel<T>.MR;
    private static int NR => Avx512Kernel<T>.NR;

    /// <summary>Deepest K block: an A panel of MR x KC is 24 KB (half the 48 KB L1) in float and in double.</summary>
    private static int KC => 2048 / sizeof(T);

    /// <summary>Widest column block: a B block of KC x NC is 768 KB, well inside the 2 MB L2.</summary>
    private const int NC = 384;

    /// <summary>Most bytes of one shared A block (there are two): all of a 2048-row A at KC = 512 in float.</summary>
    private const long ABlockBytes = 4 << 20;

    /// <summary>Column blocks each thread should get per step, so that a slowed thread hands over the rest.</summary>
    private const int ColumnBlocksPerThread = 2;

    /// <summary>Most rows of the A blocks when the problem has few rows: those keep their own paths (A packed once
    /// and shared by a column split).</summary>
    private const int FewRows = 512;

    /// <summary>Whether <paramref name="p"/> runs here: the AVX-512 kernel, B packed (not read in place), big enough, deeper
    /// than the other order's K block (at K = 256 both pass over C once, and the SAE's [4096, 256]·[256, 4096] measured no
    /// better here), at least 4 panels wide (a narrower C has too few column blocks for two threads; its row split stays),
    /// and not a few-row product with many columns.</summary>
    public static bool Applies(in GemmProblem<T> p) =>
        (long)p.M * p.N * p.K >= Gemm.SharedAMinWork && p.M >= 2 * MR && p.N >= 4 * NR && (p.M >= p.N || p.M > FewRows)
        && p.K > Avx512Kernel<T>.KC && !BlockedGemm<T, Avx512Kernel<T>>.ReadsBInPlace(p);

    /// <summary>Runs <paramref name="p"/> on <paramref name="threads"/> threads; the caller holds the pool.</summary>
    public static void Run(in GemmProblem<T> p, int threads)
    {
        s_task.Set(p, threads);
        long bufferElements = (long)RoundUp(s_task.BlockRows, MR) * s_task.KBlock;
        s_task.Buffers(s_buffer.Ensure(2 * bufferElements), bufferElements);
        GemmThreads.Run(s_task, threads);
    }

    /// <summary>Two A block buffers; only touched while the pool is held.</summary>
    private static readonly AlignedBuffer<T> s_buffer = new();

    /// <summary>Only touched while the pool is held, so one instance serves every call.</summary>
    private static readonly StepsTask s_task = new();

    private sealed class StepsTask : GemmStepsTask
    {
        private GemmProblem<T> _p;
        private T* _buffers;
        private long _bufferElements;
        private int _kSteps, _columnBlocks, _blockColumns;

        /// <summary>Rows of an A block and depth of a K block (K split into equal blocks of at most KC).</summary>
        public int BlockRows { get; private set; }
        public int KBlock { get; private set; }

        public void Set(in GemmProblem<T> p, int threads)
        {
            _p = p;
            _kSteps = Tiles(p.K, KC);
            KBlock = Tiles(p.K, _kSteps);
            int maxRows = (int)Math.Max(MR, ABlockBytes / ((long)KBlock * sizeof(T)) / MR * MR);
            int rowBlocks = Tiles(p.M, maxRows);
            BlockRows = RoundUp(Tiles(p.M, rowBlocks), MR);
            int steps = rowBlocks * _kSteps;
            int packPieces = Math.Min(2 * threads, Tiles(BlockRows, MR));
            _blockColumns = Math.Clamp(RoundUp(Tiles(p.N, threads * ColumnBlocksPerThread), NR), NR, NC);
            _columnBlocks = Tiles(p.N, _blockColumns);
            Reset(steps, packPieces, _columnBlocks);
        }

        public void Buffers(T* buffers, long bufferElements)
        {
            _buffers = buffers; _bufferElements = bufferElements;
        }

        /// <summary>Piece <paramref name="piece"/> of A block <paramref name="step"/>: a run of whole MR panels.</summary>
        protected override void PackPiece(int step, int piece)
        {
            var (ic, pc, mc, kc) = Block(step);
            int panels = Tiles(mc, MR);
            int first = panels * piece / PackPieces, end = panels * (piece + 1) / PackPieces;
            if (first == end) return;
            int i0 = first * MR, rows = Math.Min(mc, end * MR) - i0;
            GemmPack<T, Avx512Kernel<T>>.PackA(_p, ic + i0, pc, rows, kc, Buffer(step) + (nint)i0 * kc);
        }

        /// <summary>Column block <paramref name="block"/> of step <paramref name="step"/>: its B packed, times the whole A block.</summary>
        protected override void MultiplyBlock(int step, int block)
        {
            var (ic, pc, mc, kc) = Block(step);
            int jc = block * _blockColumns, nc = Math.Min(_blockColumns, _p.N - jc);
            var buffers = BlockedGemm<T, Avx512Kernel<T>>.ThreadBuffers;
            buffers.EnsureB(RoundUp(_blockColumns, NR) * kc);
            GemmPack<T, Avx512Kernel<T>>.PackB(_p, pc, jc, kc, nc, buffers.B);
            T beta = pc == 0 ? _p.Beta : T.One;
            bool epilogue = pc + kc == _p.K && _p.HasEpilogue;
            T* bias = _p.Bias == null ? null : _p.Bias + jc;
            MacroKernel(Buffer(step), buffers.B, buffers.Tile, mc, nc, kc, _p.C + ic * _p.Ldc + jc, _p.Ldc, _p.Alpha, beta, epilogue, bias, _p.Relu);
        }

        /// <summary>Step s's block of A: rows ic .. ic+mc, depths pc .. pc+kc (K blocks innermost).</summary>
        private (int Ic, int Pc, int Mc, int Kc) Block(int step)
        {
            int ic = step / _kSteps * BlockRows, pc = step % _kSteps * KBlock;
            return (ic, pc, Math.Min(BlockRows, _p.M - ic), Math.Min(KBlock, _p.K - pc));
        }

        private T* Buffer(int step) => _buffers + (step & 1) * _bufferElements;
    }

    /// <summary>All tiles of an mc x nc block of C, A panel outermost (it stays in L1 while the B panels stream past);
    /// edges and the epilogue as in <see cref="BlockedGemm{T, TKernel}.MacroKernel"/>.</summary>
    private static void MacroKernel(T* aBlock, T* bBlock, T* tile, int mc, int nc, int kc, T* c, nint ldc, T alpha, T beta,
                                    bool epilogue, T* bias, bool relu)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            T* aPanel = aBlock + (nint)ir * kc;
            int rows = Math.Min(MR, mc - ir);
            for (int jr = 0; jr < nc; jr += NR)
            {
                T* bPanel = bBlock + (nint)jr * kc;
                T* cTile = c + ir * ldc + jr;
                int cols = Math.Min(NR, nc - jr);
                if (rows == MR && cols == NR)
                    Avx512Kernel<T>.RunStreamingB(kc, aPanel, bPanel, cTile, ldc, alpha, beta);
                else if (cols == NR && Avx512Kernel<T>.RunRows(rows, kc, aPanel, bPanel, NR, cTile, ldc, alpha, beta)) { }
                else
                    BlockedGemm<T, Avx512Kernel<T>>.EdgeTile(kc, aPanel, bPanel, NR, cTile, ldc, rows, cols, alpha, beta, tile);
                if (epilogue) GemmEpilogue<T>.Apply(cTile, ldc, rows, cols, bias == null ? null : bias + jr, relu);
            }
        }
    }

    private static int Tiles(int extent, int tile) => (extent + tile - 1) / tile;

    private static int RoundUp(int x, int multiple) => Tiles(x, multiple) * multiple;
}
