using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Interp.Cpu;

/// <summary>
/// AVX-512 micro-kernel, MR x NR = 12 x 2V where V = lanes per zmm (16 floats: 12 x 32; 8 doubles: 12 x 16).
/// <para>
/// Math: for p in 0..kc, with b0|b1 = Bp[p, 0..2V] (two zmm loads) and a_i = Ap[i, p] broadcast to all lanes,
///   c_i0 += a_i * b0,  c_i1 += a_i * b1   for i in 0..12,
/// i.e. a rank-1 update of the 12 x 2V tile of C held in 24 zmm accumulators. Per step 2 loads and 12 broadcasts
/// feed 24 independent FMAs, which keeps both FMA pipes busy through the FMA latency; 24 + 2 + 1 of the 32 zmm
/// registers are live. Finally C = alpha * acc + beta * C, where beta == 0 never reads C.
/// Row p of B sits at b + p*ldb: ldb = NR for a packed panel, B's own row stride when B is read in place.
/// </para>
/// </summary>
internal unsafe struct Avx512Kernel<T> : IMicroKernel<T> where T : unmanaged, INumber<T>
{
    public static int MR => 12;
    public static int NR => 2 * Vector512<T>.Count;
    public static int KC => 256;  // B panel 256 x 2V x 4 B = 32 KB of the 48 KB L1D (Zen 5); same bytes for double
    public static int MC => 288;  // A block 288 x 256 x 4 B = 288 KB of the 1 MB L2: each B panel fetched into L1 serves 24 tiles, not 12 (the SAE's six GEMMs 165-176 → 181 GFLOP/s a core)
    public static int NC => 4096; // B block up to 4 MB, L3

    public static void Run(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) =>
        RunTile<BPanelInL1>(kc, a, b, ldb, c, ldc, alpha, beta);

    /// <summary>
    /// <see cref="Run"/> for the panel order of <see cref="GemmSharedA{T}"/>, where the A panel stays in L1 and each packed
    /// B panel streams in from L2 once: each step also prefetches B <see cref="BPrefetchSteps"/> rows ahead and A
    /// <see cref="APrefetchSteps"/> steps ahead into L1.
    /// </summary>
    public static void RunStreamingB(nint kc, T* a, T* b, T* c, nint ldc, T alpha, T beta) =>
        RunTile<BPanelStreams>(kc, a, b, NR, c, ldc, alpha, beta);

    /// <summary>Steps ahead that <see cref="RunStreamingB"/> prefetches a packed B panel's rows (2 KB of float).</summary>
    private const int BPrefetchSteps = 16;

    /// <summary>Steps ahead that <see cref="RunStreamingB"/> prefetches the A panel (768 bytes of float, 12 lines).</summary>
    private const int APrefetchSteps = 16;

    /// <summary>Where the B panel comes from, as a type so that the JIT compiles one <see cref="RunTile{TOrder}"/> for each.</summary>
    private struct BPanelInL1;
    private struct BPanelStreams;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTile<TOrder>(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) where TOrder : struct
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default,
            c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        nint v = Vector512<T>.Count;
        if (typeof(TOrder) == typeof(BPanelStreams)) ldb = NR;   // packed: a constant stride
        nint prefetchEvery = Math.Max(kc / 16, 1), nextPrefetch = 0;
        int rowsPrefetched = 0;
        for (nint p = 0; p < kc; p++, a += 12, b += ldb)
        {
            if (p == nextPrefetch) // one row of the C tile every kc/16 steps (see PrefetchRow)
            {
                PrefetchRow(c + rowsPrefetched * ldc);
                nextPrefetch = ++rowsPrefetched < 12 ? nextPrefetch + prefetchEvery : -1;
            }
            if (typeof(TOrder) == typeof(BPanelStreams))
            {
                Sse.Prefetch0(b + BPrefetchSteps * ldb);
                Sse.Prefetch0(b + BPrefetchSteps * ldb + v);
                Sse.Prefetch0(a + APrefetchSteps * 12);
            }
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + v);
            Step(a + 0, b0, b1, ref c00, ref c01);
            Step(a + 1, b0, b1, ref c10, ref c11);
            Step(a + 2, b0, b1, ref c20, ref c21);
            Step(a + 3, b0, b1, ref c30, ref c31);
            Step(a + 4, b0, b1, ref c40, ref c41);
            Step(a + 5, b0, b1, ref c50, ref c51);
            Step(a + 6, b0, b1, ref c60, ref c61);
            Step(a + 7, b0, b1, ref c70, ref c71);
            Step(a + 8, b0, b1, ref c80, ref c81);
            Step(a + 9, b0, b1, ref c90, ref c91);
            Step(a + 10, b0, b1, ref ca0, ref ca1);
            Step(a + 11, b0, b1, ref cb0, ref cb1);
        }
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool readC = beta != T.Zero;
        Store(c + 0 * ldc, c00, c01, va, vb, readC);
        Store(c + 1 * ldc, c10, c11, va, vb, readC);
        Store(c + 2 * ldc, c20, c21, va, vb, readC);
        Store(c + 3 * ldc, c30, c31, va, vb, readC);
        Store(c + 4 * ldc, c40, c41, va, vb, readC);
        Store(c + 5 * ldc, c50, c51, va, vb, readC);
        Store(c + 6 * ldc, c60, c61, va, vb, readC);
        Store(c + 7 * ldc, c70, c71, va, vb, readC);
        Store(c + 8 * ldc, c80, c81, va, vb, readC);
        Store(c + 9 * ldc, c90, c91, va, vb, readC);
        Store(c + 10 * ldc, ca0, ca1, va, vb, readC);
        Store(c + 11 * ldc, cb0, cb1, va, vb, readC);
    }

    /// <summary>Rows per part of a row split: a part's last panel of 4 or 8 rows runs <see cref="RunRows"/>, so rows split
    /// in fours waste no FMAs on padding (512 rows on two threads: 256 each, not 252 and 260 = 22 full tiles).</summary>
    public static int RowGrain => 4;

    /// <summary>The first <paramref name="rows"/> rows of the tile, for an edge panel of at most 8 rows: 4 or 8 rows of
    /// accumulators instead of 12, so a 4-row edge costs about a third of <see cref="Run"/>. False (nothing done) for more rows.</summary>
    public static bool RunRows(int rows, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        if (rows <= 4) RunTop4(rows, kc, a, b, ldb, c, ldc, alpha, beta);
        else if (rows <= 8) RunTop8(rows, kc, a, b, ldb, c, ldc, alpha, beta);
        else return false;
        return true;
    }

    /// <summary><see cref="Run"/> on rows 0..3 of the panel (still MR = 12 wide), storing the first <paramref name="rows"/> of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTop4(int rows, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        nint v = Vector512<T>.Count;
        for (nint p = 0; p < kc; p++, a += 12, b += ldb)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + v);
            Step(a + 0, b0, b1, ref c00, ref c01);
            Step(a + 1, b0, b1, ref c10, ref c11);
            Step(a + 2, b0, b1, ref c20, ref c21);
            Step(a + 3, b0, b1, ref c30, ref c31);
        }
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool readC = beta != T.Zero;
        Store(c, c00, c01, va, vb, readC);
        if (rows > 1) Store(c + ldc, c10, c11, va, vb, readC);
        if (rows > 2) Store(c + 2 * ldc, c20, c21, va, vb, readC);
        if (rows > 3) Store(c + 3 * ldc, c30, c31, va, vb, readC);
    }

    /// <summary><see cref="Run"/> on rows 0..7 of the panel (still MR = 12 wide), storing the first <paramref name="rows"/> of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTop8(int rows, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default;
        nint v = Vector512<T>.Count;
        for (nint p = 0; p < kc; p++, a += 12, b += ldb)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + v);
            Step(a + 0, b0, b1, ref c00, ref c01);
            Step(a + 1, b0, b1, ref c10, ref c11);
            Step(a + 2, b0, b1, ref c20, ref c21);
            Step(a + 3, b0, b1, ref c30, ref c31);
            Step(a + 4, b0, b1, ref c40, ref c41);
            Step(a + 5, b0, b1, ref c50, ref c51);
            Step(a + 6, b0, b1, ref c60, ref c61);
            Step(a + 7, b0, b1, ref c70, ref c71);
        }
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool readC = beta != T.Zero;
        Store(c, c00, c01, va, vb, readC);
        Store(c + ldc, c10, c11, va, vb, readC);
        Store(c + 2 * ldc, c20, c21, va, vb, readC);
        Store(c + 3 * ldc, c30, c31, va, vb, readC);
        Store(c + 4 * ldc, c40, c41, va, vb, readC);
        if (rows > 5) Store(c + 5 * ldc, c50, c51, va, vb, readC);
        if (rows > 6) Store(c + 6 * ldc, c60, c61, va, vb, readC);
        if (rows > 7) Store(c + 7 * ldc, c70, c71, va, vb, readC);
    }

    /// <summary>
    /// Starts pulling one row of the C tile (its two 64-byte lines) into L1 while the k loop runs, so the epilogue does not
    /// stall on it. <see cref="Run"/> spreads the tile's 12 rows over the first three quarters of the loop rather than
    /// asking for all 24 lines at once: those then held every line-fill buffer of the core (16 on the Intel Xeon, family 6
    /// model 207) for a trip to memory when C is big, and the A panel streaming in from L2 waited behind them
    /// (one core, thread CPU time, alternated sample by sample: n = 2048 153-159 → 158-163 GFLOP/s, 1024 158-159 → 161-164).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRow(T* row)
    {
        Sse.Prefetch0(row);
        Sse.Prefetch0((byte*)row + 127);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Step(T* a, Vector512<T> b0, Vector512<T> b1, ref Vector512<T> c0, ref Vector512<T> c1)
    {
        var ai = Vector512.Create(*a);
        c0 = MulAdd(ai, b0, c0);
        c1 = MulAdd(ai, b1, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, Vector512<T> c0, Vector512<T> c1, Vector512<T> va, Vector512<T> vb, bool readC)
    {
        nint v = Vector512<T>.Count;
        if (readC)
        {
            c0 = MulAdd(va, c0, vb * Vector512.Load(c));
            c1 = MulAdd(va, c1, vb * Vector512.Load(c + v));
        }
        else
        {
            c0 *= va;
            c1 *= va;
        }
        Vector512.Store(c0, c);
        Vector512.Store(c1, c + v);
    }

    /// <summary>x * y + z in one rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<T> MulAdd(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
            return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }
}
