using System.Diagnostics;

namespace Interp.Bench;

/// <summary>
/// The one timing loop of the bench verbs: untimed warm-up runs first (the JIT compiles a method again, optimised, after
/// some 30 calls, and a handful of timed runs would time the first version), then timed runs cut into phases by laps.
/// </summary>
internal static class Timing
{
    public static double WallMs() => Stopwatch.GetTimestamp() * 1e3 / Stopwatch.Frequency;

    /// <summary>
    /// Runs <paramref name="body"/> <paramref name="warmup"/> times untimed, then <paramref name="reps"/> times timed;
    /// the body calls <c>lap()</c> at the end of each of its phases. Returns each run's phase times in ms.
    /// </summary>
    public static double[][] Laps(int reps, Action<Action> body, int warmup = 40, Func<double>? clockMs = null)
    {
        var clock = clockMs ?? WallMs;
        for (int r = 0; r < warmup; r++) body(() => { });
        var runs = new double[reps][];
        for (int r = 0; r < reps; r++)
        {
            var laps = new List<double>();
            double last = clock();
            body(() => { double now = clock(); laps.Add(now - last); last = now; });
            runs[r] = [.. laps];
        }
        return runs;
    }

    /// <summary>Each phase's fastest time over the timed runs (the run least disturbed by the rest of the machine).</summary>
    public static double[] MinLaps(int reps, Action<Action> body, int warmup = 40, Func<double>? clockMs = null)
    {
        var runs = Laps(reps, body, warmup, clockMs);
        return Enumerable.Range(0, runs.Length == 0 ? 0 : runs[0].Length).Select(i => runs.Min(run => run[i])).ToArray();
    }

    /// <summary>
    /// Median wall ms of <paramref name="reps"/> timed runs of <paramref name="run"/> after <paramref name="warmup"/>
    /// untimed ones, and the process CPU ms per run over them; <paramref name="sync"/> (a device's wait) ends each run.
    /// </summary>
    public static (double WallMs, double CpuMs) Median(int reps, Action run, int warmup = 1, Action? sync = null)
    {
        Action body = sync is null ? run : () => { run(); sync(); };
        for (int i = 0; i < warmup; i++) body();
        double cpu0 = CpuClock.ProcessMs();
        var wall = Laps(reps, lap => { body(); lap(); }, warmup: 0).Select(l => l[0]).Order().ToArray();
        return (wall[reps / 2], (CpuClock.ProcessMs() - cpu0) / reps);
    }

    /// <summary>Prints the fastest forward and backward (of the output's sum) of <paramref name="f"/>.</summary>
    public static void ForwardBackward(string name, Func<Tensor> f, int reps, int warmup = 40, Func<double>? clockMs = null)
    {
        var ms = MinLaps(reps, lap => { var y = f(); lap(); y.Sum().Backward(); lap(); }, warmup, clockMs);
        Console.WriteLine($"{name,-22} forward {ms[0],7:F2} ms, backward {ms[1],7:F2} ms (min of {reps})");
    }
}
