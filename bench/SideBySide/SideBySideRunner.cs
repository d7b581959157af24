using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Interp.Bench.SideBySide;

/// <summary>
/// `dotnet run -c Release --project bench -- side-by-side [WORKLOAD ...] [--rounds R] [--samples S] [--warmup W]
/// [--threads T] [--peers NAME,...] [--python PATH] [--confirm P]`: runs each workload in Interp and in PyTorch
/// (bench/peers/torch_workloads.py under Debian's python3-torch) in each of its configurations
/// (<see cref="PeerSetting"/>), one process per side and configuration per round, alternately, and prints a markdown
/// table of medians with every configuration's time, the fastest one, the ratio Interp time / fastest PyTorch time and
/// both sides' peak resident memory. With --confirm P it then reruns Interp and each phase's fastest configuration in P
/// alternated pairs of processes and adds their ratio (<see cref="Confirm"/>). Installs nothing.
/// </summary>
internal static class SideBySideRunner
{
    const string Usage = """
        usage: side-by-side [WORKLOAD ...] [--rounds R] [--samples S] [--warmup W] [--threads T] [--peers NAME,...] [--python PATH] [--confirm P]
          WORKLOAD   matmul-128 matmul-256 matmul-512 matmul-1024 matmul-2048 gpt cnn sae (default: all), and gpt2-small
                     (pretrained-model inference, named only: load, forward 1 x 128 and 8 x 128, RunWithCache 8 x 128)
          --rounds   processes per side and workload, run alternately Interp, PyTorch, Interp, ... (default 2)
          --samples  timed samples per process (default 5); medians over all rounds' samples
          --warmup   untimed calls per phase before sampling, and at least 2 s of them (default 2; 0: none)
          --threads  threads for both sides: DOTNET_PROCESSOR_COUNT, and PyTorch's threads as each configuration sets them (default 2)
          --peers    PyTorch configurations to run (default: all): {0}
          --python   the interpreter with torch (default /usr/bin/python3, Debian's python3-torch)
          --confirm  after the rounds, P pairs of processes, Interp then the phase's fastest configuration, and the
                     median of the pairs' ratios in its own column (default 0: none)
        """;

    internal sealed record Side(Dictionary<string, List<double>> Ms, Dictionary<string, List<double>> CpuMs, long PeakKb, int Threads, string Version,
                       string BlasCore, double GemmRelErr);

    static string UsageText => string.Format(Usage, string.Join(", ", PeerSetting.Names));

    public static int Run(string[] args)
    {
        if (args.Contains("-h") || args.Contains("--help"))
        {
            Console.WriteLine(UsageText);
            return 0;
        }
        var (names, rounds, samples, warmup, threads, python, peers, confirm) = Parse(args);
        string script = FindPeerScript("torch_workloads.py");
        if (!File.Exists(python))
            throw new ArgumentException($"side-by-side: no python at {python}; install Debian's python3-torch (bash scripts/setup.sh --dev) or pass --python");

        var settings = PeerSetting.All(threads).Where(p => peers.Contains(p.Name)).ToList();
        settings.ForEach(p => p.CheckInstalled());
        Console.WriteLine($"# side-by-side: {threads} threads each side, {rounds} rounds x {samples} samples, {warmup} warm-up calls per phase" +
                          (confirm > 0 ? $", then {confirm} confirming pairs" : ""));
        Console.WriteLine($"# machine: {Environment.ProcessorCount} logical CPUs, {CpuModel()}; load before: {LoadAverage()}");
        foreach (var p in settings) Console.WriteLine($"# PyTorch `{p.Name}`: {p.What}");
        var rows = new List<string[]>();
        var notes = new SortedSet<string>();
        string? torchVersion = null;
        foreach (var name in names)
        {
            var (runInterp, runTorch) = name == Gpt2Inference.Name
                ? (() => Gpt2Inference.Interp(samples, InterpEnv(threads)),
                   p => Gpt2Inference.Torch(python, FindPeerScript("torch_gpt2.py"), samples, p))
                : Processes(name, samples, warmup, threads, python, script);
            var interp = new List<Side>();
            var torch = settings.ToDictionary(p => p.Name, _ => new List<Side>());
            for (int r = 0; r < rounds; r++)
            {
                interp.Add(runInterp());
                foreach (var p in settings) torch[p.Name].Add(runTorch(p));
                Console.Error.WriteLine($"side-by-side: {name} round {r + 1}/{rounds} done");
            }
            foreach (var p in settings)
            {
                var s0 = torch[p.Name][0];
                torchVersion ??= s0.Version;
                if (s0.BlasCore != "") notes.Add($"`{p.Name}`: OpenBLAS kernel {s0.BlasCore}, float32 GEMM check {s0.GemmRelErr:E1}" +
                          (Trusted(s0) ? "" : " — WRONG RESULTS, left out of the comparison"));
            }
            var fastest = Fastest(name, interp, settings, torch);
            var confirmed = Confirm.Run(name, confirm, fastest, runInterp, runTorch);
            var done = Rows(name, interp, settings, torch, fastest, confirmed).ToList();
            foreach (var row in done) Console.Error.WriteLine("side-by-side: " + string.Join(" | ", row));
            rows.AddRange(done);
        }
        Console.WriteLine($"# PyTorch {torchVersion}; load after: {LoadAverage()}");
        foreach (var n in notes) Console.WriteLine("# " + n);
        Console.WriteLine();
        PrintTable(["workload", "metric", "Interp", .. settings.Select(p => "PyTorch " + p.Name), "fastest PyTorch",
                    "Interp / fastest time", "Interp / fastest CPU time", .. confirm > 0 ? new[] { $"Interp / fastest, {confirm} paired reruns" } : [],
                    "peak RSS Interp", "peak RSS PyTorch (fastest)"], rows);
        return 0;
    }

    /// <summary>The two sides of a `workload` benchmark: one process each, the PyTorch one in a configuration's environment.</summary>
    static (Func<Side>, Func<PeerSetting, Side>) Processes(string name, int samples, int warmup, int threads, string python, string script)
    {
        var sideArgs = new[] { name, "--warmup", warmup.ToString(), "--samples", samples.ToString() };
        return (() => Launch(Environment.ProcessPath!, ["workload", .. sideArgs], InterpEnv(threads)),
                p => Launch(python, [script, .. sideArgs, "--threads", p.TorchThreads.ToString()], p.Env));
    }

    /// <summary>A configuration whose float32 GEMM is off by more than float32 rounding can explain is not compared.</summary>
    static bool Trusted(Side s) => s.GemmRelErr < 1e-4;

    /// <summary>Each phase's fastest trusted configuration by its median over the rounds.</summary>
    static Dictionary<string, PeerSetting> Fastest(string name, List<Side> interp, List<PeerSetting> settings, Dictionary<string, List<Side>> torch) =>
        interp[0].Ms.Keys.ToDictionary(phase => phase, phase =>
            settings.Where(p => torch[p.Name].All(Trusted)).MinBy(p => Median(torch[p.Name].SelectMany(s => s.Ms[phase])))
            ?? throw new InvalidOperationException($"side-by-side: no PyTorch configuration computed {name} correctly"));

    /// <summary>One row per phase: Interp, every PyTorch configuration, and Interp against the fastest trusted one.</summary>
    static IEnumerable<string[]> Rows(string name, List<Side> interp, List<PeerSetting> settings, Dictionary<string, List<Side>> torch,
                                      Dictionary<string, PeerSetting> fastest, Dictionary<string, double>? confirmed)
    {
        bool matmul = name.StartsWith("matmul-");
        double flop = matmul ? 2.0 * Math.Pow(int.Parse(name["matmul-".Length..]), 3) : 0;
        string Show(double ms) => matmul ? Gflops(flop, ms) : Ms(ms);
        foreach (var phase in interp[0].Ms.Keys)
        {
            double mi = Median(interp.SelectMany(s => s.Ms[phase]));
            var medians = settings.ToDictionary(p => p.Name, p => Median(torch[p.Name].SelectMany(s => s.Ms[phase])));
            var best = fastest[phase];
            var bestSides = torch[best.Name];
            double cpuI = CpuMedian(interp, phase), cpuT = CpuMedian(bestSides, phase);
            yield return [name, matmul ? "GFLOP/s" : phase + " ms", Show(mi), .. settings.Select(p => Show(medians[p.Name])),
                          $"{Show(medians[best.Name])} (`{best.Name}`)", Ratio(mi, medians[best.Name]), Ratio(cpuI, cpuT),
                          .. confirmed is null ? Array.Empty<string>() : [confirmed[phase].ToString("F2", CultureInfo.InvariantCulture)],
                          Mib(interp.Max(s => s.PeakKb)), Mib(bestSides.Max(s => s.PeakKb))];
        }
    }

    /// <summary>Median CPU ms of a phase, NaN where a side does not report it (then the table shows "–").</summary>
    static double CpuMedian(List<Side> sides, string phase) =>
        sides.All(s => s.CpuMs.ContainsKey(phase)) ? Median(sides.SelectMany(s => s.CpuMs[phase])) : double.NaN;

    static Side Launch(string exe, string[] args, IReadOnlyDictionary<string, string?> env)
    {
        using var doc = JsonDocument.Parse(LastJsonLine(exe, args, env));
        var root = doc.RootElement;
        var ms = Samples(root.GetProperty("ms"));
        var cpuMs = Samples(root.GetProperty("cpu_ms"));
        string version = root.TryGetProperty("version", out var ver) ? ver.GetString() ?? "" : "";
        string core = root.TryGetProperty("blas_core", out var bc) ? bc.GetString() ?? "?" : "";
        double err = root.TryGetProperty("gemm_rel_err", out var ge) ? ge.GetDouble() : 0;
        return new Side(ms, cpuMs, root.GetProperty("vmhwm_kb").GetInt64(), root.GetProperty("threads").GetInt32(), version, core, err);
    }

    /// <summary>Runs one side's process and returns the JSON line it ends its output with.</summary>
    internal static string LastJsonLine(string exe, string[] args, IReadOnlyDictionary<string, string?> env)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env)
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"side-by-side: could not start {exe}");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        if (p.ExitCode != 0 || !line.StartsWith('{'))
            throw new InvalidOperationException($"side-by-side: {exe} {string.Join(' ', args)} failed (exit {p.ExitCode}): {stderr.Result.Trim()} {stdout.Trim()}");
        return line;
    }

    static Dictionary<string, List<double>> Samples(JsonElement phases) => phases.EnumerateObject()
        .ToDictionary(ph => ph.Name, ph => ph.Value.EnumerateArray().Select(v => v.GetDouble()).ToList());

    /// <summary>Interp's threads: .NET's processor count, by which its GEMM pool and parallel loops size themselves.</summary>
    static Dictionary<string, string?> InterpEnv(int threads) => new() { ["DOTNET_PROCESSOR_COUNT"] = threads.ToString() };

    static (List<string> Names, int Rounds, int Samples, int Warmup, int Threads, string Python, HashSet<string> Peers, int Confirm) Parse(string[] args)
    {
        var names = new List<string>();
        var peers = PeerSetting.Names.ToHashSet();
        int rounds = 2, samples = 5, warmup = 2, threads = 2, confirm = 0;
        string python = "/usr/bin/python3";
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--"))
            {
                if (!Workloads.Names.Contains(a) && a != Gpt2Inference.Name) throw new ArgumentException($"side-by-side: unknown workload '{a}'\n{UsageText}");
                names.Add(a);
                continue;
            }
            if (a is not ("--rounds" or "--samples" or "--warmup" or "--threads" or "--python" or "--peers" or "--confirm"))
                throw new ArgumentException($"side-by-side: unknown option {a}\n{UsageText}");
            if (i + 1 >= args.Length) throw new ArgumentException($"side-by-side: {a} needs a value\n{UsageText}");
            string v = args[++i];
            switch (a)
            {
                case "--rounds": rounds = PositiveInt(a, v); break;
                case "--samples": samples = PositiveInt(a, v); break;
                case "--warmup": warmup = int.TryParse(v, out int w) && w >= 0 ? w : throw new ArgumentException($"side-by-side: {a} needs an integer >= 0, got '{v}'"); break;
                case "--threads": threads = PositiveInt(a, v); break;
                case "--python": python = v; break;
                case "--confirm": confirm = int.TryParse(v, out int c) && c >= 0 ? c : throw new ArgumentException($"side-by-side: {a} needs an integer >= 0, got '{v}'"); break;
                case "--peers":
                    peers = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
                    if (peers.Count == 0 || !peers.All(PeerSetting.Names.Contains))
                        throw new ArgumentException($"side-by-side: --peers takes names from {string.Join(", ", PeerSetting.Names)}, got '{v}'");
                    break;
                default: throw new ArgumentException($"side-by-side: unknown option {a}\n{UsageText}");
            }
        }
        return (names.Count > 0 ? names : [.. Workloads.Names], rounds, samples, warmup, threads, python, peers, confirm);
    }

    static int PositiveInt(string option, string v) =>
        int.TryParse(v, out int n) && n > 0 ? n : throw new ArgumentException($"side-by-side: {option} needs a positive integer, got '{v}'");

    /// <summary>bench/peers/FILE, looked up from the working directory and from the executable upwards.</summary>
    static string FindPeerScript(string file)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "bench", "peers", file);
                if (File.Exists(path)) return path;
            }
        throw new FileNotFoundException($"side-by-side: cannot find bench/peers/{file}; run from the repository");
    }

    static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    static string CpuModel() => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?"
        : "?";

    internal static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    static string Ratio(double interp, double torch) =>
        double.IsNaN(interp) || double.IsNaN(torch) ? "–" : (interp / torch).ToString("F2", CultureInfo.InvariantCulture);

    static string Ms(double ms) => ms.ToString(ms < 10 ? "F2" : "F1", CultureInfo.InvariantCulture);
    static string Gflops(double flop, double ms) => (flop / (ms * 1e6)).ToString("F1", CultureInfo.InvariantCulture);
    static string Mib(long kb) => (kb / 1024.0).ToString("F0", CultureInfo.InvariantCulture) + " MiB";

    static void PrintTable(string[] header, List<string[]> rows)
    {
        Console.WriteLine("| " + string.Join(" | ", header) + " |");
        Console.WriteLine("|" + string.Join("|", header.Select((_, i) => i < 2 ? "---" : "---:")) + "|");
        foreach (var r in rows) Console.WriteLine("| " + string.Join(" | ", r) + " |");
    }
}
