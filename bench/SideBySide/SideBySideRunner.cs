using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Interp.Bench.SideBySide;

/// <summary>
/// `dotnet run -c Release --project bench -- side-by-side [WORKLOAD ...] [--rounds R] [--samples S] [--warmup W]
/// [--threads T] [--python PATH]`: runs each workload in Interp and in PyTorch (bench/peers/torch_workloads.py under
/// Debian's python3-torch), alternating one process per side per round, and prints a markdown table of medians, the
/// ratio Interp time / PyTorch time and each side's peak resident memory. Installs nothing.
/// </summary>
internal static class SideBySideRunner
{
    const string Usage = """
        usage: side-by-side [WORKLOAD ...] [--rounds R] [--samples S] [--warmup W] [--threads T] [--python PATH]
          WORKLOAD   matmul-128 matmul-256 matmul-512 matmul-1024 matmul-2048 gpt cnn sae (default: all)
          --rounds   processes per side and workload, run alternately Interp, PyTorch, Interp, ... (default 2)
          --samples  timed samples per process (default 5); medians over all rounds' samples
          --warmup   untimed calls per phase before sampling, and at least 2 s of them (default 2; 0: none)
          --threads  threads for both sides: DOTNET_PROCESSOR_COUNT and torch.set_num_threads (default 2)
          --python   the interpreter with torch (default /usr/bin/python3, Debian's python3-torch)
        """;

    sealed record Side(Dictionary<string, List<double>> Ms, Dictionary<string, List<double>> CpuMs, long PeakKb, int Threads, string Version);

    public static int Run(string[] args)
    {
        if (args.Contains("-h") || args.Contains("--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        var (names, rounds, samples, warmup, threads, python) = Parse(args);
        string script = FindPeerScript();
        if (!File.Exists(python))
            throw new ArgumentException($"side-by-side: no python at {python}; install Debian's python3-torch (bash scripts/setup.sh --dev) or pass --python");

        Console.WriteLine($"# side-by-side: {threads} threads each side, {rounds} rounds x {samples} samples, {warmup} warm-up calls per phase");
        Console.WriteLine($"# machine: {Environment.ProcessorCount} logical CPUs, {CpuModel()}; load before: {LoadAverage()}");
        var rows = new List<string[]>();
        string? torchVersion = null;
        foreach (var name in names)
        {
            var interp = new List<Side>();
            var torch = new List<Side>();
            for (int r = 0; r < rounds; r++)
            {
                var sideArgs = new[] { name, "--warmup", warmup.ToString(), "--samples", samples.ToString() };
                interp.Add(Launch(Environment.ProcessPath!, ["workload", .. sideArgs], Env(threads)));
                torch.Add(Launch(python, [script, .. sideArgs, "--threads", threads.ToString()], Env(threads)));
                Console.Error.WriteLine($"side-by-side: {name} round {r + 1}/{rounds} done");
            }
            torchVersion ??= torch[0].Version;
            var done = Rows(name, interp, torch).ToList();
            foreach (var row in done) Console.Error.WriteLine("side-by-side: " + string.Join(" | ", row));
            rows.AddRange(done);
        }
        Console.WriteLine($"# PyTorch {torchVersion}; load after: {LoadAverage()}");
        Console.WriteLine();
        PrintTable(["workload", "metric", "Interp", "PyTorch", "Interp / PyTorch time", "Interp / PyTorch CPU time", "peak RSS Interp", "peak RSS PyTorch"], rows);
        return 0;
    }

    static IEnumerable<string[]> Rows(string name, List<Side> interp, List<Side> torch)
    {
        string peakI = Mib(interp.Max(s => s.PeakKb)), peakT = Mib(torch.Max(s => s.PeakKb));
        foreach (var phase in interp[0].Ms.Keys)
        {
            double mi = Median(interp.SelectMany(s => s.Ms[phase])), mt = Median(torch.SelectMany(s => s.Ms[phase]));
            string ratio = Ratio(mi, mt);
            string cpuRatio = Ratio(Median(interp.SelectMany(s => s.CpuMs[phase])), Median(torch.SelectMany(s => s.CpuMs[phase])));
            if (name.StartsWith("matmul-"))
            {
                int n = int.Parse(name["matmul-".Length..]);
                double flop = 2.0 * n * n * n;
                yield return [name, "GFLOP/s", Gflops(flop, mi), Gflops(flop, mt), ratio, cpuRatio, peakI, peakT];
            }
            else
                yield return [name, phase + " ms", Ms(mi), Ms(mt), ratio, cpuRatio, peakI, peakT];
        }
    }

    static Side Launch(string exe, string[] args, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"side-by-side: could not start {exe}");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        if (p.ExitCode != 0 || !line.StartsWith('{'))
            throw new InvalidOperationException($"side-by-side: {exe} {string.Join(' ', args)} failed (exit {p.ExitCode}): {stderr.Result.Trim()} {stdout.Trim()}");
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var ms = Samples(root.GetProperty("ms"));
        var cpuMs = Samples(root.GetProperty("cpu_ms"));
        string version = root.TryGetProperty("version", out var ver) ? ver.GetString() ?? "" : "";
        return new Side(ms, cpuMs, root.GetProperty("vmhwm_kb").GetInt64(), root.GetProperty("threads").GetInt32(), version);
    }

    static Dictionary<string, List<double>> Samples(JsonElement phases) => phases.EnumerateObject()
        .ToDictionary(ph => ph.Name, ph => ph.Value.EnumerateArray().Select(v => v.GetDouble()).ToList());

    /// <summary>The same thread count for both runtimes: .NET's processor count (Interp's GEMM pool and loops size
    /// themselves by it) and OpenMP/OpenBLAS for torch (the script also calls torch.set_num_threads).</summary>
    static Dictionary<string, string> Env(int threads) => new()
    {
        ["DOTNET_PROCESSOR_COUNT"] = threads.ToString(),
        ["OMP_NUM_THREADS"] = threads.ToString(),
        ["OPENBLAS_NUM_THREADS"] = threads.ToString(),
        ["MKL_NUM_THREADS"] = threads.ToString(),
    };

    static (List<string> Names, int Rounds, int Samples, int Warmup, int Threads, string Python) Parse(string[] args)
    {
        var names = new List<string>();
        int rounds = 2, samples = 5, warmup = 2, threads = 2;
        string python = "/usr/bin/python3";
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--"))
            {
                if (!Workloads.Names.Contains(a)) throw new ArgumentException($"side-by-side: unknown workload '{a}'\n{Usage}");
                names.Add(a);
                continue;
            }
            if (a is not ("--rounds" or "--samples" or "--warmup" or "--threads" or "--python"))
                throw new ArgumentException($"side-by-side: unknown option {a}\n{Usage}");
            if (i + 1 >= args.Length) throw new ArgumentException($"side-by-side: {a} needs a value\n{Usage}");
            string v = args[++i];
            switch (a)
            {
                case "--rounds": rounds = PositiveInt(a, v); break;
                case "--samples": samples = PositiveInt(a, v); break;
                case "--warmup": warmup = int.TryParse(v, out int w) && w >= 0 ? w : throw new ArgumentException($"side-by-side: {a} needs an integer >= 0, got '{v}'"); break;
                case "--threads": threads = PositiveInt(a, v); break;
                case "--python": python = v; break;
                default: throw new ArgumentException($"side-by-side: unknown option {a}\n{Usage}");
            }
        }
        return (names.Count > 0 ? names : [.. Workloads.Names], rounds, samples, warmup, threads, python);
    }

    static int PositiveInt(string option, string v) =>
        int.TryParse(v, out int n) && n > 0 ? n : throw new ArgumentException($"side-by-side: {option} needs a positive integer, got '{v}'");

    /// <summary>bench/peers/torch_workloads.py, looked up from the working directory and from the executable upwards.</summary>
    static string FindPeerScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "bench", "peers", "torch_workloads.py");
                if (File.Exists(path)) return path;
            }
        throw new FileNotFoundException("side-by-side: cannot find bench/peers/torch_workloads.py; run from the repository");
    }

    static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    static string CpuModel() => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?"
        : "?";

    static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    static string Ratio(double interp, double torch) => (interp / torch).ToString("F2", CultureInfo.InvariantCulture);

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
