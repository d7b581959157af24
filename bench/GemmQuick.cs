using System.Diagnostics;
using System.Runtime.InteropServices;
using Interp.Cpu;

namespace Interp.Bench;

/// <summary>
/// `dotnet run -c Release --project bench -- gemm-quick [n ... | MxNxK ...] [--path auto|scalar|avx2|avx512] [--ta] [--tb] [--double] [--threads t] [--cpu] [--kernel] [--cold] [--samples s] [--ms t] [--openblas] [--ab KNOB=X,Y]`
/// prints the median GFLOP/s (2 m n k / time) of GEMMs (square n, or M x N x K) over several timed runs (11, of about
/// 70 ms each, or s of about t ms) after a warm-up; on a shared machine many short samples' best shows what the
/// GEMM does when it has the cores. With --cold each call reads another copy of B out of 256 MB of them, so B streams from memory as a
/// model's weights do in a forward pass rather than sitting in cache.
/// </summary>
internal static unsafe class GemmQuick
{
    public static void Run(string[] args)
    {
        var sizes = args.Where((a, i) => (int.TryParse(a, out _) || a.Contains('x')) && !a.StartsWith("--") && (i == 0 || args[i - 1] is not ("--path" or "--threads" or "--samples" or "--ms" or "--ab")))
            .Select(a => a.Split('x').Select(int.Parse).ToArray()).Select(d => d.Length == 3 ? (d[0], d[1], d[2]) : (d[0], d[0], d[0])).ToList();
        if (sizes.Count == 0) sizes = [(128, 128, 128), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048)];
        s_cold = args.Contains("--cold");
        bool ta = args.Contains("--ta"), tb = args.Contains("--tb"), dbl = args.Contains("--double");
        int pathIndex = Array.IndexOf(args, "--path");
        if (pathIndex >= 0) Gemm.ForcedPath = Enum.Parse<GemmPath>(args[pathIndex + 1], ignoreCase: true);
        int threadsIndex = Array.IndexOf(args, "--threads");
        if (threadsIndex >= 0) s_threads = int.Parse(args[threadsIndex + 1]);
        s_cpuTime = args.Contains("--cpu");
        int samplesIndex = Array.IndexOf(args, "--samples");
        if (samplesIndex >= 0) s_samples = int.Parse(args[samplesIndex + 1]);
        int msIndex = Array.IndexOf(args, "--ms");
        if (msIndex >= 0) s_sampleSeconds = double.Parse(args[msIndex + 1]) / 1000;
        if (args.Contains("--kernel"))
        {
            KernelOnly();
            return;
        }
        Console.WriteLine($"path={Gemm.ActivePath} threads={s_threads} transA={ta} transB={tb} {(dbl ? "double" : "float")}");
        foreach (var (m, n, k) in sizes)
        {
            if (Array.IndexOf(args, "--ab") is int abIndex and >= 0)
            {
                if (dbl || args.Contains("--openblas")) throw new ArgumentException("gemm-quick --ab: float only, without --openblas");
                CompareSettings(m, n, k, ta, tb, args[abIndex + 1]);
                continue;
            }
            if (args.Contains("--openblas"))
            {
                if (dbl || s_cold) throw new ArgumentException("gemm-quick --openblas: float only, without --cold");
                GemmVsOpenBlas.Measure(m, n, k, ta, tb, s_samples, s_sampleSeconds, () => s_cpuTime ? ThreadCpuSeconds() : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency,
                    (a, b, c) => Call(m, n, k, ta, tb, a, b, c));
                continue;
            }
            var (median, max) = dbl ? Measure<double>(m, n, k, ta, tb) : Measure<float>(m, n, k, ta, tb);
            Console.WriteLine($"{m}x{n}x{k}  {median,7:F1} GFLOP/s median  ({max:F1} best)");
        }
    }

    private static (double Median, double Max) Measure<T>(int m, int n, int k, bool ta, bool tb) where T : unmanaged
    {
        long bCount = (long)k * n;
        int copies = s_cold ? (int)Math.Max(1, (256L << 20) / (bCount * sizeof(T))) : 1;
        T* a = Alloc<T>((long)m * k), b = Alloc<T>(bCount * copies), c = Alloc<T>((long)m * n);
        try
        {
            double flop = 2.0 * m * n * k;
            int reps = (int)Math.Clamp(s_sampleSeconds * 300e9 / flop, 1, 100_000); // s_sampleSeconds a sample at 300 GFLOP/s
            int next = 0;
            void Once() { Call(m, n, k, ta, tb, a, b + bCount * next, c); next = (next + 1) % copies; }
            Once(); // warm-up: JIT, packing buffers, thread pool
            var samples = new List<double>();
            for (int s = 0; s < s_samples; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                double cpu0 = ThreadCpuSeconds();
                for (int r = 0; r < reps; r++) Once();
                double seconds = s_cpuTime ? ThreadCpuSeconds() - cpu0 : Stopwatch.GetElapsedTime(t0).TotalSeconds;
                samples.Add(flop * reps / seconds / 1e9);
            }
            samples.Sort();
            return (samples[samples.Count / 2], samples[^1]);
        }
        finally
        {
            NativeMemory.AlignedFree(a); NativeMemory.AlignedFree(b); NativeMemory.AlignedFree(c);
        }
    }

    /// <summary>
    /// `--ab KNOB=X,Y`: the same float GEMM under two settings of an internal knob, sample by sample in turn (the order
    /// swapped every sample), so that both see the same load: each setting's median and the median of the pairs' ratios
    /// (Y's GFLOP/s over X's). Knobs of <see cref="GemmRowsOfB{T}"/>: rowsofb-parts (PartsPerThread),
    /// rowsofb-strip (GroupsPerStrip), rowsofb-kblock (KBlockBytes).
    /// </summary>
    private static void CompareSettings(int m, int n, int k, bool ta, bool tb, string spec)
    {
        var (knob, values) = (spec.Split('=')[0], spec.Split('=')[1].Split(',').Select(int.Parse).ToArray());
        Action<int> set = knob switch
        {
            "rowsofb-parts" => v => GemmRowsOfB<float>.PartsPerThread = v,
            "rowsofb-strip" => v => GemmRowsOfB<float>.GroupsPerStrip = v,
            "rowsofb-kblock" => v => GemmRowsOfB<float>.KBlockBytes = v,
            _ => throw new ArgumentException($"gemm-quick --ab: unknown knob {knob} (rowsofb-parts, rowsofb-strip, rowsofb-kblock)"),
        };
        long bCount = (long)k * n;
        int copies = s_cold ? (int)Math.Max(1, (256L << 20) / (bCount * sizeof(float))) : 1, next = 0;
        float* a = Alloc<float>((long)m * k), b = Alloc<float>(bCount * copies), c = Alloc<float>((long)m * n);
        try
        {
            double flop = 2.0 * m * n * k;
            int reps = (int)Math.Clamp(s_sampleSeconds * 300e9 / flop, 1, 100_000);
            double Sample(int value)
            {
                set(value);
                double t0 = s_cpuTime ? ThreadCpuSeconds() : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
                for (int r = 0; r < reps; r++, next = (next + 1) % copies) Call(m, n, k, ta, tb, a, b + bCount * next, c);
                double t1 = s_cpuTime ? ThreadCpuSeconds() : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
                return flop * reps / (t1 - t0) / 1e9;
            }
            Sample(values[0]); Sample(values[1]);   // warm-up
            var x = new List<double>(); var y = new List<double>(); var ratios = new List<double>();
            for (int s = 0; s < s_samples; s++)
            {
                double gx, gy;
                if (s % 2 == 0) { gx = Sample(values[0]); gy = Sample(values[1]); }
                else { gy = Sample(values[1]); gx = Sample(values[0]); }
                x.Add(gx); y.Add(gy); ratios.Add(gy / gx);
            }
            static double Median(List<double> l) { l.Sort(); return l[l.Count / 2]; }
            Console.WriteLine($"{m}x{n}x{k}  {knob}={values[0]}: {Median(x),6:F1}  {knob}={values[1]}: {Median(y),6:F1} GFLOP/s medians;  pairs' ratio median {Median(ratios):F3} (of {s_samples})");
        }
        finally
        {
            NativeMemory.AlignedFree(a); NativeMemory.AlignedFree(b); NativeMemory.AlignedFree(c);
        }
    }

    private static bool s_cold;
    private static int s_threads = Environment.ProcessorCount;
    private static bool s_cpuTime;
    private static int s_samples = 11;
    private static double s_sampleSeconds = 0.02e12 / 300e9;

    /// <summary>
    /// CPU time of the calling thread (with more threads, of the process): with --cpu, timings ignore time lost to other
    /// processes. With two threads that gives GFLOP per CPU-second, what each core did while it ran (spinning at a wait included).
    /// </summary>
    private static double ThreadCpuSeconds()
    {
        Timespec t;
        clock_gettime(s_threads == 1 ? 3 /* CLOCK_THREAD_CPUTIME_ID */ : 2 /* CLOCK_PROCESS_CPUTIME_ID */, &t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    private struct Timespec { public long Seconds, Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clock, Timespec* t);

    private static void Call<T>(int m, int n, int k, bool ta, bool tb, T* a, T* b, T* c) where T : unmanaged
    {
        int lda = ta ? m : k, ldb = tb ? k : n;
        if (typeof(T) == typeof(float))
            Gemm.Run(new GemmProblem<float>(ta, tb, m, n, k, 1f, (float*)a, lda, (float*)b, ldb, 0f, (float*)c, n), s_threads);
        else
            Gemm.Run(new GemmProblem<double>(ta, tb, m, n, k, 1.0, (double*)a, lda, (double*)b, ldb, 0.0, (double*)c, n), s_threads);
    }

    /// <summary>The AVX-512 float micro-kernel alone on L1/L2-resident panels: the single-core ceiling.</summary>
    private static void KernelOnly()
    {
        const int kc = 256, tiles = 12;
        int mr = Avx512Kernel<float>.MR, nr = Avx512Kernel<float>.NR;
        float* a = Alloc<float>(mr * kc * tiles), b = Alloc<float>(nr * kc), c = Alloc<float>(mr * tiles * nr);
        for (int s = 0; s < 5; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            const int reps = 20000;
            for (int r = 0; r < reps; r++)
                for (int t = 0; t < tiles; t++)
                    Avx512Kernel<float>.Run(kc, a + t * mr * kc, b, nr, c + t * mr * nr, nr, 1f, 1f);
            double sec = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            Console.WriteLine($"kernel {mr}x{nr} kc={kc}: {2.0 * mr * nr * kc * tiles * reps / sec / 1e9:F1} GFLOP/s (1 core)");
        }
    }

    internal static T* Alloc<T>(long count) where T : unmanaged
    {
        var p = (T*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(T)), 64);
        var rng = new Random(42);
        for (long i = 0; i < count; i++)
            p[i] = typeof(T) == typeof(float) ? (T)(object)(float)(rng.NextDouble() - 0.5) : (T)(object)(rng.NextDouble() - 0.5);
        return p;
    }
}
