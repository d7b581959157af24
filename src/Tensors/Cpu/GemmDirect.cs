using System.Numerics;

namespace Interp.Cpu;

/// <summary>
/// Unblocked loops for tiny problems (no packing, no threads) and for the k == 0 / alpha == 0 case.
/// Rows of C are built with vector axpys over rows of op(B) when those are contiguous, else with dot products.
/// </summary>
internal static unsafe class GemmDirect<T> where T : unmanaged, INumber<T>
{
    /// <summary>C = beta * C; beta == 0 writes zeros without reading C.</summary>
    public static void ScaleC(in GemmProblem<T> p)
    {
        for (int i = 0; i < p.M; i++) ScaleRow(p.C + i * p.Ldc, p.N, p.Beta);
    }

    public static void Run(in GemmProblem<T> p)
    {
        if (p.BContiguousAlongN)
            RunAxpy(p);
        else
            RunDots(p);
    }

    /// <summary>C[i, :] = beta * C[i, :] + sum_q (alpha * op(A)[i, q]) * op(B)[q, :].</summary>
    private static void RunAxpy(in GemmProblem<T> p)
    {
        for (int i = 0; i < p.M; i++)
        {
            T* cRow = p.C + i * p.Ldc;
            ScaleRow(cRow, p.N, p.Beta);
            T* aRow = p.A + i * p.ARow;
            for (int q = 0; q < p.K; q++)
                Axpy(p.Alpha * aRow[q * p.ACol], p.B + q * p.BRow, cRow, p.N);
        }
    }

    /// <summary>C[i, j] = alpha * dot(op(A)[i, :], op(B)[:, j]) + beta * C[i, j].</summary>
    private static void RunDots(in GemmProblem<T> p)
    {
        bool contiguous = p.AContiguousAlongK && p.BRow == 1;
        for (int i = 0; i < p.M; i++)
        {
            T* aRow = p.A + i * p.ARow;
            T* cRow = p.C + i * p.Ldc;
            for (int j = 0; j < p.N; j++)
            {
                T* bCol = p.B + j * p.BCol;
                T sum = contiguous ? Dot(aRow, bCol, p.K) : StridedDot(aRow, p.ACol, bCol, p.BRow, p.K);
                cRow[j] = p.Beta == T.Zero ? p.Alpha * sum : p.Alpha * sum + p.Beta * cRow[j];
            }
        }
    }

    private static void ScaleRow(T* row, int n, T beta)
    {
        if (beta == T.Zero)
            new Span<T>(row, n).Clear();
        else if (beta != T.One)
            for (int j = 0; j < n; j++) row[j] *= beta;
    }

    /// <summary>y[0..n] += s * x[0..n].</summary>
    private static void Axpy(T s, T* x, T* y, int n)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var vs = new Vector<T>(s);
            for (; j + Vector<T>.Count <= n; j += Vector<T>.Count)
                Vector.Store(Vector.Load(y + j) + vs * Vector.Load(x + j), y + j);
        }
        for (; j < n; j++) y[j] += s * x[j];
    }

    private static T Dot(T* x, T* y, int n)
    {
        int q = 0;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var acc = Vector<T>.Zero;
            for (; q + Vector<T>.Count <= n; q += Vector<T>.Count)
                acc += Vector.Load(x + q) * Vector.Load(y + q);
            sum = Vector.Sum(acc);
        }
        for (; q < n; q++) sum += x[q] * y[q];
        return sum;
    }

    private static T StridedDot(T* x, nint xStride, T* y, nint yStride, int n)
    {
        T sum = T.Zero;
        for (int q = 0; q < n; q++) sum += x[q * xStride] * y[q * yStride];
        return sum;
    }
}
