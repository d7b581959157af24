using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Interp.Cpu;

/// <summary>
/// AVX2 + FMA micro-kernel, MR x NR = 6 x 2V where V = lanes per ymm (8 floats: 6 x 16; 4 doubles: 6 x 8).
/// <para>
/// Math: for p in 0..kc, with b0|b1 = Bp[p, 0..2V] (two ymm loads) and a_i = Ap[i, p] broadcast,
///   c_i0 += a_i * b0,  c_i1 += a_i * b1   for i in 0..6,
/// a rank-1 update of the 6 x 2V tile of C held in 12 ymm accumulators (12 + 2 + 1 of the 16 ymm registers).
/// Finally C = alpha * acc + beta * C, where beta == 0 never reads C. Row p of B sits at b + p*ldb (NR when packed).
/// </para>
/// </summary>
internal unsafe struct Avx2Kernel<T> : IMicroKernel<T> where T : unmanaged, INumber<T>
{
    public static int MR => 6;
    public static int NR => 2 * Vector256<T>.Count;
    public static int KC => 256;  // B panel 256 x 2V x 4 B = 16 KB, L1
    public static int MC => 120;  // A block 120 x 256 x 4 B = 120 KB, L2
    public static int NC => 4096;
    public static int RowGrain => MR;
    public static bool RunRows(int rows, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) => false;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint v = Vector256<T>.Count;
        PrefetchTile(c, ldc);
        for (nint p = 0; p < kc; p++, a += 6, b += ldb)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + v);
            Step(a + 0, b0, b1, ref c00, ref c01);
            Step(a + 1, b0, b1, ref c10, ref c11);
            Step(a + 2, b0, b1, ref c20, ref c21);
            Step(a + 3, b0, b1, ref c30, ref c31);
            Step(a + 4, b0, b1, ref c40, ref c41);
            Step(a + 5, b0, b1, ref c50, ref c51);
        }
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        bool readC = beta != T.Zero;
        Store(c + 0 * ldc, c00, c01, va, vb, readC);
        Store(c + 1 * ldc, c10, c11, va, vb, readC);
        Store(c + 2 * ldc, c20, c21, va, vb, readC);
        Store(c + 3 * ldc, c30, c31, va, vb, readC);
        Store(c + 4 * ldc, c40, c41, va, vb, readC);
        Store(c + 5 * ldc, c50, c51, va, vb, readC);
    }

    /// <summary>Starts pulling the C tile into L1 while the k loop runs, so the epilogue does not stall on it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(T* c, nint ldc)
    {
        for (int i = 0; i < 6; i++, c += ldc)
        {
            Sse.Prefetch0(c);
            Sse.Prefetch0((byte*)c + 63);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(T* a, Vector256<T> b0, Vector256<T> b1, ref Vector256<T> c0, ref Vector256<T> c1)
    {
        var ai = Vector256.Create(*a);
        c0 = MulAdd(ai, b0, c0);
        c1 = MulAdd(ai, b1, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, Vector256<T> c0, Vector256<T> c1, Vector256<T> va, Vector256<T> vb, bool readC)
    {
        nint v = Vector256<T>.Count;
        if (readC)
        {
            c0 = MulAdd(va, c0, vb * Vector256.Load(c));
            c1 = MulAdd(va, c1, vb * Vector256.Load(c + v));
        }
        else
        {
            c0 *= va;
            c1 *= va;
        }
        Vector256.Store(c0, c);
        Vector256.Store(c1, c + v);
    }

    /// <summary>x * y + z in one rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> MulAdd(Vector256<T> x, Vector256<T> y, Vector256<T> z)
    {
        if (typeof(T) == typeof(float))
            return Fma.MultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Fma.MultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }
}
