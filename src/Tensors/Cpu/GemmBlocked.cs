using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Interp.Cpu;

/// <summary>
/// A register-tiled micro-kernel: C[MR x NR] = alpha * Ap * Bp + beta * C, where Ap is a packed MR x kc panel
/// (column p of it at a + p*MR) and Bp a packed kc x NR panel (row p at b + p*NR). beta == 0 must not read C.
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
    static abstract void Run(nint kc, T* a, T* b, T* c, nint ldc, T alpha, T beta);
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
/// temporary tile.
/// </summary>
internal static unsafe class BlockedGemm<T, TKernel>
    where T : unmanaged, INumber<T>
    where TKernel : struct, IMicroKernel<T>
{
    [ThreadStatic] private static PackBuffers<T>? t_buffers;

    public static void Run(in GemmProblem<T> p)
    {
        var buffers = t_buffers ??= new PackBuffers<T>(RoundUp(2 * TKernel.MC, TKernel.MR) * TKernel.KC, TKernel.MR * TKernel.NR);
        buffers.EnsureB(RoundUp(Math.Min(TKernel.NC, p.N), TKernel.NR) * Math.Min(TKernel.KC, p.K));
        // up to 2·MC rows are packed as one A block (it still fits L2): each packed B panel then serves every row
        // once instead of twice from L3 (the SAE weight gradient Xᵀ·G with 256 rows: ~8 % faster on one core)
        int mcBlock = p.M <= 2 * TKernel.MC ? p.M : TKernel.MC;
        for (int jc = 0; jc < p.N; jc += TKernel.NC)
        {
            int nc = Math.Min(TKernel.NC, p.N - jc);
            for (int pc = 0; pc < p.K; pc += TKernel.KC)
            {
                int kc = Math.Min(TKernel.KC, p.K - pc);
                T beta = pc == 0 ? p.Beta : T.One;
                GemmPack<T, TKernel>.PackB(p, pc, jc, kc, nc, buffers.B);
                for (int ic = 0; ic < p.M; ic += mcBlock)
                {
                    int mc = Math.Min(mcBlock, p.M - ic);
                    GemmPack<T, TKernel>.PackA(p, ic, pc, mc, kc, buffers.A);
                    T* bias = p.Bias == null ? null : p.Bias + jc;
                    bool epilogue = pc + kc == p.K && p.HasEpilogue;
                    MacroKernel(buffers, mc, nc, kc, p.C + ic * p.Ldc + jc, p.Ldc, p.Alpha, beta, epilogue, bias, p.Relu);
                }
            }
        }
    }

    /// <summary>All MR x NR tiles of an mc x nc block of C; with <paramref name="epilogue"/> (the last K block) each tile
    /// also gets the bias and ReLU right after its kernel call.</summary>
    private static void MacroKernel(PackBuffers<T> buf, int mc, int nc, int kc, T* c, nint ldc, T alpha, T beta,
                                    bool epilogue, T* bias, bool relu)
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        for (int jr = 0; jr < nc; jr += nr)
        {
            T* bPanel = buf.B + (nint)jr * kc;
            int cols = Math.Min(nr, nc - jr);
            for (int ir = 0; ir < mc; ir += mr)
            {
                T* aPanel = buf.A + (nint)ir * kc;
                T* cTile = c + ir * ldc + jr;
                int rows = Math.Min(mr, mc - ir);
                if (rows == mr && cols == nr)
                    TKernel.Run(kc, aPanel, bPanel, cTile, ldc, alpha, beta);
                else
                    EdgeTile(kc, aPanel, bPanel, cTile, ldc, rows, cols, alpha, beta, buf.Tile);
                if (epilogue) GemmEpilogue<T>.Apply(cTile, ldc, rows, cols, bias == null ? null : bias + jr, relu);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EdgeTile(int kc, T* a, T* b, T* c, nint ldc, int rows, int cols, T alpha, T beta, T* tile)
    {
        int nr = TKernel.NR;
        TKernel.Run(kc, a, b, tile, nr, alpha, T.Zero);
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
