using System.Numerics;

namespace Interp.Cpu;

/// <summary>Which micro-kernel family <see cref="Gemm"/> uses. Auto picks the widest one the CPU supports.</summary>
internal enum GemmPath { Auto, Scalar, Avx2, Avx512 }

/// <summary>
/// One row-major GEMM call, C = alpha * op(A) * op(B) + beta * C, described by strides so that a transpose is
/// only a swap of strides: element (i, p) of op(A) lives at A[i * ARow + p * ACol]. An optional epilogue then adds
/// Bias[j] to every row of C and/or applies ReLU, tile by tile while the tile is still in L1 (see <see cref="GemmEpilogue"/>).
/// </summary>
internal readonly unsafe struct GemmProblem<T> where T : unmanaged, INumber<T>
{
    public readonly int M, N, K;
    public readonly T Alpha, Beta;
    public readonly T* A, B, C;
    public readonly nint ARow, ACol, BRow, BCol, Ldc;
    /// <summary>Epilogue: a bias of N elements added to every row of C (null: none), then ReLU when <see cref="Relu"/>.</summary>
    public readonly T* Bias;
    public readonly bool Relu;

    public GemmProblem(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        : this(m, n, k, alpha, beta, a, b, c,
               transA ? 1 : lda, transA ? lda : 1,
               transB ? 1 : ldb, transB ? ldb : 1, ldc)
    {
    }

    private GemmProblem(int m, int n, int k, T alpha, T beta, T* a, T* b, T* c,
                        nint aRow, nint aCol, nint bRow, nint bCol, nint ldc, T* bias = null, bool relu = false)
    {
        M = m; N = n; K = k; Alpha = alpha; Beta = beta; A = a; B = b; C = c;
        ARow = aRow; ACol = aCol; BRow = bRow; BCol = bCol; Ldc = ldc; Bias = bias; Relu = relu;
    }

    /// <summary>Whether C gets an epilogue (bias and/or ReLU) once its product is complete.</summary>
    public bool HasEpilogue => Bias != null || Relu;

    /// <summary>The same problem with C = relu?(alpha·op(A)·op(B) + beta·C + bias) (bias may be null).</summary>
    public GemmProblem<T> WithEpilogue(T* bias, bool relu) =>
        new(M, N, K, Alpha, Beta, A, B, C, ARow, ACol, BRow, BCol, Ldc, bias, relu);

    /// <summary>A[i, p] of op(A) is contiguous along p (plain row-major A).</summary>
    public bool AContiguousAlongK => ACol == 1;

    /// <summary>B[p, j] of op(B) is contiguous along j (plain row-major B).</summary>
    public bool BContiguousAlongN => BCol == 1;

    /// <summary>The sub-problem producing C[row0 .. row0+rows, col0 .. col0+cols].</summary>
    public GemmProblem<T> Slice(int row0, int rows, int col0, int cols) =>
        new(rows, cols, K, Alpha, Beta, A + row0 * ARow, B + col0 * BCol, C + row0 * Ldc + col0,
            ARow, ACol, BRow, BCol, Ldc, Bias == null ? null : Bias + col0, Relu);

    /// <summary>The same problem on operands moved by the given element offsets (one matrix of a batch).</summary>
    public GemmProblem<T> Offset(long da, long db, long dc) =>
        new(M, N, K, Alpha, Beta, A + da, B + db, C + dc, ARow, ACol, BRow, BCol, Ldc, Bias, Relu);

    /// <summary>The same problem with a different beta (used for the second and later K blocks).</summary>
    public GemmProblem<T> WithBeta(T beta) =>
        new(M, N, K, Alpha, beta, A, B, C, ARow, ACol, BRow, BCol, Ldc, Bias, Relu);
}
