using System.Numerics;
using System.Runtime.CompilerServices;

namespace Interp.Cpu;

/// <summary>
/// Packing of op(A) / op(B) blocks into the panel layouts the micro-kernels read. Because op() is expressed
/// through strides in <see cref="GemmProblem{T}"/>, all four transpose combinations pack without ever
/// materialising a transpose; each side has a fast path for the orientation where a panel row is contiguous.
/// </summary>
internal static unsafe class GemmPack<T> where T : unmanaged, INumber<T>
{
    /// <summary>
    /// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] as consecutive MR x kc panels; inside a panel element (i, p) sits at
    /// p*MR + i. Rows past mc are zero.
    /// </summary>
    public static void PackA(in GemmProblem<T> g, int i0, int p0, int mc, int kc, int mr, T* dst)
    {
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
    /// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] as consecutive kc x NR panels; inside a panel element (p, j) sits at
    /// p*NR + j. Columns past nc are zero.
    /// </summary>
    public static void PackB(in GemmProblem<T> g, int p0, int j0, int kc, int nc, int nr, T* dst)
    {
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
    private static void Interleave(T* src, nint stride, int count, int kc, int width, T* dst)
    {
        for (int q = 0; q < count; q++)
        {
            T* line = src + q * stride;
            T* col = dst + q;
            for (int p = 0; p < kc; p++) col[p * width] = line[p];
        }
        for (int q = count; q < width; q++)
            for (int p = 0; p < kc; p++) dst[p * width + q] = T.Zero;
    }
}
