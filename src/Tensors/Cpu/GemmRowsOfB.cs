using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Interp.Cpu;

/// <summary>
/// C = op(A) · op(B) for a big op(B) stored transposed (its columns are contiguous rows of memory, e.g. a weight kept
/// [N, K] and used as Wᵀ: the tied unembedding x · W_Eᵀ) and few rows of A. The blocked path would pack op(B) into
/// K x NR panels, a transposing copy of all of B on every call (GPT-2's 154 MB W_E: about a quarter of the unembedding's
/// time). Here the transposed product is computed instead,
/// <code>
///   Cᵀ[j, i] = Σ_p op(B)ᵀ[j, p] · op(A)ᵀ[p, i],
/// </code>
/// with <see cref="Avx512RowsAKernel{T}"/> reading B's rows where they lie (12 columns of C at a time, each element
/// broadcast from its row) against op(A)ᵀ packed once (small: M x K) into NR-wide panels. A group's 12 x M results
/// land in a small strip in L1 and are then written into C transposed (12 contiguous elements per row of C), with
/// alpha, beta and the bias/ReLU epilogue. AVX-512 only; other kernel families keep the blocked path.
/// </summary>
internal static unsafe class GemmRowsOfB<T> where T : unmanaged, INumber<T>
{
    private static int MR => Avx512RowsAKernel<T>.MR;
    private static int NR => Avx512RowsAKernel<T>.NR;

    /// <summary>Most rows of C: the packed op(A)ᵀ (M x K) must stay in L2 while every group of B's rows streams past it.</summary>
    internal const int MaxRows = 512;

    /// <summary>Packed op(A)ᵀ at most this many bytes (it is re-read from L2 for every group of 12 columns of C).</summary>
    internal const long MaxPackedABytes = 1 << 20;

    /// <summary>
    /// Bytes of B from which this path is taken: below it the blocked path's pack of B is cheap (B sits in cache).
    /// Tests lower it so that small shapes take this path.
    /// </summary>
    internal static long MinBBytes { get; set; } = 4L << 20;

    /// <summary>
    /// Whether <paramref name="path"/> is AVX-512, op(B) is stored transposed (contiguous along K), C has at least one
    /// NR panel of rows and few enough that op(A)ᵀ stays in L2, the rows' padding to NR wastes at most 1/16 of the
    /// multiply-adds (200 rows, padded to 224, ran ~10 % slower than the blocked path), and B is big.
    /// </summary>
    public static bool Applies(in GemmProblem<T> p, GemmPath path) =>
        path == GemmPath.Avx512 && Gemm.IsSupported(GemmPath.Avx512) && (typeof(T) == typeof(float) || typeof(T) == typeof(double))
        && p.BRow == 1 && p.BCol != 1 && p.M >= NR && p.M <= MaxRows && 16L * (RoundUp(p.M, NR) - p.M) <= p.M
        && (long)RoundUp(p.M, NR) * p.K * sizeof(T) <= MaxPackedABytes
        && (long)p.N * p.K * sizeof(T) >= MinBBytes;

    /// <summary>The product on up to <paramref name="maxThreads"/> threads, each taking groups of B's rows in turn.</summary>
    public static void Run(in GemmProblem<T> p, int maxThreads)
    {
        int groups = (p.N + MR - 1) / MR;
        int threads = Math.Min(Math.Min(maxThreads, GemmThreads.MaxParts), groups);
        if (threads <= 1 || !GemmThreads.TryEnter())
        {
            RunAlone(p);
            return;
        }
        try
        {
            PackAT(p, s_shared.Ensure(PackedAElements(p)));
            // a few parts per thread: a thread slowed by the shared machine leaves its later parts to the other
            int parts = Math.Min(groups, threads * PartsPerThread);
            s_task.Set(p, s_shared.Data, groups, parts);
            GemmThreads.Run(s_task, parts);
        }
        finally
        {
            GemmThreads.Exit();
        }
    }

    /// <summary>Parts of a threaded call per thread (the bench's `gemm-quick --ab` sets it to compare).</summary>
    internal static int PartsPerThread { get; set; } = 4;

    private static void RunAlone(in GemmProblem<T> p)
    {
        var own = t_buffers ??= new Buffers();
        T* packed = own.PackedA.Ensure(PackedAElements(p));
        PackAT(p, packed);
        RunGroups(p, packed, 0, (p.N + MR - 1) / MR);
    }

    private static long PackedAElements(in GemmProblem<T> p) => (long)RoundUp(p.M, NR) * p.K;

    /// <summary>
    /// op(A)ᵀ as NR-wide panels: panel q holds rows q·NR .. q·NR+NR-1 of op(A) (zero past M), element (p, i) at
    /// dst[q·NR·K + p·NR + i - q·NR]: a K x NR panel the kernel reads one row (of NR) per step.
    /// </summary>
    private static void PackAT(in GemmProblem<T> p, T* dst)
    {
        int nr = NR;
        for (int i0 = 0; i0 < p.M; i0 += nr)
        {
            T* panel = dst + (nint)i0 * p.K;
            int rows = Math.Min(nr, p.M - i0);
            if (rows < nr) new Span<T>(panel, nr * p.K).Clear();
            for (int i = 0; i < rows; i++)
            {
                T* src = p.A + (i0 + i) * p.ARow;
                for (int k = 0; k < p.K; k++) panel[k * nr + i] = src[k * p.ACol];
            }
        }
    }

    /// <summary>K block depth: MR rows of B x kc should sit in L1 (half of 48 KB) while the M / NR panels reuse them.</summary>
    private static int KBlock(int k)
    {
        int max = KBlockBytes / (MR * sizeof(T));
        int blocks = (k + max - 1) / max;
        return (k + blocks - 1) / blocks;
    }

    /// <summary>L1 bytes for the MR rows of B of one K block (the bench's `gemm-quick --ab` sets it to compare).</summary>
    internal static int KBlockBytes { get; set; } = 24 * 1024;

    /// <summary>Groups of MR columns of C computed into the strip before it is written out: each row of C then gets
    /// GroupsPerStrip·MR contiguous elements at once (C's rows lie far apart: one 4 KB page each, a TLB miss per write).</summary>
    internal static int GroupsPerStrip { get; set; } = 4;

    /// <summary>Columns [g0·MR, g1·MR) of C (clipped to N), from the packed op(A)ᵀ.</summary>
    private static void RunGroups(in GemmProblem<T> p, T* packedA, int g0, int g1)
    {
        var own = t_buffers ??= new Buffers();
        int mPadded = RoundUp(p.M, NR);
        T* strip = own.Strip.Ensure((long)GroupsPerStrip * MR * mPadded);
        for (int g = g0; g < g1; g += GroupsPerStrip)
        {
            int gEnd = Math.Min(g1, g + GroupsPerStrip);
            for (int q = g; q < gEnd; q++)
                RunGroup(p, packedA, q, strip + (nint)(q - g) * MR * mPadded, mPadded, own);
            StoreTransposed(p, strip, mPadded, g * MR, Math.Min(p.N, gEnd * MR) - g * MR);
        }
    }

    /// <summary>Columns [g·MR, g·MR + MR) of C (clipped to N) into rows of the strip, M (padded) apart.</summary>
    private static void RunGroup(in GemmProblem<T> p, T* packedA, int g, T* strip, int mPadded, Buffers own)
    {
        int j0 = g * MR, cols = Math.Min(MR, p.N - j0), kc = KBlock(p.K);
        // op(B)ᵀ row j (a column of C) at b + j·BCol, its elements 1 apart; a short last group is copied zero-padded
        T* rowsOfB = p.B + j0 * p.BCol;
        nint rowStride = p.BCol;
        if (cols < MR)
        {
            rowsOfB = own.LastRows.Ensure((long)MR * p.K);
            CopyLastRows(p, j0, cols, rowsOfB);
            rowStride = p.K;
        }
        for (int pc = 0; pc < p.K; pc += kc)
        {
            int depth = Math.Min(kc, p.K - pc);
            for (int i0 = 0; i0 < mPadded; i0 += NR)
                Avx512RowsAKernel<T>.Run(depth, rowsOfB + pc, rowStride, 1, packedA + (nint)i0 * p.K + (nint)pc * NR, NR,
                                         strip + i0, mPadded, accumulate: pc > 0);
        }
    }

    private static void CopyLastRows(in GemmProblem<T> p, int j0, int cols, T* dst)
    {
        new Span<T>(dst, MR * p.K).Clear();
        for (int r = 0; r < cols; r++)
            new ReadOnlySpan<T>(p.B + (j0 + r) * p.BCol, p.K).CopyTo(new Span<T>(dst + r * p.K, p.K));
    }

    /// <summary>
    /// C[i, j0 + r] = relu?(alpha · strip[r, i] + beta · C[i, j0 + r] + bias[j0 + r]) for r &lt; cols, i &lt; M
    /// (beta == 0 does not read C).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreTransposed(in GemmProblem<T> p, T* strip, int ldStrip, int j0, int cols)
    {
        bool plain = p.Alpha == T.One && p.Beta == T.Zero && !p.HasEpilogue;
        for (int i = 0; i < p.M; i++)
        {
            T* c = p.C + i * p.Ldc + j0;
            T* s = strip + i;
            if (plain)
            {
                CopyColumn(s, ldStrip, c, cols);
                continue;
            }
            for (int r = 0; r < cols; r++)
            {
                T v = p.Alpha * s[r * ldStrip];
                if (p.Beta != T.Zero) v += p.Beta * c[r];
                if (p.Bias != null) v += p.Bias[j0 + r];
                if (p.Relu && v < T.Zero) v = T.Zero; // NaN stays NaN, as in GemmEpilogue
                c[r] = v;
            }
        }
    }

    /// <summary>c[r] = s[r·ld] for r &lt; cols: a column of the strip into a row of C, 8 or 4 lanes per gather.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyColumn(T* s, int ld, T* c, int cols)
    {
        int r = 0;
        if (Avx2.IsSupported && typeof(T) == typeof(float))
        {
            var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * ld;
            for (; r <= cols - 8; r += 8) Avx2.GatherVector256((float*)s + (nint)r * ld, index, 4).Store((float*)c + r);
        }
        else if (Avx2.IsSupported && typeof(T) == typeof(double))
        {
            var index = Vector128.Create(0, 1, 2, 3) * ld;
            for (; r <= cols - 4; r += 4) Avx2.GatherVector256((double*)s + (nint)r * ld, index, 8).Store((double*)c + r);
        }
        for (; r < cols; r++) c[r] = s[(nint)r * ld];
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    [ThreadStatic] private static Buffers? t_buffers;

    /// <summary>The packed op(A)ᵀ of a threaded call; only touched while the pool is held.</summary>
    private static readonly AlignedBuffer<T> s_shared = new();

    private static readonly GroupTask s_task = new();

    /// <summary>A thread's strip of results, its zero-padded copy of a short last group, and (alone) its packed op(A)ᵀ.</summary>
    private sealed class Buffers
    {
        public readonly AlignedBuffer<T> Strip = new(), LastRows = new(), PackedA = new();
    }

    /// <summary>Part t of a threaded call: groups [groups·t/parts, groups·(t+1)/parts).</summary>
    private sealed class GroupTask : GemmTask
    {
        private GemmProblem<T> _problem;
        private T* _packedA;
        private int _groups, _parts;

        public void Set(in GemmProblem<T> problem, T* packedA, int groups, int parts)
        {
            _problem = problem; _packedA = packedA; _groups = groups; _parts = parts;
        }

        public override void Execute(int part) =>
            RunGroups(_problem, _packedA, (int)((long)_groups * part / _parts), (int)((long)_groups * (part + 1) / _parts));
    }
}
