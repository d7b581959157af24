namespace Interp.Bench.SideBySide;

/// <summary>
/// One way to run PyTorch: its intra-op threads and its process's environment. The side-by-side runs every one and
/// compares Interp with the fastest, per workload and phase, since a ratio against a handicapped peer means nothing.
/// What PyTorch's CPU performance guide advises on a small machine: fewer intra-op threads than cores or a passive OpenMP
/// wait policy (its OpenMP pool and OpenBLAS's own pthreads otherwise spin against each other), OpenBLAS's kernel for
/// the CPU it runs on (this host's environment pins OPENBLAS_CORETYPE=Haswell, an AVX2 kernel, on AVX-512 machines),
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
        yield return new("torch1-native-tcmalloc", $"torch 1 thread, OpenBLAS {t} on the CPU's own kernel, tcmalloc", 1,
            With(Native(Threads(1, t)), ("LD_PRELOAD", Tcmalloc)));
        yield return new("passive-native-tcmalloc", $"as passive, on OpenBLAS's kernel for this CPU, with tcmalloc", t,
            With(Native(Threads(t, t)), ("OMP_WAIT_POLICY", "PASSIVE"), ("LD_PRELOAD", Tcmalloc)));
        yield return new("passive-native-jemalloc", $"as passive, on OpenBLAS's kernel for this CPU, with jemalloc", t,
            With(Native(Threads(t, t)), ("OMP_WAIT_POLICY", "PASSIVE"), ("LD_PRELOAD", Jemalloc)));
    }

    static Dictionary<string, string?> Threads(int torch, int blas) => new()
    {
        ["OMP_NUM_THREADS"] = torch.ToString(),
        ["MKL_NUM_THREADS"] = torch.ToString(),
        ["OPENBLAS_NUM_THREADS"] = blas.ToString(),
    };

    /// <summary>Unsets the host's OpenBLAS pins, so that OpenBLAS detects the CPU (the peer script checks its results).</summary>
    static Dictionary<string, string?> Native(Dictionary<string, string?> env) =>
        With(env, ("OPENBLAS_CORETYPE", null), ("OPENBLAS_L2_SIZE", null));

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
