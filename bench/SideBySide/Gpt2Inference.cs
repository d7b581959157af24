using System.Text.Json;

namespace Interp.Bench.SideBySide;

/// <summary>
/// The side-by-side's `gpt2-small` workload (issue 24): both sides load the same GPT-2 small checkpoint in Hugging
/// Face's layout (`Interp.Bench gpt2-small`, written once with random weights when missing) and time the load, the
/// forward at 1 x 128 and 8 x 128 tokens and RunWithCache at 8 x 128 (bench/Gpt2Small.cs and bench/peers/torch_gpt2.py,
/// one process per side, configuration and round). Each process reports one load and the median of its samples of
/// the rest; the table shows medians over rounds. PyTorch's side reports CPU time for the load only.
/// Every process starts with the checkpoint in the page cache (<see cref="WarmPageCache"/>), so the load times
/// compare the loaders, not which side the host's memory reclaim left a cold file to.
/// </summary>
internal static class Gpt2Inference
{
    public const string Name = "gpt2-small";

    static readonly (string Phase, string Key)[] Phases =
        [("load", "load_ms"), ("forward 1x128", "forward_b1_ms"), ("forward 8x128", "forward_b8_ms"), ("cache 8x128", "cache_b8_ms")];

    public static SideBySideRunner.Side Interp(int samples, IReadOnlyDictionary<string, string?> env)
    {
        EnsureCheckpoint();
        WarmPageCache(Gpt2Small.DefaultCheckpoint);
        // PyTorch's load timer starts after `import torch` has paged its libraries in; Interp's starts before the
        // first touch of its assemblies, so their files are read once here too (the JIT's work stays timed)
        foreach (var dir in new[] { AppContext.BaseDirectory, System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory() })
            foreach (var dll in Directory.EnumerateFiles(dir, "*.dll"))
                WarmPageCache(dll);
        return Parse(SideBySideRunner.LastJsonLine(Environment.ProcessPath!, [Name, "--samples", samples.ToString()], env), "Interp");
    }

    public static SideBySideRunner.Side Torch(string python, string script, int samples, PeerSetting p)
    {
        WarmPageCache(Gpt2Small.DefaultCheckpoint);
        return Parse(SideBySideRunner.LastJsonLine(python, [script, "--samples", samples.ToString(), "--threads", p.TorchThreads.ToString()], p.Env), p.Name);
    }

    /// <summary>
    /// Reads the whole file once so that it sits in the page cache when the next process loads it. Some hosts reclaim
    /// a file's cached pages within seconds of its last read: a first load 20 s after the last one read 14-30 MB of
    /// the program's assemblies from disk (316-330 ms wall against 134 ms with them cached), and the whole checkpoint
    /// after a pause (823 ms).
    /// </summary>
    static void WarmPageCache(string path)
    {
        var buffer = new byte[4 << 20];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        while (file.Read(buffer, 0, buffer.Length) > 0) { }
    }

    static void EnsureCheckpoint()
    {
        if (File.Exists(Gpt2Small.DefaultCheckpoint)) return;
        Console.Error.WriteLine($"side-by-side: writing a random GPT-2 small checkpoint to {Gpt2Small.DefaultCheckpoint}");
        Gpt2Small.Run(["--write"]);
    }

    /// <summary>Both scripts print the same keys: phases in ms, load CPU ms, `cpu_ms` [b1, b8, cache] on Interp's side, peak MB.</summary>
    static SideBySideRunner.Side Parse(string line, string side)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        if (root.TryGetProperty("load_disk_mb", out var disk))
            Console.Error.WriteLine($"side-by-side: {Name} {side}: the load read {disk.GetDouble():F0} MB from disk (0 when the page cache held the file)");
        var ms = Phases.ToDictionary(p => p.Phase, p => new List<double> { root.GetProperty(p.Key).GetDouble() });
        var cpu = new Dictionary<string, List<double>> { ["load"] = [root.GetProperty("load_cpu_ms").GetDouble()] };
        if (root.TryGetProperty("cpu_ms", out var c))
            foreach (var (phase, value) in Phases.Skip(1).Zip(c.EnumerateArray()))
                cpu[phase.Phase] = [value.GetDouble()];
        int threads = root.TryGetProperty("threads", out var t) ? t.GetInt32() : Environment.ProcessorCount;
        return new(ms, cpu, (long)(root.GetProperty("peak_mb").GetDouble() * 1000), threads, "", "", 0);
    }
}
