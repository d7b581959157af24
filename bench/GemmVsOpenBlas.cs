using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Interp.Bench;

/// <summary>
/// `gemm-quick ... --openblas`: Interp's float GEMM and the system OpenBLAS's cblas_sgemm (libopenblas.so.0, PyTorch's
/// BLAS on this Debian host) alternated sample by sample in one process, on the same operands. On a shared machine whose
/// speed swings from second to second, two processes timed a minute apart (or the fastest of several PyTorch settings
/// against one Interp run, as the side-by-side does) compare the machine's moods as much as the GEMMs; paired samples a
/// few milliseconds apart see the same load. OpenBLAS reads its settings from the environment at load, so set them on
/// the command line: `OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=2` is the side-by-side's fastest PyTorch's.
/// </summary>
internal static unsafe class GemmVsOpenBlas
{
    /// <summary>Interp's GEMM on the given operands (a delegate type of its own: pointers cannot be generic arguments).</summary>
    public delegate void InterpGemm(float* a, float* b, float* c);

    public static void Measure(int m, int n, int k, bool ta, bool tb, int samples, double sampleSeconds, Func<double> clock,
                               InterpGemm interp)
    {
        var sgemm = Load(out string core, out int threads);
        float* a = GemmQuick.Alloc<float>((long)m * k), b = GemmQuick.Alloc<float>((long)k * n), c = GemmQuick.Alloc<float>((long)m * n);
        try
        {
            double flop = 2.0 * m * n * k;
            int reps = (int)Math.Clamp(sampleSeconds * 300e9 / flop, 1, 100_000);
            int lda = ta ? m : k, ldb = tb ? k : n;
            void OpenBlas() => sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                                     m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
            void Interp() => interp(a, b, c);
            Interp(); OpenBlas(); // warm-up: JIT, packing buffers, both thread pools
            double difference = Disagreement(Interp, OpenBlas, c, (long)m * n);
            var ours = new List<double>(); var theirs = new List<double>(); var ratios = new List<double>();
            for (int s = 0; s < samples; s++)
            {
                double x = Sample(Interp, reps, flop, clock), y = Sample(OpenBlas, reps, flop, clock);
                ours.Add(x); theirs.Add(y); ratios.Add(x / y);
            }
            Console.WriteLine($"{m}x{n}x{k}  Interp {Median(ours),7:F1} ({ours.Max():F1} best)  OpenBLAS {Median(theirs),7:F1} ({theirs.Max():F1} best) GFLOP/s medians;" +
                              $"  Interp/OpenBLAS: pairs' median {Median(ratios):F2} [quartiles {Quantile(ratios, 0.25):F2} .. {Quantile(ratios, 0.75):F2}], medians' {Median(ours) / Median(theirs):F2}, bests' {ours.Max() / theirs.Max():F2}  (OpenBLAS {core}, {threads} threads; results differ by at most {difference:E1} of the largest)");
        }
        finally
        {
            NativeMemory.AlignedFree(a); NativeMemory.AlignedFree(b); NativeMemory.AlignedFree(c);
        }
    }

    /// <summary>Largest |C_interp - C_openblas| over the largest |C|: both sides must compute the same product.</summary>
    private static double Disagreement(Action interp, Action openBlas, float* c, long count)
    {
        interp();
        var ours = new float[count];
        for (long i = 0; i < count; i++) (ours[i], c[i]) = (c[i], float.NaN); // NaN where OpenBLAS wrote nothing
        openBlas();
        double worst = 0, largest = 0;
        for (long i = 0; i < count; i++)
        {
            worst = Math.Max(worst, Math.Abs(ours[i] - c[i]));
            largest = Math.Max(largest, Math.Abs(c[i]));
        }
        return worst / largest;
    }

    private static double Sample(Action call, int reps, double flop, Func<double> clock)
    {
        double t0 = clock();
        for (int r = 0; r < reps; r++) call();
        return flop * reps / (clock() - t0) / 1e9;
    }

    private static double Median(List<double> x) => Quantile(x, 0.5);

    private static double Quantile(List<double> x, double q)
    {
        var sorted = x.OrderBy(v => v).ToList();
        return sorted[(int)Math.Round(q * (sorted.Count - 1))];
    }

    private const int CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112;

    private static delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Load(out string core, out int threads)
    {
        if (!NativeLibrary.TryLoad("libopenblas.so.0", out var lib))
            throw new DllNotFoundException("gemm-quick --openblas: libopenblas.so.0 not found (Debian: apt-get install libopenblas0-pthread)");
        var sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(lib, "cblas_sgemm");
        core = NativeLibrary.TryGetExport(lib, "openblas_get_corename", out var name)
            ? Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)name)()) ?? "?" : "?";
        threads = NativeLibrary.TryGetExport(lib, "openblas_get_num_threads", out var count) ? ((delegate* unmanaged<int>)count)() : 0;
        return sgemm;
    }
}
