namespace Interp.Cpu;

// PLACEHOLDER (replaced by the packed SIMD GEMM on branch `gemm`): the reference triple loop with the final API.
public static unsafe class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        SgemmBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);

    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc) =>
        DgemmBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);

    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, long strideA,
        float* b, int ldb, long strideB, float beta, float* c, int ldc, long strideC, int batch)
    {
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                        s += (double)a[t * strideA + (transA ? p * lda + i : i * lda + p)] * b[t * strideB + (transB ? j * ldb + p : p * ldb + j)];
                    float* cij = c + t * strideC + i * ldc + j;
                    *cij = (float)(alpha * s + (beta == 0 ? 0 : beta * *cij));
                }
    }

    public static void DgemmBatched(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, long strideA,
        double* b, int ldb, long strideB, double beta, double* c, int ldc, long strideC, int batch)
    {
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                        s += a[t * strideA + (transA ? p * lda + i : i * lda + p)] * b[t * strideB + (transB ? j * ldb + p : p * ldb + j)];
                    double* cij = c + t * strideC + i * ldc + j;
                    *cij = alpha * s + (beta == 0 ? 0 : beta * *cij);
                }
    }
}
