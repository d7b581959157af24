using FsCheck.Xunit;
using Interp.Cpu;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Tensors;

/// <summary>
/// Gemm against a naive double-precision reference. Every SIMD path the CPU supports is forced in turn (forcing
/// also bypasses the direct small-matrix loop, so the packed kernels see every size); paths the CPU lacks are not
/// generated and <see cref="ReportsSkippedPaths"/> says which.
/// </summary>
[Collection("Gemm")] // ForcedPath is global: keep these tests sequential with each other
public sealed unsafe class GemmTests(ITestOutputHelper output)
{
    private static readonly GemmPath[] AllPaths = [GemmPath.Auto, GemmPath.Scalar, GemmPath.Avx2, GemmPath.Avx512];
    private static IEnumerable<GemmPath> Paths => AllPaths.Where(Gemm.IsSupported);

    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (2, 2, 2), (3, 3, 3), (7, 7, 7), (16, 16, 16), (17, 17, 17), (33, 33, 33), (65, 65, 65),
        (100, 100, 100), (257, 257, 257), (1, 300, 5), (300, 1, 7), (129, 67, 258), (3, 700, 64), (40, 13, 1), (2, 3, 40), (5, 20, 9),
    ];

    public static TheoryData<string, bool, bool, int, int, int> SgemmCases()
    {
        var data = new TheoryData<string, bool, bool, int, int, int>();
        foreach (var path in Paths)
            foreach (var (m, n, k) in Shapes)
                for (int t = 0; t < 4; t++)
                    data.Add(path.ToString(), (t & 1) != 0, (t & 2) != 0, m, n, k);
        return data;
    }

    public static TheoryData<string> PathCases()
    {
        var data = new TheoryData<string>();
        foreach (var path in Paths) data.Add(path.ToString());
        return data;
    }

    [Fact]
    public void ReportsSkippedPaths()
    {
        var skipped = AllPaths.Where(p => !Gemm.IsSupported(p)).ToList();
        output.WriteLine(skipped.Count == 0
            ? $"all paths tested; Auto uses {Gemm.ActivePath}"
            : $"skipped (CPU lacks them): {string.Join(", ", skipped)}; Auto uses {Gemm.ActivePath}");
    }

    [Theory]
    [MemberData(nameof(SgemmCases))]
    public void Sgemm_MatchesReference(string path, bool ta, bool tb, int m, int n, int k) =>
        WithPath(path, () => CheckSgemm(ta, tb, m, n, k, alpha: 1f, beta: 0f, pad: 0, seed: m * 31 + n * 7 + k));

    [Theory]
    [MemberData(nameof(PathCases))]
    public void Sgemm_PaddedLeadingDimensions_IgnorePaddingAndKeepIt(string path) => WithPath(path, () =>
    {
        for (int t = 0; t < 4; t++)
        {
            CheckSgemm((t & 1) != 0, (t & 2) != 0, 37, 45, 29, 1.25f, 0.5f, pad: 5, seed: t);
            CheckSgemm((t & 1) != 0, (t & 2) != 0, 70, 3, 130, 1f, 0f, pad: 9, seed: t);
        }
    });

    [Theory]
    [MemberData(nameof(PathCases))]
    public void Sgemm_AlphaBeta(string path) => WithPath(path, () =>
    {
        foreach (var (m, n, k) in new[] { (5, 6, 7), (50, 70, 90) })
        {
            CheckSgemm(false, false, m, n, k, alpha: 0.5f, beta: -1.5f, pad: 0, seed: 1);
            CheckSgemm(true, false, m, n, k, alpha: -2f, beta: 1f, pad: 0, seed: 2);  // accumulate
            CheckSgemm(false, true, m, n, k, alpha: 1f, beta: 0f, pad: 0, seed: 3);   // overwrite NaN garbage
            CheckSgemm(true, true, m, n, k, alpha: 0f, beta: 2f, pad: 0, seed: 4);    // only scales C
            CheckSgemm(false, false, m, n, k, alpha: 0f, beta: 0f, pad: 0, seed: 5);  // zeroes NaN garbage
        }
    });

    [Theory]
    [MemberData(nameof(PathCases))]
    public void Sgemm_KZero_GivesBetaTimesC(string path) => WithPath(path, () =>
    {
        CheckSgemm(false, false, 9, 11, 0, alpha: 1f, beta: 3f, pad: 2, seed: 6);
        CheckSgemm(true, true, 9, 11, 0, alpha: 1f, beta: 0f, pad: 2, seed: 7);
    });

    [Fact]
    public void Sgemm_EmptyOutput_IsNoOp()
    {
        float[] c = [42f];
        fixed (float* pc = c)
        {
            Gemm.Sgemm(false, false, 0, 5, 3, 1f, null, 3, null, 5, 0f, pc, 5);
            Gemm.Sgemm(false, false, 5, 0, 3, 1f, null, 3, null, 1, 0f, pc, 1);
        }
        Assert.Equal(42f, c[0]);
    }

    [Theory]
    [MemberData(nameof(PathCases))]
    public void Dgemm_MatchesReference(string path) => WithPath(path, () =>
    {
        foreach (var (m, n, k) in Shapes)
            for (int t = 0; t < 4; t++)
                CheckDgemm((t & 1) != 0, (t & 2) != 0, m, n, k, alpha: 0.75, beta: t == 3 ? 0 : -0.5, pad: t, seed: m + n + k);
        CheckDgemm(false, true, 6, 4, 0, alpha: 1, beta: 0, pad: 1, seed: 9);
    });

    [Theory]
    [MemberData(nameof(PathCases))]
    public void SgemmBatched_MatchesPerMatrixReference(string path) => WithPath(path, () =>
    {
        foreach (var (m, n, k) in new[] { (4, 5, 6), (17, 9, 33), (70, 80, 90) })
            for (int t = 0; t < 4; t++)
            {
                bool ta = (t & 1) != 0, tb = (t & 2) != 0;
                CheckBatched(ta, tb, m, n, k, batch: 5, broadcastA: false, broadcastB: false, beta: 0f);
                CheckBatched(ta, tb, m, n, k, batch: 4, broadcastA: true, broadcastB: false, beta: 1f);
                CheckBatched(ta, tb, m, n, k, batch: 3, broadcastA: false, broadcastB: true, beta: 0.5f);
            }
        CheckBatched(false, false, 2, 3, 4, batch: 200, broadcastA: false, broadcastB: true, beta: 0f);
    });

    [Fact]
    public void DgemmBatched_MatchesPerMatrixReference()
    {
        const int m = 13, n = 21, k = 34, batch = 6;
        var a = new Mat<double>(m, k, 1, 1, 1);
        var b = new Mat<double>(k * batch, n, 0, 2, 1);
        var c = new Mat<double>(m * batch, n, 0, 3, 1);
        var expected = c.Data.ToArray();
        for (int i = 0; i < batch; i++)
            Reference(false, false, m, n, k, 2.0, a.Data, 0, a.Ld, b.Data, i * k * b.Ld, b.Ld, 0.5, expected, i * m * c.Ld, c.Ld);
        fixed (double* pa = a.Data, pb = b.Data, pc = c.Data)
            Gemm.DgemmBatched(false, false, m, n, k, 2.0, pa, a.Ld, 0, pb, b.Ld, k * b.Ld, 0.5, pc, c.Ld, m * c.Ld, batch);
        AssertClose(expected, c.Data, c.Ld, n, k, 1e-13);
    }

    [Fact]
    public void Sgemm_ConcurrentCallers_DoNotInterfere()
    {
        Parallel.For(0, 8, i => CheckSgemm(i % 2 == 1, i % 3 == 1, 90 + i, 110 - i, 75 + 3 * i, 1f, 0.5f, pad: 1, seed: i));
    }

    [Property(MaxTest = 60)]
    public void Sgemm_RandomShapes_MatchReference(byte m, byte n, byte k, bool ta, bool tb, byte pathPick, byte pad)
    {
        var paths = Paths.ToArray();
        WithPath(paths[pathPick % paths.Length], () =>
            CheckSgemm(ta, tb, m % 90 + 1, n % 90 + 1, k % 90, 1.5f, pad % 2 == 0 ? 0f : -1f, pad % 4, seed: m ^ n ^ k));
    }

    [Theory]
    [MemberData(nameof(PathCases))]
    public void Epilogue_AddsTheBiasAndAppliesReluOncePerElement(string path) => WithPath(path, () =>
    {
        // edge tiles, several K blocks (KC = 256: the epilogue must run after the last one only), a split by columns
        // (few rows, many columns: each thread's slice must see its own part of the bias), beta = 1, an empty product
        foreach (var (m, n, k) in new[] { (5, 6, 7), (37, 45, 29), (70, 3, 600), (4, 700, 300), (130, 90, 257), (9, 11, 0) })
            for (int t = 0; t < 4; t++)
            {
                bool ta = (t & 1) != 0, tb = (t & 2) != 0;
                CheckEpilogue(ta, tb, m, n, k, beta: 0f, bias: true, relu: true, batch: 1, seed: m + t);
                CheckEpilogue(ta, tb, m, n, k, beta: 1f, bias: true, relu: false, batch: 1, seed: n + t);
                CheckEpilogue(ta, tb, m, n, k, beta: 0f, bias: false, relu: true, batch: 1, seed: k + t);
            }
        CheckEpilogue(false, false, 17, 9, 33, beta: 0f, bias: true, relu: true, batch: 5, seed: 3);
    });

    /// <summary>
    /// Few rows, so B's full panels are read where they lie instead of packed: a narrow last panel, several K blocks,
    /// B rows 4 KB apart, padded (NaN) B rows, beta, the epilogue after the last block, a C over 2 MB (deep K blocks),
    /// float and double, every kernel family.
    /// </summary>
    [Theory]
    [MemberData(nameof(PathCases))]
    public void SmallM_BReadInPlace_MatchesReference(string path) => WithPath(path, () =>
    {
        bool allowed = Gemm.BInPlaceAllowed;
        Gemm.BInPlaceAllowed = true;   // off on Intel, where packing is faster
        try { BReadInPlaceCases(); }
        finally { Gemm.BInPlaceAllowed = allowed; }
    });

    private static void BReadInPlaceCases()
    {
        foreach (var (m, n, k, pad) in new[] { (128, 100, 770, 3), (1, 64, 5, 0), (7, 1024, 600, 0), (13, 75, 300, 7), (128, 100, 1200, 1), (96, 33, 257, 0) })
        {
            Assert.True(Gemm.ReadsBInPlace(new GemmProblem<float>(false, false, m, n, k, 1f, null, k, null, n + pad, 0f, null, n)), $"{m}x{n}x{k} packs B");
            CheckSgemm(false, false, m, n, k, alpha: 1.5f, beta: 0f, pad, seed: m + n);
            CheckSgemm(true, false, m, n, k, alpha: 1f, beta: -0.5f, pad, seed: m + k);
            int nd = n == 1024 ? 512 : n;   // double: rows 4 KB apart at 512 columns
            CheckDgemm(false, false, m, nd, k, alpha: 0.75, beta: 0.5, pad, seed: n + k);
        }
        CheckEpilogue(false, false, 100, 70, 2500, beta: 0f, bias: true, relu: true, batch: 1, seed: 4);
        CheckEpilogue(false, false, 100, 70, 700, beta: 1f, bias: true, relu: false, batch: 1, seed: 5);
        // C over 2 MB: K blocks as deep as the A buffer allows (several here), then one deep block in double
        CheckEpilogue(false, false, 256, 2100, 600, beta: 1f, bias: true, relu: true, batch: 1, seed: 6);
        CheckDgemm(false, false, 8, 40000, 600, alpha: 1, beta: 0.5, pad: 1, seed: 7);
    }

    /// <summary>
    /// Few rows and many columns: the column split is cut into several blocks per thread, each claimed in turn, all
    /// reading one A packed once (split between the threads: fewer panels than threads too; several K blocks deep).
    /// </summary>
    [Theory]
    [MemberData(nameof(PathCases))]
    public void WideColumnSplit_InBlocks_MatchesReference(string path) => WithPath(path, () =>
    {
        foreach (var (m, n, k) in new[] { (20, 1100, 64), (3, 5000, 40), (130, 2000, 50), (200, 700, 600) })
            for (int t = 0; t < 4; t++)
                CheckSgemm((t & 1) != 0, (t & 2) != 0, m, n, k, alpha: 1f, beta: t == 3 ? 1f : 0f, pad: t, seed: n + t);
        CheckDgemm(false, true, 9, 3000, 70, alpha: 1, beta: 0, pad: 1, seed: 2);
    });

    /// <summary>
    /// Row splits whose threads share one packed B (every row split sent there): several K blocks (both B buffers
    /// reused), more than one NC block of columns, edge rows and columns, alpha/beta, the epilogue, float and double.
    /// </summary>
    [Theory]
    [MemberData(nameof(PathCases))]
    public void SharedBRowSplit_MatchesReference(string path) => WithPath(path, () =>
    {
        long minWork = Gemm.SharedBMinWork;
        Gemm.SharedBMinWork = 0;
        try
        {
            foreach (var (m, n, k) in new[] { (257, 257, 257), (300, 70, 600), (100, 40, 1030), (514, 33, 300) })
                for (int t = 0; t < 4; t++)
                {
                    CheckSgemm((t & 1) != 0, (t & 2) != 0, m, n, k, alpha: 1.5f, beta: t == 3 ? 0.5f : 0f, pad: t, seed: m + k + t);
                    CheckDgemm((t & 1) != 0, (t & 2) != 0, m, n, k, alpha: 0.75, beta: t == 2 ? -1 : 0, pad: t, seed: n + t);
                }
            CheckSgemm(false, false, 4200, 4110, 2, alpha: 1f, beta: 0f, pad: 1, seed: 3);   // two NC blocks of columns
            CheckEpilogue(false, false, 300, 200, 600, beta: 1f, bias: true, relu: true, batch: 1, seed: 5);
            foreach (int m in new[] { 25, 100, 260, 514 })
            {
                CheckBelowC<float>(m, 40, 300, 1.5f, 0.5f, 1e-5, seed: m);
                CheckBelowC<double>(m, 32, 300, 0.75, 0, 1e-13, seed: m + 1);
            }
        }
        finally { Gemm.SharedBMinWork = minWork; }
    });

    /// <summary>
    /// Small row splits on the shared packed B (as 128 and 256 square products now run on Intel), cut into claimed blocks
    /// of whole MR panels: fewer panels than blocks (one panel a block), blocks of uneven panel counts, a short last
    /// panel, a K deeper than one block (both B buffers, each block's steps in order), every transpose, alpha/beta,
    /// padded C, float and double; and rows just below C left alone.
    /// </summary>
    [Theory]
    [MemberData(nameof(PathCases))]
    public void SmallSharedBRowSplit_InClaimedBlocks_MatchesReference(string path) => WithPath(path, () =>
    {
        long minWork = Gemm.SharedBMinWork;
        Gemm.SharedBMinWork = 0;
        try
        {
            // each at least two threads' work (2 x 64³ multiply-adds) with M >= N, so split by rows
            foreach (var (m, n, k) in new[] { (128, 128, 128), (256, 256, 256), (130, 129, 127), (255, 97, 100), (40, 30, 600), (97, 96, 600), (26, 20, 1100) })
                for (int t = 0; t < 4; t++)
                {
                    CheckSgemm((t & 1) != 0, (t & 2) != 0, m, n, k, alpha: t == 1 ? -2f : 1f, beta: t >= 2 ? 0.5f : 0f, pad: t, seed: 10 * m + k + t);
                    CheckDgemm((t & 1) != 0, (t & 2) != 0, m, n, k, alpha: 0.75, beta: t == 3 ? -1 : 0, pad: 3 - t, seed: n + k + t);
                }
            foreach (var (m, n, k) in new[] { (30, 24, 800), (128, 70, 300), (139, 64, 300) })
            {
                CheckBelowC<float>(m, n, k, 1.5f, 0.5f, 1e-5, seed: m);
                CheckBelowC<double>(m, n, k, 0.75, 0, 1e-13, seed: m + 1);
            }
        }
        finally { Gemm.SharedBMinWork = minWork; }
    });

    /// <summary>
    /// The AVX-512 kernel's OpenBLAS-order path with one packed A shared between the threads (every big enough product
    /// sent there): row and column splits, one thread, K split into several equal blocks (both A buffers reused) or one,
    /// more than one A block of rows, edge rows and columns, every transpose, alpha/beta,
    /// the epilogue, padded C rows left alone, float and double.
    /// </summary>
    [Theory]
    [MemberData(nameof(PathCases))]
    public void SharedAOpenBlasOrder_MatchesReference(string path) => WithPath(path, () =>
    {
        long minWork = Gemm.SharedAMinWork;
        Gemm.SharedAMinWork = 0;
        try
        {
            foreach (var (m, n, k) in new[] { (257, 257, 257), (300, 170, 1100), (600, 900, 300), (30, 33, 400), (514, 133, 1500) })
                for (int t = 0; t < 4; t++)
                {
                    CheckSgemm((t & 1) != 0, (t & 2) != 0, m, n, k, alpha: 1.5f, beta: t == 3 ? 0.5f : 0f, pad: t, seed: m + k + t);
                    CheckDgemm((t & 1) != 0, (t & 2) != 0, m, n, k, alpha: 0.75, beta: t == 2 ? -1 : 0, pad: t, seed: n + t);
                }
            CheckSgemm(false, false, 2900, 130, 1100, alpha: 1f, beta: 0f, pad: 1, seed: 3);   // two A blocks of rows (4 MB each: 2857 rows at K blocks of 367)
            CheckDgemm(true, false, 2700, 70, 600, alpha: 1, beta: 0.5, pad: 2, seed: 4);   // two in double (2621 rows at K blocks of 200)
            CheckEpilogue(false, false, 300, 200, 1100, beta: 1f, bias: true, relu: true, batch: 1, seed: 5);
            CheckEpilogue(false, true, 700, 900, 264, beta: 0f, bias: true, relu: false, batch: 1, seed: 6);
            foreach (int m in new[] { 25, 100, 260, 514 })
            {
                CheckBelowC<float>(m, 140, 700, 1.5f, 0.5f, 1e-5, seed: m);
                CheckBelowC<double>(m, 70, 300, 0.75, 0, 1e-13, seed: m + 1);
            }
            CheckSgemm(false, false, 100, 100, 256, alpha: 1f, beta: 0f, pad: 0, seed: 8);   // K of one old-order block: not here
            CheckSgemm(false, false, 300, 100, 600, alpha: 1f, beta: 0f, pad: 0, seed: 9);   // under 4 panels wide: not here
        }
        finally { Gemm.SharedAMinWork = minWork; }
    });

    /// <summary>
    /// A transposed B (as the unembedding's W_Eᵀ) packed by register transposes: depths below, at and past a multiple of
    /// the transpose's 8 or 16 (the scalar tail), full panels and a narrow last one, every kernel family.
    /// </summary>
    [Theory]
    [MemberData(nameof(PathCases))]
    public void TransposedBPanels_MatchReference(string path) => WithPath(path, () =>
    {
        foreach (int k in new[] { 7, 15, 16, 17, 37, 300 })
            foreach (int n in new[] { 32, 64, 100 })
                CheckSgemm(false, true, 20, n, k, alpha: 1f, beta: 0f, pad: k % 3, seed: n + k);
    });

    /// <summary>
    /// A transposed B's rows read in place and C written transposed (<see cref="GemmRowsOfB{T}"/>, AVX-512; the size
    /// threshold lowered so small shapes take it): odd M (a zero-padded last panel of op(A)ᵀ), a short last group of
    /// B's rows, several strips, several K blocks, transposed A, padded (NaN) leading dimensions, alpha and beta, the
    /// bias/ReLU epilogue, float and double, split between threads. Other families check the same shapes.
    /// </summary>
    [Theory]
    [MemberData(nameof(PathCases))]
    public void RowsOfTransposedB_MatchReference(string path) => WithPath(path, () =>
    {
        long minFloat = GemmRowsOfB<float>.MinBBytes, minDouble = GemmRowsOfB<double>.MinBBytes;
        GemmRowsOfB<float>.MinBBytes = GemmRowsOfB<double>.MinBBytes = 0;
        try
        {
            foreach (var (m, n, k, pad) in new[] { (32, 12, 5, 0), (63, 37, 70, 3), (93, 100, 1100, 1), (128, 50, 768, 0), (127, 25, 300, 2), (512, 13, 40, 0) })
            {
                bool applies = GemmRowsOfB<float>.Applies(new GemmProblem<float>(false, true, m, n, k, 1f, null, k + pad, null, k + pad, 0f, null, n + pad), Gemm.ActivePath);
                Assert.Equal(Gemm.ActivePath == GemmPath.Avx512, applies);
                CheckSgemm(false, true, m, n, k, alpha: 1f, beta: 0f, pad, seed: m + n);
                CheckSgemm(true, true, m, n, k, alpha: 1.5f, beta: -0.5f, pad, seed: m + k);
                CheckDgemm(false, true, m, n, k, alpha: 0.75, beta: 0.5, pad, seed: n + k);
                CheckDgemm(true, true, m, n, k, alpha: 1, beta: 0, pad, seed: n * k);
            }
            CheckEpilogue(false, true, 40, 30, 100, beta: 0f, bias: true, relu: true, batch: 1, seed: 8);
            CheckEpilogue(false, true, 40, 30, 100, beta: 1f, bias: true, relu: false, batch: 3, seed: 9);
        }
        finally
        {
            GemmRowsOfB<float>.MinBBytes = minFloat;
            GemmRowsOfB<double>.MinBBytes = minDouble;
        }
    });

    /// <summary>Row counts with a last A panel of 4 or 8 rows (the vector pack of a narrow panel) and others.</summary>
    [Theory]
    [MemberData(nameof(PathCases))]
    public void NarrowLastAPanel_MatchesReference(string path) => WithPath(path, () =>
    {
        foreach (int m in new[] { 4, 8, 16, 20, 28, 128, 300 })
        {
            CheckSgemm(false, false, m, 40, 45, alpha: 1f, beta: 0f, pad: 1, seed: m);
            CheckSgemm(false, true, m, 40, 300, alpha: 1f, beta: 0.5f, pad: 0, seed: m + 1);
        }
    });

    /// <summary>
    /// Every row count of a last panel (m mod MR = 1 .. MR-1, alone and under a row split between threads), float and
    /// double, full and narrow last column tiles: the rows below C's m rows must stay as they were (the short-panel
    /// kernels compute 4 or 8 rows but may store only the panel's own).
    /// </summary>
    [Theory]
    [MemberData(nameof(PathCases))]
    public void ShortLastPanels_WriteOnlyTheirRows(string path) => WithPath(path, () =>
    {
        foreach (int m in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 16, 20, 23, 100, 260, 514 })
            foreach (int n in new[] { 32, 40 })
            {
                CheckBelowC<float>(m, n, 70, 1.5f, 0.5f, 1e-5, seed: m + n);
                CheckBelowC<double>(m, n, 70, 0.75, 0, 1e-13, seed: m * n);
            }
    });

    private static void CheckBelowC<T>(int m, int n, int k, T alpha, T beta, double rel, int seed)
        where T : unmanaged, System.Numerics.IFloatingPoint<T>
    {
        var a = new Mat<T>(m, k, 1, seed, 1);
        var b = new Mat<T>(k, n, 0, seed + 1, 1);
        var c = new Mat<T>(m + 12, n, 3, seed + 2, 1);   // 12 rows below the product's m
        var expected = c.Data.ToArray();
        Reference(false, false, m, n, k, alpha, a.Data, 0, a.Ld, b.Data, 0, b.Ld, beta, expected, 0, c.Ld);
        fixed (T* pa = a.Data, pb = b.Data, pc = c.Data)
        {
            if (typeof(T) == typeof(float))
                Gemm.Sgemm(false, false, m, n, k, float.CreateTruncating(alpha), (float*)pa, a.Ld, (float*)pb, b.Ld, float.CreateTruncating(beta), (float*)pc, c.Ld);
            else
                Gemm.Dgemm(false, false, m, n, k, double.CreateTruncating(alpha), (double*)pa, a.Ld, (double*)pb, b.Ld, double.CreateTruncating(beta), (double*)pc, c.Ld);
        }
        AssertClose(expected, c.Data, c.Ld, n, k, rel);
    }

    [Fact]
    public void EpilogueRelu_KeepsNaN()
    {
        float[] a = [float.NaN, 1f], b = [1f, 1f], bias = [-5f], c = [7f, 7f];
        fixed (float* pa = a, pb = b, pbias = bias, pc = c)
            Gemm.GemmBatchedWithEpilogue(false, false, 2, 1, 1, 1f, pa, 1, 0, pb, 1, 0, 0f, pc, 1, 2, 1, pbias, relu: true);
        Assert.True(float.IsNaN(c[0]));   // relu(NaN) is NaN, as torch.relu
        Assert.Equal(0f, c[1]);           // relu(1 − 5)
    }

    // ---- helpers ----

    /// <summary>C = relu?(alpha·op(A)·op(B) + beta·C + bias) against the reference with the bias and ReLU added after.</summary>
    private static void CheckEpilogue(bool ta, bool tb, int m, int n, int k, float beta, bool bias, bool relu, int batch, int seed)
    {
        int pad = 3;
        var a = ta ? new Mat<float>(k * batch, m, pad, seed, 1) : new Mat<float>(m * batch, k, pad, seed, 1);
        var b = tb ? new Mat<float>(n, k, pad, seed + 1, 1) : new Mat<float>(k, n, pad, seed + 1, 1);
        var c = new Mat<float>(m * batch, n, pad, seed + 2, 1);
        var v = new Mat<float>(1, n, 0, seed + 3, 0);
        if (beta == 0f) c.Fill(float.NaN);
        long sA = (ta ? k : m) * (long)a.Ld, sC = m * (long)c.Ld;
        var expected = c.Data.ToArray();
        for (int i = 0; i < batch; i++)
        {
            Reference(ta, tb, m, n, k, 1.5f, a.Data, (int)(i * sA), a.Ld, b.Data, 0, b.Ld, beta, expected, (int)(i * sC), c.Ld);
            for (int r = 0; r < m; r++)
                for (int j = 0; j < n; j++)
                {
                    ref float e = ref expected[i * sC + r * c.Ld + j];
                    if (bias) e += v.Data[j];
                    if (relu) e = e <= 0 ? 0 : e;
                }
        }
        fixed (float* pa = a.Data, pb = b.Data, pc = c.Data, pv = v.Data)
            Gemm.GemmBatchedWithEpilogue(ta, tb, m, n, k, 1.5f, pa, a.Ld, sA, pb, b.Ld, 0, beta, pc, c.Ld, sC, batch, bias ? pv : null, relu);
        AssertClose(expected, c.Data, c.Ld, n, k, 1e-5);
    }

    private static void WithPath(string path, Action body) => WithPath(Enum.Parse<GemmPath>(path), body);

    private static void WithPath(GemmPath path, Action body)
    {
        Gemm.ForcedPath = path;
        try { body(); }
        finally { Gemm.ForcedPath = GemmPath.Auto; }
    }

    /// <summary>A rows x cols matrix with leading dimension cols + pad; the padding holds NaN.</summary>
    private sealed class Mat<T> where T : struct, System.Numerics.IFloatingPoint<T>
    {
        public readonly int Rows, Cols, Ld;
        public readonly T[] Data;

        public Mat(int rows, int cols, int pad, int seed, int nanPad)
        {
            Rows = rows; Cols = cols; Ld = Math.Max(1, cols + pad); // BLAS wants ld >= 1 even for 0 columns
            Data = new T[Math.Max(1, rows * Ld)];
            var rng = new Random(seed);
            for (int i = 0; i < Data.Length; i++)
                Data[i] = i % Ld < cols ? T.CreateTruncating(rng.NextDouble() * 2 - 1) : (nanPad != 0 ? T.CreateTruncating(double.NaN) : T.Zero);
        }

        public void Fill(T value)
        {
            for (int i = 0; i < Data.Length; i++)
                if (i % Ld < Cols) Data[i] = value;
        }
    }

    private static void CheckSgemm(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int pad, int seed)
    {
        var a = ta ? new Mat<float>(k, m, pad, seed, 1) : new Mat<float>(m, k, pad, seed, 1);
        var b = tb ? new Mat<float>(n, k, pad, seed + 1, 1) : new Mat<float>(k, n, pad, seed + 1, 1);
        var c = new Mat<float>(m, n, pad, seed + 2, 1);
        if (beta == 0f) c.Fill(float.NaN);
        var expected = c.Data.ToArray();
        Reference(ta, tb, m, n, k, alpha, a.Data, 0, a.Ld, b.Data, 0, b.Ld, beta, expected, 0, c.Ld);
        fixed (float* pa = a.Data, pb = b.Data, pc = c.Data)
            Gemm.Sgemm(ta, tb, m, n, k, alpha, pa, a.Ld, pb, b.Ld, beta, pc, c.Ld);
        AssertClose(expected, c.Data, c.Ld, n, k, 1e-5);
    }

    private static void CheckDgemm(bool ta, bool tb, int m, int n, int k, double alpha, double beta, int pad, int seed)
    {
        var a = ta ? new Mat<double>(k, m, pad, seed, 1) : new Mat<double>(m, k, pad, seed, 1);
        var b = tb ? new Mat<double>(n, k, pad, seed + 1, 1) : new Mat<double>(k, n, pad, seed + 1, 1);
        var c = new Mat<double>(m, n, pad, seed + 2, 1);
        if (beta == 0) c.Fill(double.NaN);
        var expected = c.Data.ToArray();
        Reference(ta, tb, m, n, k, alpha, a.Data, 0, a.Ld, b.Data, 0, b.Ld, beta, expected, 0, c.Ld);
        fixed (double* pa = a.Data, pb = b.Data, pc = c.Data)
            Gemm.Dgemm(ta, tb, m, n, k, alpha, pa, a.Ld, pb, b.Ld, beta, pc, c.Ld);
        AssertClose(expected, c.Data, c.Ld, n, k, 1e-13);
    }

    private static void CheckBatched(bool ta, bool tb, int m, int n, int k, int batch, bool broadcastA, bool broadcastB, float beta)
    {
        int pad = 3;
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        var a = new Mat<float>(aRows * (broadcastA ? 1 : batch), aCols, pad, m, 1);
        var b = new Mat<float>(bRows * (broadcastB ? 1 : batch), bCols, pad, n, 1);
        var c = new Mat<float>(m * batch, n, pad, k, 1);
        if (beta == 0f) c.Fill(float.NaN);
        long sA = broadcastA ? 0 : aRows * a.Ld, sB = broadcastB ? 0 : bRows * b.Ld, sC = m * c.Ld;
        var expected = c.Data.ToArray();
        for (int i = 0; i < batch; i++)
            Reference(ta, tb, m, n, k, 1.5f, a.Data, (int)(i * sA), a.Ld, b.Data, (int)(i * sB), b.Ld, beta, expected, (int)(i * sC), c.Ld);
        fixed (float* pa = a.Data, pb = b.Data, pc = c.Data)
            Gemm.SgemmBatched(ta, tb, m, n, k, 1.5f, pa, a.Ld, sA, pb, b.Ld, sB, beta, pc, c.Ld, sC, batch);
        AssertClose(expected, c.Data, c.Ld, n, k, 1e-5);
    }

    /// <summary>expected = alpha * op(A) op(B) + beta * C (beta == 0 ignores C), accumulated in double.</summary>
    private static void Reference<T>(bool ta, bool tb, int m, int n, int k, T alpha, T[] a, int aOff, int lda,
                                     T[] b, int bOff, int ldb, T beta, T[] c, int cOff, int ldc)
        where T : struct, System.Numerics.IFloatingPoint<T>
    {
        double al = double.CreateTruncating(alpha), be = double.CreateTruncating(beta);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    T av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    T bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    sum += double.CreateTruncating(av) * double.CreateTruncating(bv);
                }
                ref T cij = ref c[cOff + i * ldc + j];
                cij = T.CreateTruncating(al * sum + (be == 0 ? 0 : be * double.CreateTruncating(cij)));
            }
    }

    /// <summary>
    /// Elementwise |got - expected| &lt;= rel * sqrt(k) * max(1, |expected|) (inputs lie in [-1, 1]); positions
    /// outside the n columns of each row (padding) must be bit-identical, NaN included.
    /// </summary>
    private static void AssertClose<T>(T[] expected, T[] got, int ld, int n, int k, double rel)
        where T : struct, System.Numerics.IFloatingPoint<T>
    {
        double tol = rel * Math.Sqrt(Math.Max(k, 1));
        for (int idx = 0; idx < got.Length; idx++)
        {
            double e = double.CreateTruncating(expected[idx]), g = double.CreateTruncating(got[idx]);
            if (idx % ld >= n || double.IsNaN(e))
            {
                Assert.True(double.IsNaN(e) ? double.IsNaN(g) : e == g, $"padding at {idx} changed: {e} -> {g}");
                continue;
            }
            double err = Math.Abs(g - e), bound = tol * Math.Max(1, Math.Abs(e));
            Assert.True(err <= bound, $"C[{idx / ld}, {idx % ld}] = {g}, expected {e} (err {err:E2} > {bound:E2})");
        }
    }
}
