namespace Interp.Training;

/// <summary>
/// Training progress on stderr: step/total, loss, examples/s, elapsed and remaining time. On a terminal one line is
/// redrawn (at most every 100 ms), otherwise a line is written every 10 s; quiet writes nothing. The remaining time
/// is taken from the steps since the first report, so that the first step's one-off work (the JIT compiling every
/// kernel, the pool's first allocations: several times a later step) does not inflate it; the first line shows "…".
/// </summary>
public sealed class Progress(bool quiet = false, TextWriter? output = null)
{
    readonly TextWriter output = output ?? Console.Error;
    readonly bool terminal = output is null && !Console.IsErrorRedirected;
    TimeSpan? lastShown;
    (TimeSpan Elapsed, int Steps)? first;
    bool drawn;

    public void Report(StepReport r)
    {
        if (quiet) return;
        bool last = r.Step == r.TotalSteps;
        if (lastShown is { } before && r.Elapsed < before) (lastShown, first) = (null, null);   // a new trainer (its clock starts at 0) reports here
        first ??= (r.Elapsed, r.StepsRun);
        var every = terminal ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(10);
        if (!last && lastShown is { } shown && r.Elapsed - shown < every) return;
        lastShown = r.Elapsed;
        string line = $"epoch {r.Epoch}/{r.Epochs}  step {r.Step}/{r.TotalSteps}  loss {FormatLoss(r.Loss)}  {r.ExamplesPerSecond:F0} ex/s  " +
                      $"elapsed {Format(r.Elapsed)}  remaining {Remaining(r)}";
        if (terminal) { output.Write($"\r{line}\u001b[K"); drawn = true; }
        else output.WriteLine(line);
    }

    /// <summary>Four decimals, or three significant digits below 0.001, so that a small loss still shows how small (not "0.0000").</summary>
    public static string FormatLoss(double loss) =>
        loss == 0 || !double.IsFinite(loss) || Math.Abs(loss) >= 1e-3
            ? loss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)
            : loss.ToString("0.00e+00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Ends a redrawn line (call once training stops).</summary>
    public void Finish()
    {
        if (drawn) output.WriteLine();
        drawn = false;
    }

    /// <summary>A note on its own line (unless quiet).</summary>
    public void Note(string message)
    {
        if (quiet) return;
        Finish();
        output.WriteLine(message);
    }

    string Remaining(StepReport r)
    {
        if (r.Step == r.TotalSteps) return Format(TimeSpan.Zero);
        var (t0, s0) = first!.Value;
        if (r.StepsRun <= s0) return "…";
        return Format((r.Elapsed - t0) / (r.StepsRun - s0) * (r.TotalSteps - r.Step));
    }

    static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
}
