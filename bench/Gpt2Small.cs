using System.Diagnostics;
using System.Text.Json;
using Interp.Autograd;
using Interp.Cpu;
using Interp.IO;
using Interp.Transformers;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench gpt2-small [--write] [--checkpoint PATH] [--samples S] [--loads N | --batch B | --parts | --hot-weights]`: pretrained-model inference as users run it
/// (issue 24). With --write, writes a randomly initialised GPT-2 small in Hugging Face's layout (12 layers, d_model 768,
/// 12 heads, vocabulary 50,257, n_ctx 1024; about 498 MB of float32 safetensors, plus config.json) and exits. Without,
/// in a fresh process: loads it with Pretrained.LoadGpt2 (wall and CPU time, minor page faults, peak and current RSS), then times the forward at batch
/// 1 x 128 and 8 x 128 and RunWithCache at 8 x 128 (no grad, medians after two untimed runs each, as the peer), and prints one JSON line with the cache's bytes,
/// the peak RSS before the cached runs and the whole run's (their difference is what keeping the cache cost). bench/peers/torch_gpt2.py is the PyTorch side on the same file.
/// </summary>
public static class Gpt2Small
{
    public static string DefaultCheckpoint =>
        Environment.GetEnvironmentVariable("INTERP_GPT2_CHECKPOINT") ?? "/tmp/interp-bench-gpt2-small/model.safetensors";

    public static void Run(string[] args)
    {
        string path = Option(args, "--checkpoint") ?? DefaultCheckpoint;
        int samples = int.Parse(Option(args, "--samples") ?? "5");
        if (args.Contains("--write")) { Write(path); return; }
        if (!File.Exists(path))
            throw new FileNotFoundException($"gpt2-small: no checkpoint at {path}; write one with `Interp.Bench gpt2-small --write`", path);

        if (args.Contains("--ops")) { Ops(path, samples, Option(args, "--only")); return; }
        if (Option(args, "--sequence") is { } n) { Sequence(path, int.Parse(n)); return; }
        if (args.Contains("--parts")) { Parts(path, samples); return; }
        if (Option(args, "--loads") is { } loads) { Loads(path, int.Parse(loads)); return; }
        if (Option(args, "--batch") is { } batch) { Forwards(path, int.Parse(batch), samples); return; }
        if (args.Contains("--hot-weights")) { HotWeights(path, samples); return; }

        long t0 = Stopwatch.GetTimestamp(), faults0 = ProcessStats.MinorFaults(), disk0 = DiskReadBytes();
        double cpu0 = CpuClock.ProcessMs();
        var model = Pretrained.LoadGpt2(path);
        long loadDisk = DiskReadBytes() - disk0;
        double loadMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds, loadCpuMs = CpuClock.ProcessMs() - cpu0;
        long loadFaults = ProcessStats.MinorFaults() - faults0;
        long loadPeakKb = Proc("VmHWM"), loadRssKb = Proc("VmRSS");

        var gen = new Generator(5);
        var b1 = Tensor.RandInt(0, model.Config.DVocab, [1, 128], gen);
        var b8 = Tensor.RandInt(0, model.Config.DVocab, [8, 128], gen);
        using var noGrad = GradMode.NoGrad();
        // two untimed runs before each phase's samples, as the PyTorch peer's median_ms: the first forwards after a load
        // still fault in fresh memory while the storage pool fills, and the JIT recompiles the kernels optimised
        var (f1, f1Cpu) = Timing.Median(samples, () => model.Forward(b1), warmup: 2);
        var (f8, f8Cpu) = Timing.Median(samples, () => model.Forward(b8), warmup: 2);
        long forwardPeakKb = Proc("VmHWM");
        long cacheBytes = 0;
        var (c8, c8Cpu) = Timing.Median(samples, () => cacheBytes = model.RunWithCache(b8).Cache.Bytes, warmup: 2);
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["side"] = "interp", ["checkpoint_mb"] = new FileInfo(path).Length / 1e6, ["load_ms"] = loadMs, ["load_cpu_ms"] = loadCpuMs, ["load_faults"] = loadFaults, ["load_disk_mb"] = loadDisk / 1e6,
            ["load_peak_mb"] = loadPeakKb / 1e3, ["load_rss_mb"] = loadRssKb / 1e3, ["forward_b1_ms"] = f1, ["forward_b8_ms"] = f8,
            ["cache_b8_ms"] = c8, ["cpu_ms"] = new[] { f1Cpu, f8Cpu, c8Cpu }, ["cache_mb"] = cacheBytes / 1e6,
            ["peak_before_cache_mb"] = forwardPeakKb / 1e3, ["peak_mb"] = Proc("VmHWM") / 1e3,
        }));
    }

    /// <summary>
    /// `--parts`: where RunWithCache's time over the forward goes, at batch 8 x 128, in one process: the forward; with a
    /// hook that does nothing at every hook point but the attention scores and pattern (the fused attention runs); at
    /// every hook point (the attention op by op); the cache without the scores and pattern; the whole cache. Each line:
    /// median wall ms, CPU ms and minor page faults per run. Then the load again, with its faults.
    /// </summary>
    static void Parts(string path, int samples)
    {
        long f0 = ProcessStats.MinorFaults();
        long t0 = Stopwatch.GetTimestamp();
        var model = Pretrained.LoadGpt2(path);
        Console.WriteLine($"load: {Stopwatch.GetElapsedTime(t0).TotalMilliseconds:F0} ms, {ProcessStats.MinorFaults() - f0} minor faults, peak RSS {Proc("VmHWM") / 1e3:F0} MB");
        var b8 = Tensor.RandInt(0, model.Config.DVocab, [8, 128], new Generator(5));
        using var noGrad = GradMode.NoGrad();
        static bool AttnCore(string n) => n.EndsWith("hook_attn_scores") || n.EndsWith("hook_pattern");
        ForwardHook nothing = (_, _) => null;
        var parts = new (string Name, Action Run)[]
        {
            ("forward", () => model.Forward(b8)),
            ("no-op hooks, fused attention", () => model.RunWithHooks(b8, [(HookFilter.Where(n => !AttnCore(n)), nothing)])),
            ("no-op hooks everywhere (attention op by op)", () => model.RunWithHooks(b8, [(HookFilter.Where(_ => true), nothing)])),
            ("cache without scores/pattern", () => model.RunWithCache(b8, n => !AttnCore(n))),
            ("cache, everything", () => model.RunWithCache(b8)),
        };
        for (int round = 0; round < 2; round++)
            foreach (var (name, run) in parts)
            {
                long faults = ProcessStats.MinorFaults();
                var (wall, cpu) = Timing.Median(samples, run);
                Console.WriteLine($"{name,-45} {wall,8:F0} ms wall {cpu,8:F0} ms CPU {(ProcessStats.MinorFaults() - faults) / (samples + 1),8} faults/run");
            }
        Console.WriteLine($"peak RSS {Proc("VmHWM") / 1e3:F0} MB");
    }

    /// <summary>
    /// `--loads N`: LoadGpt2 N times in one process, each load's wall and CPU ms and minor faults on a line: the first
    /// pays for compiling the loader's code, the later ones show the load itself.
    /// </summary>
    static void Loads(string path, int n)
    {
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp(), faults0 = ProcessStats.MinorFaults(), disk0 = DiskReadBytes();
            double cpu0 = CpuClock.ProcessMs();
            var model = Pretrained.LoadGpt2(path);
            Console.WriteLine($"load {i + 1}: {Stopwatch.GetElapsedTime(t0).TotalMilliseconds:F0} ms wall, {CpuClock.ProcessMs() - cpu0:F0} ms CPU, {ProcessStats.MinorFaults() - faults0} minor faults, " +
                $"{(DiskReadBytes() - disk0) / 1e6:F0} MB read from disk (not the page cache), peak RSS {Proc("VmHWM") / 1e3:F0} MB");
            GC.KeepAlive(model);
        }
    }

    /// <summary>
    /// `--batch B`: the forward at B x 128 alone (median wall and CPU ms), for profiling one shape, and what each timed
    /// forward (after two untimed ones) cost the memory system: collections of each generation, managed MB allocated,
    /// minor page faults, GC pause, time in the storage pool's own collections.
    /// </summary>
    static void Forwards(string path, int batch, int samples)
    {
        var model = Pretrained.LoadGpt2(path);
        var tokens = Tensor.RandInt(0, model.Config.DVocab, [batch, 128], new Generator(5));
        using var noGrad = GradMode.NoGrad();
        for (int i = 0; i < 2; i++) model.Forward(tokens);
        var pause0 = GC.GetTotalPauseDuration(); long pool0 = PinnedArrayPool.CollectTicks;
        int[] gc0 = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        long bytes0 = GC.GetTotalAllocatedBytes(precise: true), faults0 = ProcessStats.MinorFaults();
        GemmThreads.Stats.Reset();
        var (wall, cpu) = Timing.Median(samples, () => model.Forward(tokens), warmup: 0);
        double runs = samples;
        string PerRun(int gen) => $"{(GC.CollectionCount(gen) - gc0[gen]) / runs:F1}";
        Console.WriteLine($"forward {batch} x 128: {wall:F0} ms wall, {cpu:F0} ms CPU (median of {samples}); per forward: GC pauses {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / runs:F1} ms, " +
            $"collections gen0/1/2 {PerRun(0)}/{PerRun(1)}/{PerRun(2)}, {(GC.GetTotalAllocatedBytes(precise: true) - bytes0) / runs / 1e6:F1} MB allocated, {(ProcessStats.MinorFaults() - faults0) / runs:F0} minor faults, " +
            $"{(PinnedArrayPool.CollectTicks - pool0) * 1e3 / Stopwatch.Frequency / runs:F1} ms in the pool's collections");
        var stats = (Jobs: GemmThreads.Stats.Jobs, Join: GemmThreads.Stats.JoinTicks * 1e3 / Stopwatch.Frequency, Slept: GemmThreads.Stats.SleepPickups,
                     Spun: GemmThreads.Stats.SpinPickups, Wake: GemmThreads.Stats.WakeTicks * 1e6 / Stopwatch.Frequency);
        Console.WriteLine($"  parallel jobs per forward {stats.Jobs / runs:F0}: the caller waited {stats.Join / runs:F1} ms at their joins; the worker took up " +
            $"{stats.Spun / runs:F0} while spinning and {stats.Slept / runs:F0} after sleeping, {stats.Wake / Math.Max(1, stats.Slept):F0} µs after the job started (mean)");
    }

    /// <summary>
    /// `--hot-weights`: what streaming the weights from memory costs the 1 x 128 forward. The forward (embeddings, the
    /// blocks, ln_final, the unembedding) runs as loaded ("cold": 340 MB of block weights, more than L3, each read once)
    /// and with block 0 standing in for all twelve ("hot": its 28 MB stay in cache; same shapes, same work), alternated
    /// in one process (the order swapped every pair) so both see the same load; prints each side's median and fastest
    /// wall and process CPU ms, and the medians of the pairs' ratios hot / cold.
    /// </summary>
    static void HotWeights(string path, int samples)
    {
        var model = Pretrained.LoadGpt2(path);
        var tokens = Tensor.RandInt(0, model.Config.DVocab, [1, 128], new Generator(5));
        using var noGrad = GradMode.NoGrad();
        Tensor Run(bool hot)
        {
            var x = model.Embed.Forward(tokens) + model.PosEmbed.Forward(1, 128, 0);
            for (int l = 0; l < model.Blocks.Count; l++) x = model.Blocks[hot ? 0 : l].Forward(x, null, null);
            x = model.LnFinal!.Forward(x);
            return model.Unembed.Forward(x, model.Embed);
        }
        var (w0, c0, w1, c1) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (int i = 0; i < 3; i++) { Run(false); Run(true); }
        for (int s = 0; s < samples; s++)
            foreach (bool hot in s % 2 == 0 ? new[] { false, true } : new[] { true, false })
            {
                double t0 = Timing.WallMs(), cpu0 = CpuClock.ProcessMs();
                Run(hot);
                double wall = Timing.WallMs() - t0, cpu = CpuClock.ProcessMs() - cpu0;
                (hot ? w1 : w0).Add(wall); (hot ? c1 : c0).Add(cpu);
            }
        static double Med(IEnumerable<double> x) { var a = x.Order().ToArray(); return a[a.Length / 2]; }
        Console.WriteLine($"forward 1 x 128, {samples} pairs; cold: wall {Med(w0):F1} (min {w0.Min():F1}) cpu {Med(c0):F1} (min {c0.Min():F1}) | hot: wall {Med(w1):F1} (min {w1.Min():F1}) cpu {Med(c1):F1} (min {c1.Min():F1}) | " +
            $"ratio hot/cold wall {Med(w1.Zip(w0, (a, b) => a / b)):F3} cpu {Med(c1.Zip(c0, (a, b) => a / b)):F3}");
    }

    /// <summary>
    /// `--ops`: each op of the forward at 1 x 128 on the loaded model's weights, alone: the fastest of
    /// <c>--samples</c> runs in wall ms and in process CPU ms (a run repeats the op 10 times), and the wall total for one
    /// forward (times the times it runs there). With DOTNET_PROCESSOR_COUNT=1, what one core needs for each op (its CPU
    /// ms hardly depends on the machine's load); against two cores, what the second buys and what waiting costs.
    /// <c>--only PREFIX</c> times the ops whose names start so.
    /// </summary>
    static void Ops(string path, int samples, string? only)
    {
        var model = Pretrained.LoadGpt2(path);
        var tokens = Tensor.RandInt(0, model.Config.DVocab, [1, 128], new Generator(5));
        using var noGrad = GradMode.NoGrad();
        var x = model.Blocks[0].Forward(model.Embed.Forward(tokens) + model.PosEmbed.Forward(1, 128, 0), null, null);
        var block = model.Blocks[1];
        var a = block.Ln1!.Forward(x);
        var wQkv = block.Attn.W_Q.Permute(1, 0, 2);   // a view of c_attn's blocks
        var cAttn = new Tensor(block.Attn.W_Q.Storage, [768, 2304], [2304, 1], block.Attn.W_Q.Offset);
        var qkv = a.MatMul(cAttn).Reshape(1, 128, 3, 12, 64);
        var (q, k, v) = (qkv.Select(2, 0), qkv.Select(2, 1), qkv.Select(2, 2));
        var z = Tensor.CausalAttention(q, k, v, 0.125).Reshape(1, 128, 768);
        var wO = block.Attn.W_O.Reshape(-1, 768);
        var pre = a.MatMul(block.Mlp!.W_in, block.Mlp.b_in);
        var post = pre.Gelu("tanh");
        var ops = new (string Name, int PerForward, Func<Tensor> Run)[]
        {
            ("embed + pos", 1, () => model.Embed.Forward(tokens) + model.PosEmbed.Forward(1, 128, 0)),
            ("layer_norm [128,768]", 25, () => block.Ln1.Forward(x)),
            ("qkv [128,768]x[768,2304]", 12, () => a.MatMul(cAttn)),
            ("causal attention 12 heads", 12, () => Tensor.CausalAttention(q, k, v, 0.125)),
            ("O proj [128,768]x[768,768]", 12, () => z.MatMul(wO, block.Attn.b_O!)),
            ("residual add [128,768]", 24, () => x + a),
            ("W_in [128,768]x[768,3072]", 12, () => a.MatMul(block.Mlp.W_in, block.Mlp.b_in)),
            ("gelu_tanh [128,3072]", 12, () => pre.Gelu("tanh")),
            ("W_out [128,3072]x[3072,768]", 12, () => post.MatMul(block.Mlp.W_out, block.Mlp.b_out)),
            ("unembed [128,768]x[768,50257]", 1, () => model.Unembed.Forward(x, model.Embed)),
            ("whole forward", 1, () => model.Forward(tokens)),
        };
        double total = 0;
        foreach (var (name, perForward, run) in ops)
        {
            if (only is not null && !name.StartsWith(only)) continue;
            int reps = name == "whole forward" ? 1 : 10;
            for (int i = 0; i < 3; i++) run();
            double best = double.MaxValue, bestCpu = double.MaxValue;
            for (int s = 0; s < samples; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                double c0 = CpuClock.ProcessMs();
                for (int r = 0; r < reps; r++) run();
                best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds / reps);
                bestCpu = Math.Min(bestCpu, (CpuClock.ProcessMs() - c0) / reps);
            }
            if (name != "whole forward") total += best * perForward;
            Console.WriteLine($"{name,-32} {best,8:F3} ms ({bestCpu,8:F3} CPU) x {perForward,2} = {best * perForward,7:F1} ms");
        }
        Console.WriteLine($"{"sum of the ops",-32} {total,42:F1} ms");
        GC.KeepAlive(wQkv);
    }

    /// <summary>
    /// `--sequence N`: the first N forwards at 1 x 128 after the load, one line each (wall and CPU ms, minor faults, managed
    /// MB allocated, gen2 collections, GC pause, time in the storage pool's own collections): how a process settles,
    /// as the side-by-side's few samples after one warm-up see it.
    /// </summary>
    static void Sequence(string path, int n)
    {
        var model = Pretrained.LoadGpt2(path);
        var tokens = Tensor.RandInt(0, model.Config.DVocab, [1, 128], new Generator(5));
        using var noGrad = GradMode.NoGrad();
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp(), f0 = ProcessStats.MinorFaults(), b0 = GC.GetTotalAllocatedBytes(true); double c0 = CpuClock.ProcessMs(); int g = GC.CollectionCount(2);
            var pause0 = GC.GetTotalPauseDuration(); long ct = PinnedArrayPool.CollectTicks;
            model.Forward(tokens);
            Console.WriteLine($"forward {i + 1,2}: {Stopwatch.GetElapsedTime(t0).TotalMilliseconds,6:F0} ms wall {CpuClock.ProcessMs() - c0,6:F0} ms CPU {ProcessStats.MinorFaults() - f0,6} faults {(GC.GetTotalAllocatedBytes(true) - b0) / 1e6,6:F1} MB {GC.CollectionCount(2) - g} gen2 {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds:F1} ms pause, {(PinnedArrayPool.CollectTicks - ct) * 1e3 / Stopwatch.Frequency:F1} ms in the pool's collections");
        }
    }

    /// <summary>
    /// Bytes this process has made the kernel fetch from storage (read_bytes of /proc/self/io): 0 when the checkpoint and
    /// the program's files were all in the page cache; a first process after others evicted them reads from the disk.
    /// </summary>
    internal static long DiskReadBytes() =>
        File.ReadLines("/proc/self/io").Where(l => l.StartsWith("read_bytes:")).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).FirstOrDefault();

    static void Write(string path)
    {
        Gpt2Weights.WriteRandom(path, Gpt2Config.Small);
        Console.Error.WriteLine($"gpt2-small: wrote {path} ({new FileInfo(path).Length / 1e6:F0} MB)");
    }

    static long Proc(string field) =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith(field + ":")).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).FirstOrDefault();

    static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
