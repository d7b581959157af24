namespace Interp.Bench.SideBySide;

/// <summary>
/// One way to run PyTorch: its intra-op threads and its process's environment. The side-by-side runs every one and
/// compares Interp with the fastest, per workload and phase, since a ratio against a handicapped peer means nothing.
/// What PyTorch's CPU performance guide advises on a small machine: fewer intra-op threads than cores or a passive OpenMP
/// wait policy (its OpenMP pool and OpenBLAS's own pthreads otherwise spin against each other), OpenBLAS's kernel for
/// the CPU it runs on (some hosts' environments pin OPENBLAS_CORETYPE=Haswell, an AVX2 kernel, on AVX-512 machines, and
/// Debian 12's OpenBLAS 0.3.21 detects CPUs newer than it knows as Prescott, an SSE3 kernel: see <see cref="BestOpenBlasCore"/>),
/// and a caching allocator (tcmalloc or jemalloc through LD_PRELOAD) instead of glibc's malloc, which gives large
/// activations back to the kernel after every step and page-faults them in again.
/// </summary>
internal sealed record PeerSetting(string Name, string What, int TorchThreads, IReadOnlyDictionary<string, string?> Env)
{
    public static readonly string[] Names = All(1).Select(p => p.Name).ToArray();

    const string Tcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";
    const string Jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

    public static IEnumerable<PeerSetting> All(int t)
    {
        yield return new("omp", $"torch {t} threads, OpenMP and OpenBLAS {t} (each pool as many threads as cores)", t, Threads(t, t));
        yield return new("torch1", $"torch 1 thread, OpenBLAS {t}", 1, Threads(1, t));
        yield return new("passive", $"torch {t} threads, OpenBLAS {t}, OMP_WAIT_POLICY=PASSIVE", t, With(Threads(t, t), ("OMP_WAIT_POLICY", "PASSIVE")));
        yield return new("torch1-native-tcmalloc", $"torch 1 thread, OpenBLAS {t} on its widest kernel for this CPU, tcmalloc", 1,
            With(Native(Threads(1, t)), ("LD_PRELOAD", Tcmalloc)));
        yield return new("passive-native-tcmalloc", $"as passive, on OpenBLAS's widest kernel for this CPU, with tcmalloc", t,
            With(Native(Threads(t, t)), ("OMP_WAIT_POLICY", "PASSIVE"), ("LD_PRELOAD", Tcmalloc)));
        yield return new("passive-native-jemalloc", $"as passive, on OpenBLAS's widest kernel for this CPU, with jemalloc", t,
            With(Native(Threads(t, t)), ("OMP_WAIT_POLICY", "PASSIVE"), ("LD_PRELOAD", Jemalloc)));
    }

    static Dictionary<string, string?> Threads(int torch, int blas) => new()
    {
        ["OMP_NUM_THREADS"] = torch.ToString(),
        ["MKL_NUM_THREADS"] = torch.ToString(),
        ["OPENBLAS_NUM_THREADS"] = blas.ToString(),
    };

    /// <summary>
    /// Replaces the host's OpenBLAS pins with OpenBLAS's most capable kernel for this CPU (the peer script prints the
    /// kernel that ran); where the CPU's instruction sets are unknown, leaves the choice to OpenBLAS's detection.
    /// </summary>
    static Dictionary<string, string?> Native(Dictionary<string, string?> env) =>
        With(env, ("OPENBLAS_CORETYPE", BestOpenBlasCore()), ("OPENBLAS_L2_SIZE", null));

    /// <summary>
    /// The OPENBLAS_CORETYPE of the widest kernel this CPU runs, from its flags in /proc/cpuinfo: Cooperlake (AVX-512
    /// with BF16; its sgemm is SkylakeX's), SkylakeX (AVX-512 F/CD/BW/DQ/VL), Haswell (AVX2 + FMA); null elsewhere.
    /// OpenBLAS's own detection goes by CPU model numbers and falls back to Prescott (SSE3) on one it does not know:
    /// 0.3.21 does so on Intel family 6 model 207 (Emerald Rapids), at a tenth of the AVX-512 kernel's speed.
    /// </summary>
    internal static string? BestOpenBlasCore()
    {
        string? flagsLine = null;
        try { flagsLine = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags")); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        if (flagsLine is null) return null;
        var flags = flagsLine[(flagsLine.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        bool avx512 = new[] { "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl" }.All(flags.Contains);
        if (avx512 && flags.Contains("avx512_bf16")) return "Cooperlake";
        if (avx512) return "SkylakeX";
        if (flags.Contains("avx2") && flags.Contains("fma")) return "Haswell";
        return null;
    }

    static Dictionary<string, string?> With(Dictionary<string, string?> env, params (string Key, string? Value)[] more)
    {
        var r = new Dictionary<string, string?>(env);
        foreach (var (k, v) in more) r[k] = v;
        return r;
    }

    /// <summary>Fails before anything runs when a preloaded allocator is missing (bash scripts/setup.sh --dev installs both).</summary>
    public void CheckInstalled()
    {
        if (Env.TryGetValue("LD_PRELOAD", out var lib) && lib is not null && !File.Exists(lib))
            throw new FileNotFoundException($"side-by-side: PyTorch configuration '{Name}' preloads {lib}, which is missing; run bash scripts/setup.sh --dev, or leave it out with --peers");
    }
}
