using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Interp.Cpu;

/// <summary>
/// Packing of op(A) / op(B) blocks into the panel layouts the micro-kernels read (panel widths MR / NR are JIT-time
/// constants of <typeparamref name="TKernel"/>). Because op() is expressed
/// through strides in <see cref="GemmProblem{T}"/>, all four transpose combinations pack without ever
/// materialising a transpose; each side has a fast path for the orientation where a panel row is contiguous.
/// </summary>
internal static unsafe class GemmPack<T, TKernel>
    where T : unmanaged, INumber<T>
    where TKernel : struct, IMicroKernel<T>
{
    /// <summary>
    /// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] as consecutive MR x kc panels; inside a panel element (i, p) sits at
    /// p*MR + i. Rows past mc are zero.
    /// </summary>
    public static void PackA(in GemmProblem<T> g, int i0, int p0, int mc, int kc, T* dst)
    {
        int mr = TKernel.MR;
        if (g.ARow == 1 && mc > mr)
        {
            DealRows(g.A + i0 + p0 * g.ACol, g.ACol, mc, kc, dst);
            return;
        }
        for (int ir = 0; ir < mc; ir += mr, dst += mr * kc)
        {
            int rows = Math.Min(mr, mc - ir);
            T* src = g.A + (i0 + ir) * g.ARow + p0 * g.ACol;
            if (g.AContiguousAlongK)
                Interleave(src, g.ARow, rows, kc, mr, dst);
            else
                CopyRows(src, g.ACol, rows, kc, mr, dst);
        }
    }

    /// <summary>
    /// <see cref="PackA"/> for an op(A) whose columns are contiguous (a transposed A, as in the weight gradient Xᵀ·G):
    /// rows p of the block (mc elements in a row at src + p*stride) are dealt out to the panels, MR elements each,
    /// <see cref="DealDepth"/> rows p at a time. Those few source rows stay in L1 while every panel takes its piece,
    /// and each visit to a panel writes whole lines. Panel by panel, as <see cref="CopyRows"/> goes, each panel read
    /// its MR elements of all kc rows (kc lines kilobytes apart, more than L1 keeps), so the lines that straddle two
    /// panels came from L2 twice; row by row, all panels' lines for one p alias in L1 (panels lie MR·KC elements apart).
    /// </summary>
    private static void DealRows(T* src, nint stride, int mc, int kc, T* dst)
    {
        int mr = TKernel.MR, full = mc / mr * mr;
        uint pieceBytes = (uint)(mr * sizeof(T));
        nint panelSize = (nint)mr * kc;
        for (int p0 = 0; p0 < kc; p0 += DealDepth)
        {
            int depth = Math.Min(DealDepth, kc - p0);
            T* rows = src + p0 * stride;
            T* panel = dst + p0 * mr;
            int i = 0;
            for (; i < full; i += mr, panel += panelSize)
                for (int p = 0; p < depth; p++)
                    Unsafe.CopyBlockUnaligned(panel + p * mr, rows + p * stride + i, pieceBytes);
            if (i == mc) continue;
            for (int p = 0; p < depth; p++)
            {
                int q = 0;
                for (; i + q < mc; q++) panel[p * mr + q] = rows[p * stride + i + q];
                for (; q < mr; q++) panel[p * mr + q] = T.Zero;
            }
        }
    }

    /// <summary>Rows p dealt at a time: 8 source lines fit one L1 set (12 ways) even when rows lie 4 KB multiples apart.</summary>
    private const int DealDepth = 8;

    /// <summary>
    /// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] as consecutive kc x NR panels; inside a panel element (p, j) sits at
    /// p*NR + j. Columns past nc are zero.
    /// </summary>
    public static void PackB(in GemmProblem<T> g, int p0, int j0, int kc, int nc, T* dst)
    {
        int nr = TKernel.NR;
        for (int jr = 0; jr < nc; jr += nr, dst += nr * kc)
        {
            int cols = Math.Min(nr, nc - jr);
            T* src = g.B + p0 * g.BRow + (j0 + jr) * g.BCol;
            if (g.BContiguousAlongN)
                CopyRows(src, g.BRow, cols, kc, nr, dst);
            else
                Interleave(src, g.BCol, cols, kc, nr, dst);
        }
    }

    /// <summary>
    /// Panel row p = the <paramref name="count"/> contiguous elements at src + p*stride, zero-padded to width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // so that width, always MR or NR, is a constant
    private static void CopyRows(T* src, nint stride, int count, int kc, int width, T* dst)
    {
        if (count == width)
        {
            uint bytes = (uint)(width * sizeof(T));
            for (int p = 0; p < kc; p++, src += stride, dst += width)
                Unsafe.CopyBlockUnaligned(dst, src, bytes);
            return;
        }
        for (int p = 0; p < kc; p++, src += stride, dst += width)
        {
            int j = 0;
            for (; j < count; j++) dst[j] = src[j];
            for (; j < width; j++) dst[j] = T.Zero;
        }
    }

    /// <summary>
    /// Panel element (p, q) = src[q*stride + p] for q &lt; count (each source line is contiguous along p),
    /// zero for count &lt;= q &lt; width.
    /// </summary>
    internal static void Interleave(T* src, nint stride, int count, int kc, int width, T* dst)
    {
        if (typeof(T) == typeof(float) && typeof(TKernel) == typeof(Avx512Kernel<T>) && count == width && width % 16 == 0)
        {
            InterleaveFloat16((float*)src, stride, kc, width, (float*)dst);
            return;
        }
        if (typeof(T) == typeof(float) && Avx.IsSupported && count == width && width % 8 == 0)
        {
            InterleaveFloat8((float*)src, stride, kc, width, (float*)dst);
            return;
        }
        if (typeof(T) == typeof(float) && Avx.IsSupported && count % 4 == 0 && width % 4 == 0)
        {
            // also A's last panel of a multiple of 4 rows (M = 128 leaves 8 of MR = 12), packed again for every block
            InterleaveFloat4x8((float*)src, stride, kc, count, width, (float*)dst);
            ZeroColumns(count, width, kc, dst);
            return;
        }
        for (int q = 0; q < count; q++)
        {
            T* line = src + q * stride;
            T* col = dst + q;
            for (int p = 0; p < kc; p++) col[p * width] = line[p];
        }
        ZeroColumns(count, width, kc, dst);
    }

    /// <summary>Panel columns count .. width-1 (past the source's edge) of every row p set to zero.</summary>
    private static void ZeroColumns(int count, int width, int kc, T* dst)
    {
        for (int q = count; q < width; q++)
            for (int p = 0; p < kc; p++) dst[p * width + q] = T.Zero;
    }

    /// <summary>
    /// <see cref="Interleave"/> for float and full panels of a width divisible by 8 (B's NR), by 8 x 8 AVX register
    /// transposes: eight source lines x eight consecutive p become eight panel rows of eight consecutive q. It packs the
    /// transposed B of weight gradients (a conv's Σ g·colsᵀ): about half the instructions of 4 x 4 SSE transposes.
    /// </summary>
    private static void InterleaveFloat8(float* src, nint stride, int kc, int width, float* dst)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
            for (int q = 0; q < width; q += 8)
            {
                float* line = src + q * stride + p;
                var r0 = Avx.LoadVector256(line); var r1 = Avx.LoadVector256(line + stride);
                var r2 = Avx.LoadVector256(line + 2 * stride); var r3 = Avx.LoadVector256(line + 3 * stride);
                var r4 = Avx.LoadVector256(line + 4 * stride); var r5 = Avx.LoadVector256(line + 5 * stride);
                var r6 = Avx.LoadVector256(line + 6 * stride); var r7 = Avx.LoadVector256(line + 7 * stride);
                var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);   // r0p0 r1p0 r0p1 r1p1 | p4 p5; p2 p3 | p6 p7
                var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
                var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
                var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
                var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);   // r0-3 at p0 | p4, at p1 | p5
                var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);   // p2 | p6, p3 | p7
                var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);   // r4-7 likewise
                var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
                float* o = dst + p * width + q;
                Avx.Store(o, Avx.Permute2x128(s0, s4, 0x20));
                Avx.Store(o + width, Avx.Permute2x128(s1, s5, 0x20));
                Avx.Store(o + 2 * width, Avx.Permute2x128(s2, s6, 0x20));
                Avx.Store(o + 3 * width, Avx.Permute2x128(s3, s7, 0x20));
                Avx.Store(o + 4 * width, Avx.Permute2x128(s0, s4, 0x31));
                Avx.Store(o + 5 * width, Avx.Permute2x128(s1, s5, 0x31));
                Avx.Store(o + 6 * width, Avx.Permute2x128(s2, s6, 0x31));
                Avx.Store(o + 7 * width, Avx.Permute2x128(s3, s7, 0x31));
            }
        for (; p < kc; p++)
            for (int q = 0; q < width; q++)
                dst[p * width + q] = src[q * stride + p];
    }

    /// <summary>
    /// <see cref="Interleave"/> for float and full panels of a width divisible by 16 (AVX-512's B panels), by 16 x 16
    /// register transposes, sixteen source lines at a time, each read a whole 64-byte stretch per step: the unembedding's
    /// transposed W_E [50257, 768] is packed so on every forward.
    /// </summary>
    private static void InterleaveFloat16(float* src, nint stride, int kc, int width, float* dst)
    {
        int p16 = kc / 16 * 16;
        for (int q = 0; q < width; q += 16)
        {
            for (int p = 0; p < p16; p += 16)
            {
                float* line = src + q * stride + p;
                var r0 = Vector512.Load(line); var r1 = Vector512.Load(line + stride);
                var r2 = Vector512.Load(line + 2 * stride); var r3 = Vector512.Load(line + 3 * stride);
                var r4 = Vector512.Load(line + 4 * stride); var r5 = Vector512.Load(line + 5 * stride);
                var r6 = Vector512.Load(line + 6 * stride); var r7 = Vector512.Load(line + 7 * stride);
                var r8 = Vector512.Load(line + 8 * stride); var r9 = Vector512.Load(line + 9 * stride);
                var r10 = Vector512.Load(line + 10 * stride); var r11 = Vector512.Load(line + 11 * stride);
                var r12 = Vector512.Load(line + 12 * stride); var r13 = Vector512.Load(line + 13 * stride);
                var r14 = Vector512.Load(line + 14 * stride); var r15 = Vector512.Load(line + 15 * stride);
                // pairs of lines interleaved, then groups of four (within each 128-bit lane) ...
                var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
                var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
                var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
                var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
                var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
                var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
                var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
                var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);
                r0 = Avx512F.Shuffle(t0, t2, 0x44); r1 = Avx512F.Shuffle(t0, t2, 0xEE);
                r2 = Avx512F.Shuffle(t1, t3, 0x44); r3 = Avx512F.Shuffle(t1, t3, 0xEE);
                r4 = Avx512F.Shuffle(t4, t6, 0x44); r5 = Avx512F.Shuffle(t4, t6, 0xEE);
                r6 = Avx512F.Shuffle(t5, t7, 0x44); r7 = Avx512F.Shuffle(t5, t7, 0xEE);
                r8 = Avx512F.Shuffle(t8, t10, 0x44); r9 = Avx512F.Shuffle(t8, t10, 0xEE);
                r10 = Avx512F.Shuffle(t9, t11, 0x44); r11 = Avx512F.Shuffle(t9, t11, 0xEE);
                r12 = Avx512F.Shuffle(t12, t14, 0x44); r13 = Avx512F.Shuffle(t12, t14, 0xEE);
                r14 = Avx512F.Shuffle(t13, t15, 0x44); r15 = Avx512F.Shuffle(t13, t15, 0xEE);
                // ... then the 128-bit lanes moved across lines, twice
                t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88);
                t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
                t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
                t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
                t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t9 = Avx512F.Shuffle4x128(r9, r13, 0x88);
                t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
                t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
                t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);
                float* o = dst + p * width + q;
                Vector512.Store(Avx512F.Shuffle4x128(t0, t8, 0x88), o);
                Vector512.Store(Avx512F.Shuffle4x128(t1, t9, 0x88), o + width);
                Vector512.Store(Avx512F.Shuffle4x128(t2, t10, 0x88), o + 2 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t3, t11, 0x88), o + 3 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t4, t12, 0x88), o + 4 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t5, t13, 0x88), o + 5 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t6, t14, 0x88), o + 6 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t7, t15, 0x88), o + 7 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t0, t8, 0xDD), o + 8 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t1, t9, 0xDD), o + 9 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t2, t10, 0xDD), o + 10 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t3, t11, 0xDD), o + 11 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t4, t12, 0xDD), o + 12 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t5, t13, 0xDD), o + 13 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t6, t14, 0xDD), o + 14 * width);
                Vector512.Store(Avx512F.Shuffle4x128(t7, t15, 0xDD), o + 15 * width);
            }
            for (int p = p16; p < kc; p++)
                for (int j = q; j < q + 16; j++)
                    dst[p * width + j] = src[j * stride + p];
        }
    }

    /// <summary>
    /// <see cref="Interleave"/> for float, the first <paramref name="count"/> (a multiple of 4) columns of panels of a
    /// width divisible by 4 (A's MR = 12), by 4 x 8 AVX register transposes: four source lines x eight consecutive p
    /// become eight panel rows of four consecutive q.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InterleaveFloat4x8(float* src, nint stride, int kc, int count, int width, float* dst)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
            for (int q = 0; q < count; q += 4)
            {
                float* line = src + q * stride + p;
                var r0 = Avx.LoadVector256(line);
                var r1 = Avx.LoadVector256(line + stride);
                var r2 = Avx.LoadVector256(line + 2 * stride);
                var r3 = Avx.LoadVector256(line + 3 * stride);
                var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);   // r0p0 r1p0 r0p1 r1p1 | p4 p5; p2 p3 | p6 p7
                var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
                var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);   // r0-3 at p0 | p4, at p1 | p5
                var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);   // p2 | p6, p3 | p7
                float* o = dst + p * width + q;
                Sse.Store(o, s0.GetLower()); Sse.Store(o + 4 * width, s0.GetUpper());
                Sse.Store(o + width, s1.GetLower()); Sse.Store(o + 5 * width, s1.GetUpper());
                Sse.Store(o + 2 * width, s2.GetLower()); Sse.Store(o + 6 * width, s2.GetUpper());
                Sse.Store(o + 3 * width, s3.GetLower()); Sse.Store(o + 7 * width, s3.GetUpper());
            }
        for (; p < kc; p++)
            for (int q = 0; q < count; q++)
                dst[p * width + q] = src[q * stride + p];
    }
}
