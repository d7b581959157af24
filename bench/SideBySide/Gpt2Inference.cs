using System.Text.Json;

namespace Interp.Bench.SideBySide;

/// <summary>
/// The side-by-side's `gpt2-small` workload (issue 24): both sides load the same GPT-2 small checkpoint in Hugging
/// Face's layout (`Interp.Bench gpt2-small`, written once with random weights when missing) and time the load, the
/// forward at 1 x 128 and 8 x 128 tokens and RunWithCache at 8 x 128 (bench/Gpt2Small.cs and bench/peers/torch_gpt2.py,
/// one process per side, configuration and round). Each process reports one load and the median of its samples of
/// the rest; the table shows medians over rounds. PyTorch's side reports CPU time for the load only.
/// </summary>
internal static class Gpt2Inference
{
    public const string Name = "gpt2-small";

    static readonly (string Phase, string Key)[] Phases =
        [("load", "load_ms"), ("forward 1x128", "forward_b1_ms"), ("forward 8x128", "forward_b8_ms"), ("cache 8x128", "cache_b8_ms")];

    public static SideBySideRunner.Side Interp(int samples, IReadOnlyDictionary<string, string?> env)
    {
        EnsureCheckpoint();
        return Parse(SideBySideRunner.LastJsonLine(Environment.ProcessPath!, [Name, "--samples", samples.ToString()], env));
    }

    public static SideBySideRunner.Side Torch(string python, string script, int samples, PeerSetting p) =>
        Parse(SideBySideRunner.LastJsonLine(python, [script, "--samples", samples.ToString(), "--threads", p.TorchThreads.ToString()], p.Env));

    static void EnsureCheckpoint()
    {
        if (File.Exists(Gpt2Small.DefaultCheckpoint)) return;
        Console.Error.WriteLine($"side-by-side: writing a random GPT-2 small checkpoint to {Gpt2Small.DefaultCheckpoint}");
        Gpt2Small.Run(["--write"]);
    }

    /// <summary>Both scripts print the same keys: phases in ms, load CPU ms, `cpu_ms` [b1, b8, cache] on Interp's side, peak MB.</summary>
    static SideBySideRunner.Side Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var ms = Phases.ToDictionary(p => p.Phase, p => new List<double> { root.GetProperty(p.Key).GetDouble() });
        var cpu = new Dictionary<string, List<double>> { ["load"] = [root.GetProperty("load_cpu_ms").GetDouble()] };
        if (root.TryGetProperty("cpu_ms", out var c))
            foreach (var (phase, value) in Phases.Skip(1).Zip(c.EnumerateArray()))
                cpu[phase.Phase] = [value.GetDouble()];
        int threads = root.TryGetProperty("threads", out var t) ? t.GetInt32() : Environment.ProcessorCount;
        return new(ms, cpu, (long)(root.GetProperty("peak_mb").GetDouble() * 1000), threads, "", "", 0);
    }
}
