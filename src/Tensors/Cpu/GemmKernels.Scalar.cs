using System.Numerics;

namespace Interp.Cpu;

/// <summary>
/// Portable 4 x 4 micro-kernel for CPUs without AVX2/FMA: acc[i, j] = sum_p Ap[i, p] * Bp[p, j], then
/// C = alpha * acc + beta * C. Same packed layout as the SIMD kernels, so the blocked driver is shared; row p of B
/// sits at b + p*ldb (NR when packed).
/// </summary>
internal unsafe struct ScalarKernel<T> : IMicroKernel<T> where T : unmanaged, INumber<T>
{
    public static int MR => 4;
    public static int NR => 4;
    public static int KC => 256;
    public static int MC => 128;
    public static int NC => 1024;
    public static int RowGrain => MR;
    public static bool RunRows(int rows, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) => false;

    public static void Run(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        T* acc = stackalloc T[16];
        for (int t = 0; t < 16; t++) acc[t] = T.Zero;
        for (nint p = 0; p < kc; p++, a += 4, b += ldb)
            for (int i = 0; i < 4; i++)
            {
                T ai = a[i];
                T* row = acc + i * 4;
                row[0] += ai * b[0];
                row[1] += ai * b[1];
                row[2] += ai * b[2];
                row[3] += ai * b[3];
            }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                T* cij = c + i * ldc + j;
                *cij = beta == T.Zero ? alpha * acc[i * 4 + j] : alpha * acc[i * 4 + j] + beta * *cij;
            }
    }
}
