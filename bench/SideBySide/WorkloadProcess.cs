using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Interp.Bench.SideBySide;

/// <summary>
/// `Interp.Bench workload NAME [--warmup W] [--samples S] [--phase P]`: one side of one workload in a process of its own, so its
/// peak resident memory (VmHWM) is its own. Prints one JSON line, the same format torch_workloads.py prints:
/// {"side": "interp", "workload": NAME, "ms": {PHASE: [wall ms per call, one per sample]}, "cpu_ms": {PHASE: [process CPU
/// ms per call]}, "vmhwm_kb": K, "threads": T, "gc_collections": [gen0, gen1, gen2], "gc_pause_ms": P} (the GC fields
/// are Interp's only).
/// </summary>
internal static class WorkloadProcess
{
    /// <summary>A sample repeats a phase until it has run this long, so short phases (small matmuls) time well.</summary>
    const double MinSampleMs = 50;

    public static void Run(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("workload: name a workload: " + string.Join(", ", Workloads.Names));
        string name = args[0];
        int warmup = IntOption(args, "--warmup", 2), samples = IntOption(args, "--samples", 5);
        int only = Array.IndexOf(args, "--phase");
        var phases = Workloads.Create(name).Where(p => only < 0 || only + 1 < args.Length && p.Phase == args[only + 1]).ToList();
        if (phases.Count == 0) throw new ArgumentException($"workload: {name} has no phase '{args[only + 1]}'");
        var ms = new Dictionary<string, List<double>>();
        var cpuMs = new Dictionary<string, List<double>>();
        foreach (var (phase, run) in phases)
        {
            Warm(run, warmup);
            int reps = RepsFor(run);
            var list = ms[phase] = [];
            var cpuList = cpuMs[phase] = [];
            for (int s = 0; s < samples; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                double c0 = CpuMs();
                for (int r = 0; r < reps; r++) run();
                list.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / reps);
                cpuList.Add((CpuMs() - c0) / reps);
            }
        }
        var result = new Dictionary<string, object>
        {
            ["side"] = "interp", ["workload"] = name, ["ms"] = ms, ["cpu_ms"] = cpuMs,
            ["vmhwm_kb"] = PeakResidentKb(), ["threads"] = Environment.ProcessorCount,
            ["gc_collections"] = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) },
            ["gc_pause_ms"] = GC.GetTotalPauseDuration().TotalMilliseconds,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
    }

    /// <summary>
    /// At least <paramref name="calls"/> calls and at least WarmupMs of running: .NET compiles hot methods again,
    /// optimised, after some 30 calls and a short delay, and a training run is in that state after its first second.
    /// </summary>
    static void Warm(Action run, int calls)
    {
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls || (calls > 0 && Stopwatch.GetElapsedTime(t0).TotalMilliseconds < WarmupMs); i++) run();
    }

    const double WarmupMs = 2000;

    /// <summary>CPU time of the whole process, all threads (Python's time.process_time() on the other side).</summary>
    static double CpuMs() => CpuClock.ProcessMs();

    /// <summary>How many calls make one sample of at least MinSampleMs (one call for anything slower).</summary>
    static int RepsFor(Action run)
    {
        long t0 = Stopwatch.GetTimestamp();
        run();
        double once = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        return (int)Math.Clamp(Math.Ceiling(MinSampleMs / Math.Max(once, 1e-3)), 1, 10_000);
    }

    /// <summary>VmHWM from /proc/self/status: the peak resident set of this process, in kB (0 where there is no /proc).</summary>
    public static long PeakResidentKb()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith("VmHWM:"))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return 0;
    }

    static int IntOption(string[] args, string option, int fallback)
    {
        int i = Array.IndexOf(args, option);
        if (i < 0) return fallback;
        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], out int v) || v < 0)
            throw new ArgumentException($"workload: {option} needs a non-negative integer");
        return v;
    }
}
