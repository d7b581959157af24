using System.Numerics;

namespace Interp.Cpu;

/// <summary>Unblocked loops for tiny problems and for the k == 0 / alpha == 0 case.</summary>
internal static unsafe class GemmDirect<T> where T : unmanaged, INumber<T>
{
    /// <summary>C = beta * C; beta == 0 writes zeros without reading C.</summary>
    public static void ScaleC(in GemmProblem<T> p)
    {
        for (int i = 0; i < p.M; i++)
        {
            T* row = p.C + i * p.Ldc;
            if (p.Beta == T.Zero)
                new Span<T>(row, p.N).Clear();
            else
                for (int j = 0; j < p.N; j++) row[j] *= p.Beta;
        }
    }

    /// <summary>C[i, j] = alpha * sum_p op(A)[i, p] * op(B)[p, j] + beta * C[i, j], one dot product at a time.</summary>
    public static void Run(in GemmProblem<T> p)
    {
        for (int i = 0; i < p.M; i++)
        {
            T* aRow = p.A + i * p.ARow;
            T* cRow = p.C + i * p.Ldc;
            for (int j = 0; j < p.N; j++)
            {
                T* bCol = p.B + j * p.BCol;
                T sum = T.Zero;
                for (int q = 0; q < p.K; q++) sum += aRow[q * p.ACol] * bCol[q * p.BRow];
                cRow[j] = p.Beta == T.Zero ? p.Alpha * sum : p.Alpha * sum + p.Beta * cRow[j];
            }
        }
    }
}
