using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Interp.Cpu;

/// <summary>
/// Row-major general matrix multiply, C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C.
/// op(A) = A with element (i, p) at a[i*lda + p], or with transA its transpose, element (i, p) at a[p*lda + i];
/// likewise for B with ldb. beta == 0 overwrites C without reading it; k == 0 gives beta * C; m or n == 0 is a no-op.
/// Large problems run a packed, cache-blocked kernel split across all cores (see <see cref="BlockedGemm{T, TKernel}"/>).
/// </summary>
public static unsafe class Gemm
{
    /// <summary>
    /// At or below this many multiply-adds the direct loops beat packing. Measured on Zen 5: the single-threaded
    /// blocked path already wins from about 10^3 (at 32^3 it is 4-7x faster than the direct loops).
    /// </summary>
    internal const long DirectThreshold = 1024;

    /// <summary>Multiply-adds per thread below which splitting a problem does not pay for the hand-off.</summary>
    internal const long ParallelGrain = 64 * 64 * 64;

    /// <summary>Tests set this to pin a kernel family; Auto picks the widest the CPU supports.
    /// Any forced path also disables the direct small-matrix loop so that the kernels see every size.</summary>
    internal static GemmPath ForcedPath { get; set; } = GemmPath.Auto;

    /// <summary>
    /// Whether few-row GEMMs may read B's panels where they lie instead of packing them (see <see cref="BlockedGemm{T, TKernel}"/>).
    /// On the AMD EPYC (Zen) VM that paid (GPT-2's shapes at 128 rows 2-12 % on one core); on an Intel Xeon (family 6
    /// model 207, 48 KB L1D) packing was faster at every shape tried, by 15-60 % (128 x 3072 x 768, 128 x 768 x 3072,
    /// 128 x 50257 x 768, the SAE's 256 x 4096 x 4096, huge pages or not), so there B is always packed. Tests switch it on.
    /// </summary>
    internal static bool BInPlaceAllowed { get; set; } = !IsIntel();

    /// <summary>
    /// Multiply-adds from which a GEMM split by rows shares one packed B between its threads (<see cref="GemmSharedB{T, TKernel}"/>)
    /// rather than giving each thread an independent slice that packs all of B again. On the Intel Xeon (2 cores, shared)
    /// square n = 512-2048 ran 6-19 % faster shared. Below 384³ the slices stay: claimed row blocks for every row split
    /// (n = 128, 256) measured better on a 2-35x oversubscribed host (n = 128 paired with OpenBLAS 1.22 → 1.26) but
    /// worse on a quiet one (load 1-1.5: n = 128 1.22-1.37 → 0.91-0.98, n = 256 0.92-1.19 → 0.99-1.03, three alternated
    /// runs). Not yet measured on the AMD EPYC hosts, so there (any vendor but Intel) every row split keeps the slices.
    /// Tests set it to 0.
    /// </summary>
    internal static long SharedBMinWork { get; set; } = IsIntel() ? 384L * 384 * 384 : long.MaxValue;

    /// <summary>
    /// Multiply-adds from which a GEMM on the AVX-512 kernel (split by rows or columns, and not few rows with many columns)
    /// runs in OpenBLAS's loop order with one packed A shared between its threads (<see cref="GemmSharedA{T}"/>). Measured on
    /// the Intel Xeon only, so elsewhere never. Tests set it to 0.
    /// </summary>
    internal static long SharedAMinWork { get; set; } = IsIntel() ? 384L * 384 * 384 : long.MaxValue;

    /// <summary>Whether the CPU's vendor string (CPUID leaf 0) is GenuineIntel.</summary>
    private static bool IsIntel()
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        return ebx == 0x756E6547 && edx == 0x49656E69 && ecx == 0x6C65746E; // "Genu" "ineI" "ntel"
    }

    internal static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Avx512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        GemmPath.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>The kernel family the next call will use.</summary>
    internal static GemmPath ActivePath =>
        ForcedPath != GemmPath.Auto ? ForcedPath
        : IsSupported(GemmPath.Avx512) ? GemmPath.Avx512
        : IsSupported(GemmPath.Avx2) ? GemmPath.Avx2
        : GemmPath.Scalar;

    /// <summary>Whether the next call on this problem reads B in place rather than packing it (see <see cref="BlockedGemm{T, TKernel}"/>).</summary>
    internal static bool ReadsBInPlace<T>(in GemmProblem<T> p) where T : unmanaged, INumber<T> => ActivePath switch
    {
        GemmPath.Avx512 => BlockedGemm<T, Avx512Kernel<T>>.ReadsBInPlace(p),
        GemmPath.Avx2 => BlockedGemm<T, Avx2Kernel<T>>.ReadsBInPlace(p),
        _ => BlockedGemm<T, ScalarKernel<T>>.ReadsBInPlace(p),
    };

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
                             float* b, int ldb, float beta, float* c, int ldc)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        Run(new GemmProblem<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), Environment.ProcessorCount);
    }

    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda,
                             double* b, int ldb, double beta, double* c, int ldc)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        Run(new GemmProblem<double>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), Environment.ProcessorCount);
    }

    /// <summary>
    /// <paramref name="batch"/> independent GEMMs; matrix i uses a + i*strideA, b + i*strideB, c + i*strideC.
    /// A stride of 0 broadcasts that operand (strideC == 0 makes the calls run in order, each seeing the last).
    /// </summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, long strideA,
                                    float* b, int ldb, long strideB, float beta, float* c, int ldc, long strideC, int batch)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        var p = new GemmProblem<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        GemmBatch<float>.Run(p, strideA, strideB, strideC, batch);
    }

    public static void DgemmBatched(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, long strideA,
                                    double* b, int ldb, long strideB, double beta, double* c, int ldc, long strideC, int batch)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        var p = new GemmProblem<double>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        GemmBatch<double>.Run(p, strideA, strideB, strideC, batch);
    }

    /// <summary>
    /// <see cref="SgemmBatched"/> / <see cref="DgemmBatched"/> with an epilogue: each C[i] then becomes
    /// relu?(alpha·op(A[i])·op(B[i]) + beta·C[i] + bias), bias [n] added to every row (null: none), applied to each tile
    /// of C as it is finished rather than in another pass over C.
    /// </summary>
    internal static void GemmBatchedWithEpilogue<T>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, long strideA,
                                                 T* b, int ldb, long strideB, T beta, T* c, int ldc, long strideC, int batch,
                                                 T* bias, bool relu) where T : unmanaged, INumber<T>
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        var p = new GemmProblem<T>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc).WithEpilogue(bias, relu);
        GemmBatch<T>.Run(p, strideA, strideB, strideC, batch);
    }

    /// <summary>One GEMM on at most <paramref name="maxThreads"/> threads.</summary>
    internal static void Run<T>(in GemmProblem<T> p, int maxThreads) where T : unmanaged, INumber<T>
    {
        if (p.M == 0 || p.N == 0) return;
        if (p.K == 0 || p.Alpha == T.Zero)
        {
            GemmDirect<T>.ScaleC(p);
            GemmEpilogue<T>.ApplyAll(p);
            return;
        }
        GemmPath path = ActivePath;
        if (ForcedPath == GemmPath.Auto && (long)p.M * p.N * p.K <= DirectThreshold)
        {
            GemmDirect<T>.Run(p);
            GemmEpilogue<T>.ApplyAll(p);
            return;
        }
        if (GemmRowsOfB<T>.Applies(p, path)) // a big B stored transposed: read its rows in place (see GemmRowsOfB)
        {
            GemmRowsOfB<T>.Run(p, maxThreads);
            return;
        }
        if (typeof(T) == typeof(float))
            RunFloat(Unsafe.As<GemmProblem<T>, GemmProblem<float>>(ref Unsafe.AsRef(in p)), path, maxThreads);
        else if (typeof(T) == typeof(double))
            RunDouble(Unsafe.As<GemmProblem<T>, GemmProblem<double>>(ref Unsafe.AsRef(in p)), path, maxThreads);
        else
            GemmParallel<T, ScalarKernel<T>>.Run(p, maxThreads);
    }

    private static void RunFloat(in GemmProblem<float> p, GemmPath path, int maxThreads)
    {
        switch (path)
        {
            case GemmPath.Avx512: GemmParallel<float, Avx512Kernel<float>>.Run(p, maxThreads); break;
            case GemmPath.Avx2: GemmParallel<float, Avx2Kernel<float>>.Run(p, maxThreads); break;
            default: GemmParallel<float, ScalarKernel<float>>.Run(p, maxThreads); break;
        }
    }

    private static void RunDouble(in GemmProblem<double> p, GemmPath path, int maxThreads)
    {
        switch (path)
        {
            case GemmPath.Avx512: GemmParallel<double, Avx512Kernel<double>>.Run(p, maxThreads); break;
            case GemmPath.Avx2: GemmParallel<double, Avx2Kernel<double>>.Run(p, maxThreads); break;
            default: GemmParallel<double, ScalarKernel<double>>.Run(p, maxThreads); break;
        }
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(lda, Math.Max(1, transA ? m : k));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, Math.Max(1, transB ? k : n));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, Math.Max(1, n));
    }
}
