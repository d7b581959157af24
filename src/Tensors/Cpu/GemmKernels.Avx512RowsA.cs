using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Interp.Cpu;

/// <summary>
/// <see cref="Avx512Kernel{T}"/>'s 12 x 2V tile, C = A · B (or C += A · B), with A read where it lies, element (i, p)
/// at a[i·aRow + p·aCol], instead of from a packed panel. For an A made in cache just before (a Winograd group's
/// transformed tiles, rows aRow apart; or their transpose, a tile's channels aCol apart, in the weight gradient) the pack
/// would be a pure extra copy: each broadcast reads its element where it is instead. Same FMAs per step as the packed
/// kernel (2 loads of B, 12 broadcasts, 24 FMAs); the 12 rows come from four pointers, each with offsets of 0, aRow
/// and 2·aRow.
/// </summary>
internal static unsafe class Avx512RowsAKernel<T> where T : unmanaged, INumber<T>
{
    public static int MR => 12;
    public static int NR => 2 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, T* a, nint aRow, nint aCol, T* b, nint ldb, T* c, nint ldc, bool accumulate)
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default,
            c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        nint v = Vector512<T>.Count, lda = aRow, l2 = 2 * aRow;
        T* r0 = a, r3 = a + 3 * lda, r6 = a + 6 * lda, r9 = a + 9 * lda;
        for (nint p = 0; p < kc; p++, r0 += aCol, r3 += aCol, r6 += aCol, r9 += aCol, b += ldb)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + v);
            Avx512Kernel<T>.Step(r0, b0, b1, ref c00, ref c01);
            Avx512Kernel<T>.Step(r0 + lda, b0, b1, ref c10, ref c11);
            Avx512Kernel<T>.Step(r0 + l2, b0, b1, ref c20, ref c21);
            Avx512Kernel<T>.Step(r3, b0, b1, ref c30, ref c31);
            Avx512Kernel<T>.Step(r3 + lda, b0, b1, ref c40, ref c41);
            Avx512Kernel<T>.Step(r3 + l2, b0, b1, ref c50, ref c51);
            Avx512Kernel<T>.Step(r6, b0, b1, ref c60, ref c61);
            Avx512Kernel<T>.Step(r6 + lda, b0, b1, ref c70, ref c71);
            Avx512Kernel<T>.Step(r6 + l2, b0, b1, ref c80, ref c81);
            Avx512Kernel<T>.Step(r9, b0, b1, ref c90, ref c91);
            Avx512Kernel<T>.Step(r9 + lda, b0, b1, ref ca0, ref ca1);
            Avx512Kernel<T>.Step(r9 + l2, b0, b1, ref cb0, ref cb1);
        }
        Store(c + 0 * ldc, c00, c01, accumulate);
        Store(c + 1 * ldc, c10, c11, accumulate);
        Store(c + 2 * ldc, c20, c21, accumulate);
        Store(c + 3 * ldc, c30, c31, accumulate);
        Store(c + 4 * ldc, c40, c41, accumulate);
        Store(c + 5 * ldc, c50, c51, accumulate);
        Store(c + 6 * ldc, c60, c61, accumulate);
        Store(c + 7 * ldc, c70, c71, accumulate);
        Store(c + 8 * ldc, c80, c81, accumulate);
        Store(c + 9 * ldc, c90, c91, accumulate);
        Store(c + 10 * ldc, ca0, ca1, accumulate);
        Store(c + 11 * ldc, cb0, cb1, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, Vector512<T> c0, Vector512<T> c1, bool accumulate)
    {
        if (accumulate)
        {
            c0 += Vector512.Load(c);
            c1 += Vector512.Load(c + Vector512<T>.Count);
        }
        Vector512.Store(c0, c);
        Vector512.Store(c1, c + Vector512<T>.Count);
    }
}
