using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Interp.Cpu;

/// <summary>
/// A register-tiled micro-kernel: C[MR x NR] = alpha * Ap * Bp + beta * C, where Ap is a packed MR x kc panel
/// (column p of it at a + p*MR) and Bp a kc x NR panel with row p at b + p*ldb (ldb = NR when packed, B's row stride
/// when B is read in place). beta == 0 must not read C.
/// The blocking sizes travel with the kernel because they depend on its register tile and element size.
/// </summary>
internal unsafe interface IMicroKernel<T> where T : unmanaged, INumber<T>
{
    static abstract int MR { get; }
    static abstract int NR { get; }
    /// <summary>Depth of a packed panel; KC x NR of B should sit in L1.</summary>
    static abstract int KC { get; }
    /// <summary>Rows of A packed at once; MC x KC should sit in L2.</summary>
    static abstract int MC { get; }
    /// <summary>Columns of B packed at once; KC x NC should sit in L3.</summary>
    static abstract int NC { get; }
    static abstract void Run(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta);
    /// <summary>
    /// <see cref="Run"/> for only the first <paramref name="rows"/> (&lt; MR) rows of the tile, writing no others of C,
    /// where the kernel has a cheaper variant for that many rows; false, having done nothing, where it has none.
    /// </summary>
    static abstract bool RunRows(int rows, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta);
    /// <summary>Rows per part when a GEMM is split by rows: MR, or less where <see cref="RunRows"/> makes short edge panels cheap.</summary>
    static abstract int RowGrain { get; }
}

/// <summary>
/// Goto/BLIS blocked GEMM on one thread:
/// <code>
/// for jc in N step NC:                 B block  KC x NC  -> L3
///   for pc in K step KC:   pack B
///     for ic in M step MC: pack A      A block  MC x KC  -> L2
///       for jr in NC step NR:          B panel  KC x NR  -> L1
///         for ir in MC step MR:        micro-kernel on an MR x NR tile of C (registers)
/// </code>
/// Panels are zero-padded to MR / NR so the kernel always sees full tiles; edge tiles of C go through a small
/// temporary tile. When all of M is one A block and B's rows are contiguous (<see cref="ReadsBInPlace"/>), the
/// kernel reads full B panels where they lie instead of packing them (as BLIS's "sup" path does): each panel would
/// serve the M loop only once, so packing is a pure extra pass over B, and reading in place lets the FMAs overlap
/// the weights streaming in from memory. Only a last panel narrower than NR is packed.
/// </summary>
internal static unsafe class BlockedGemm<T, TKernel>
    where T : unmanaged, INumber<T>
    where TKernel : struct, IMicroKernel<T>
{
    [ThreadStatic] private static PackBuffers<T>? t_buffers;

    /// <summary>Elements of the A block buffer: 2·MC rows x KC.</summary>
    private static readonly int s_aElements = RoundUp(2 * TKernel.MC, TKernel.MR) * TKernel.KC;

    public static void Run(in GemmProblem<T> p) => Run(p, default);

    /// <summary>The calling thread's packing buffers (the B block buffer grows on demand through <see cref="PackBuffers{T}.EnsureB"/>).</summary>
    internal static PackBuffers<T> ThreadBuffers => t_buffers ??= new PackBuffers<T>(s_aElements, TKernel.MR * TKernel.NR);

    /// <summary>The blocked product; with <paramref name="shared"/> A is already packed (see <see cref="PackSharedA"/>).</summary>
    public static void Run(in GemmProblem<T> p, SharedA<T> shared)
    {
        var buffers = ThreadBuffers;
        bool inPlace = ReadsBInPlace(p);
        int kcBlock = shared.Data != null ? shared.KBlock : KBlock(p);
        buffers.EnsureB(inPlace ? TKernel.NR * Math.Min(kcBlock, p.K) : RoundUp(Math.Min(TKernel.NC, p.N), TKernel.NR) * Math.Min(kcBlock, p.K));
        // up to 2·MC rows are packed as one A block (it still fits L2): each packed B panel then serves every row
        // once instead of twice from L3 (the SAE weight gradient Xᵀ·G with 256 rows: ~8 % faster on one core)
        int mcBlock = p.M <= 2 * TKernel.MC ? p.M : TKernel.MC;
        for (int jc = 0; jc < p.N; jc += TKernel.NC)
        {
            int nc = Math.Min(TKernel.NC, p.N - jc);
            for (int pc = 0; pc < p.K; pc += kcBlock)
            {
                int kc = Math.Min(kcBlock, p.K - pc);
                T beta = pc == 0 ? p.Beta : T.One;
                T* bInPlace = inPlace ? p.B + pc * p.BRow + jc : null;
                if (inPlace)
                    PackNarrowLastPanel(p, pc, jc, kc, nc, buffers.B);
                else
                    GemmPack<T, TKernel>.PackB(p, pc, jc, kc, nc, buffers.B);
                for (int ic = 0; ic < p.M; ic += mcBlock)
                {
                    int mc = Math.Min(mcBlock, p.M - ic);
                    T* aBlock = shared.Data != null ? shared.Data + (nint)RoundUp(p.M, TKernel.MR) * pc : buffers.A;
                    if (shared.Data == null) GemmPack<T, TKernel>.PackA(p, ic, pc, mc, kc, buffers.A);
                    T* bias = p.Bias == null ? null : p.Bias + jc;
                    bool epilogue = pc + kc == p.K && p.HasEpilogue;
                    MacroKernel(aBlock, buffers.B, bInPlace, p.BRow, buffers.Tile, mc, nc, kc, p.C + ic * p.Ldc + jc, p.Ldc, p.Alpha, beta, epilogue, bias, p.Relu);
                }
            }
        }
    }

    /// <summary>Depth of the K blocks <see cref="Run(in GemmProblem{T})"/> uses for this problem.</summary>
    internal static int KBlock(in GemmProblem<T> p) => ReadsBInPlace(p) ? InPlaceKBlock(p) : TKernel.KC;

    /// <summary>Most elements of an A packed once for all blocks of a column split (4 MB of float): GPT-2 large's
    /// 128 x 5120 fits.</summary>
    internal const int SharedAMaxElements = 1 << 20;

    /// <summary>
    /// Elements of A packed whole (every K block, all M rows as one block) when a column split can share it, else 0:
    /// every block of the split would otherwise pack the same A again.
    /// </summary>
    internal static long SharedAElements(in GemmProblem<T> p)
    {
        long elements = (long)RoundUp(p.M, TKernel.MR) * p.K;
        return p.M <= 2 * TKernel.MC && elements <= SharedAMaxElements ? elements : 0;
    }

    /// <summary>
    /// Packs all of A, every K block, into <paramref name="shared"/>: K block pc (of depth kc) at Data + RoundUp(M, MR)·pc,
    /// laid out as <see cref="GemmPack{T, TKernel}.PackA"/> lays one block.
    /// </summary>
    internal static void PackSharedA(in GemmProblem<T> p, SharedA<T> shared)
    {
        int mPadded = RoundUp(p.M, TKernel.MR);
        for (int pc = 0; pc < p.K; pc += shared.KBlock)
            GemmPack<T, TKernel>.PackA(p, 0, pc, p.M, Math.Min(shared.KBlock, p.K - pc), shared.Data + (nint)mPadded * pc);
    }

    /// <summary>Most rows for which B is read in place: beyond this the packed panels' contiguity pays for the copy.</summary>
    internal const int InPlaceBMaxRows = 256;

    /// <summary>
    /// Whether the kernel reads B's full panels where they lie: allowed on this CPU (<see cref="Gemm.BInPlaceAllowed"/>),
    /// B contiguous along N, M at most one A block (so each panel serves the M loop once) and small enough that the
    /// panel's stride does not cost more than a copy.
    /// </summary>
    internal static bool ReadsBInPlace(in GemmProblem<T> p) => 
        Gemm.BInPlaceAllowed && p.BContiguousAlongN && p.M <= Math.Min(InPlaceBMaxRows, 2 * TKernel.MC) && p.N >= TKernel.NR;

    /// <summary>
    /// K block depth with B in place: there is no packed panel to keep in L1, so when C is too big for L2 (every K
    /// block reads and writes all of C again: the unembedding's 128 x 50257 C is 26 MB) K goes as deep as the A buffer
    /// holds for M rows (128 x 50257 x 768 on one core: 124-142 → 140-155 GFLOP/s). Not when B's rows lie a multiple of
    /// 4 KB apart: a panel's rows then share few L2 sets and a deeper one falls out of L2.
    /// </summary>
    private static int InPlaceKBlock(in GemmProblem<T> p)
    {
        if ((long)p.M * p.N * sizeof(T) <= DeepKMinCBytes || p.BRow * sizeof(T) % 4096 == 0) return TKernel.KC;
        return Math.Min(p.K, Math.Max(TKernel.KC, s_aElements / RoundUp(p.M, TKernel.MR)));
    }

    /// <summary>Bytes of C above which B-in-place K blocks go deep (C no longer fits a 1-2 MB L2).</summary>
    internal const long DeepKMinCBytes = 2 << 20;

    /// <summary>B in place: the last panel, when narrower than NR, still goes through the buffer zero-padded.</summary>
    private static void PackNarrowLastPanel(in GemmProblem<T> p, int pc, int jc, int kc, int nc, T* dst)
    {
        int full = nc / TKernel.NR * TKernel.NR;
        if (full < nc) GemmPack<T, TKernel>.PackB(p, pc, jc + full, kc, nc - full, dst);
    }

    /// <summary>All MR x NR tiles of an mc x nc block of C; with <paramref name="epilogue"/> (the last K block) each tile
    /// also gets the bias and ReLU right after its kernel call. B's full panels are read at
    /// <paramref name="bInPlace"/> (rows <paramref name="bRow"/> apart) unless it is null; packed panels sit at
    /// <paramref name="bPacked"/>, kc x NR each. Edge tiles go through <paramref name="tile"/> (MR x NR).</summary>
    internal static void MacroKernel(T* aBlock, T* bPacked, T* bInPlace, nint bRow, T* tile, int mc, int nc, int kc, T* c, nint ldc, T alpha, T beta,
                                     bool epilogue, T* bias, bool relu)
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            bool panelInPlace = bInPlace != null && cols == nr;
            T* bPanel = panelInPlace ? bInPlace + jr : bInPlace != null ? bPacked : bPacked + (nint)jr * kc;
            nint ldb = panelInPlace ? bRow : nr;
            for (int ir = 0; ir < mc; ir += mr)
            {
                T* aPanel = aBlock + (nint)ir * kc;
                T* cTile = c + ir * ldc + jr;
                int rows = Math.Min(mr, mc - ir);
                if (rows == mr && cols == nr)
                    TKernel.Run(kc, aPanel, bPanel, ldb, cTile, ldc, alpha, beta);
                else if (cols == nr && TKernel.RunRows(rows, kc, aPanel, bPanel, ldb, cTile, ldc, alpha, beta)) { }
                else
                    EdgeTile(kc, aPanel, bPanel, ldb, cTile, ldc, rows, cols, alpha, beta, tile);
                if (epilogue) GemmEpilogue<T>.Apply(cTile, ldc, rows, cols, bias == null ? null : bias + jr, relu);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void EdgeTile(int kc, T* a, T* b, nint ldb, T* c, nint ldc, int rows, int cols, T alpha, T beta, T* tile)
    {
        int nr = TKernel.NR;
        if (!TKernel.RunRows(rows, kc, a, b, ldb, tile, nr, alpha, T.Zero))
            TKernel.Run(kc, a, b, ldb, tile, nr, alpha, T.Zero);
        for (int i = 0; i < rows; i++)
        {
            T* cRow = c + i * ldc;
            T* tRow = tile + i * nr;
            if (beta == T.Zero)
                for (int j = 0; j < cols; j++) cRow[j] = tRow[j];
            else
                for (int j = 0; j < cols; j++) cRow[j] = tRow[j] + beta * cRow[j];
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}

/// <summary>A packed once for every block of a column split, K blocks <see cref="KBlock"/> deep; Data null: none.</summary>
internal readonly unsafe struct SharedA<T>(T* data, int kBlock) where T : unmanaged
{
    public readonly T* Data = data;
    public readonly int KBlock = kBlock;
}

/// <summary>
/// Per-thread, 64-byte aligned packing buffers; freed when the owning thread dies. The B block buffer grows on
/// demand (up to KC x NC) so that threads which only ever see small matrices stay small.
/// </summary>
internal sealed unsafe class PackBuffers<T> where T : unmanaged
{
    public readonly T* A, Tile;
    public T* B { get; private set; }
    private int _bElements;

    public PackBuffers(int aElements, int tileElements)
    {
        A = Alloc(aElements);
        Tile = Alloc(tileElements);
    }

    public void EnsureB(int elements)
    {
        if (elements <= _bElements) return;
        NativeMemory.AlignedFree(B);
        B = Alloc(elements);
        _bElements = elements;
    }

    private static T* Alloc(int elements) => (T*)NativeMemory.AlignedAlloc((nuint)(elements * sizeof(T)), 64);

    ~PackBuffers()
    {
        NativeMemory.AlignedFree(A);
        NativeMemory.AlignedFree(B);
        NativeMemory.AlignedFree(Tile);
    }
}
