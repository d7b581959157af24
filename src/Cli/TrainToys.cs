using System.Text.Json;
using Interp.IO;
using Interp.Nn;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Cli;

/// <summary>
/// <c>interp train induction</c> and <c>interp train modadd</c>: the two toy transformers (induction heads, grokking).
/// Each writes model.safetensors (TransformerLens parameter names) and config.json (the <see cref="TransformerConfig"/>)
/// plus run.json (options and final figures) to its output folder.
/// </summary>
public static class TrainToys
{
    public const string InductionUsage = """
        usage: interp train induction [--steps N] [--seed S] [--out DIR] [--checkpoint-every N] [--resume DIR]
                                  [--device cpu|cuda] [--detect-anomaly] [--quiet]

        Trains a 2-layer attention-only transformer (shortformer positions, LayerNorm, d_model 64, 4 heads of 16,
        vocabulary 64, n_ctx 49) with AdamW (lr 1e-3, batch 32) on fresh batches of [BOS] + 24 random tokens + the same
        24 again, then prints the held-out loss on the random first half and on the repeated second half (induction
        heads make the second far lower).
          --steps N   optimizer steps (default 1500)
          --seed S    seed of the initialisation and the data (default 0)
          --out DIR   model.safetensors, config.json, run.json and the checkpoints go here (default runs/induction)
          --checkpoint-every N   save a checkpoint (atomically) every N steps (default 500)
          --resume DIR           continue the run checkpointed in DIR (same options; --steps may be raised), writing there
          --device D             cpu (default) or cuda (cuda:N for the N-th GPU)
          --detect-anomaly       check every op's output for NaN/Inf and stop at the first, naming it (slower)
          --quiet     no progress lines
        Ctrl-C stops after the current step and saves a checkpoint (exit status 130; continue with --resume).
        """;

    public const string ModAddUsage = """
        usage: interp train modadd [--steps N] [--seed S] [--out DIR] [--checkpoint-every N] [--resume DIR]
                                  [--device cpu|cuda] [--detect-anomaly] [--quiet]

        Trains a 1-layer transformer (d_model 128, 4 heads of 32, ReLU MLP 512, no LayerNorm) on a + b mod 113
        (tokens "a b =", 30% of the pairs for training) with full-batch AdamW (lr 1e-3, weight decay 1, betas 0.9/0.98),
        as Nanda et al.'s grokking setup, until the test accuracy stays >= 99% for 3 evaluations (every 100 steps)
        or the steps run out (exit status 3 then); prints train/test accuracy and wall time. Ctrl-C stops after the
        current step and saves the model as it is and a checkpoint.
          --steps N   most optimizer steps (default 20000)
          --seed S    seed of the initialisation and the train/test split (default 0)
          --out DIR   model.safetensors, config.json, run.json and the checkpoints go here (default runs/modadd)
          --checkpoint-every N   save a checkpoint (atomically) every N steps (default 1000)
          --resume DIR           continue the run checkpointed in DIR (same options; --steps may be raised), writing there
          --device D             cpu (default) or cuda (cuda:N for the N-th GPU)
          --detect-anomaly       check every op's output for NaN/Inf and stop at the first, naming it (slower)
          --quiet     no progress lines
        """;

    sealed record Common(int? Steps, ulong Seed, string? Out, bool Quiet, int? CheckpointEvery = null, string? Resume = null, bool DetectAnomaly = false,
        Device? Device = null);

    public static int Induction(string[] args)
    {
        var (c, exit) = Parse("induction", args, InductionUsage);
        if (c is null) return exit;
        var options = new InductionOptions(Seed: c.Seed);
        if (c.Steps is int s) options = options with { Steps = s };
        string outDir = c.Resume ?? c.Out ?? Path.Combine("runs", "induction");
        if (c.Resume is not null && !Checkpoint.Exists(c.Resume))
        {
            Console.Error.WriteLine($"interp train induction: --resume: no checkpoint in '{c.Resume}' (no {Checkpoint.RecordFile})");
            return 2;
        }
        if (!CanWrite("induction", outDir)) return 2;
        var checkpoints = new ToyCheckpoints(outDir, c.CheckpointEvery ?? 500, Resume: c.Resume is not null);
        var progress = new Progress(c.Quiet);
        progress.Note($"induction: {options.ModelConfig.NLayers}-layer attn-only, d_model {options.DModel}, {options.NHeads}x{options.DHead} heads, " +
            $"vocab {options.VocabSize}, L {options.Length}; AdamW lr {options.LearningRate}, batch {options.BatchSize}, {options.Steps} steps, seed {options.Seed}" +
            $" on {c.Device}" + (checkpoints.Resume ? $"; resuming from '{outDir}'" : ""));
        using var stop = new StopOnCtrlC();
        using var anomaly = c.DetectAnomaly ? Interp.Autograd.Anomaly.Enable() : null;
        var (result, failure) = Guarded("induction", outDir, progress, () => ToyModels.TrainInduction(options, progress.Report,
            e => progress.Note($"step {e.Step}: held-out loss first half {e.FirstHalfLoss:F3}, repeated half {e.SecondHalfLoss:F3}"),
            stop.Requested, checkpoints, c.Device));
        if (result is null) return failure;
        if (result.Stopped)
        {
            Console.Error.WriteLine($"interrupted: checkpoint at step {result.Final.Step}/{options.Steps} saved in '{outDir}' (continue with --resume {outDir})");
            return 130;
        }
        Save(outDir, result.Model, options, result.Final);
        Console.WriteLine($"held-out loss, first half: {result.Final.FirstHalfLoss:F4} (ln vocab = {Math.Log(options.VocabSize):F4})");
        Console.WriteLine($"held-out loss, repeated half: {result.Final.SecondHalfLoss:F4}");
        Console.WriteLine($"steps: {result.Final.Step}, wall time: {result.Wall.TotalSeconds:F1} s, saved to {outDir}");
        return 0;
    }

    public static int ModAdd(string[] args)
    {
        var (c, exit) = Parse("modadd", args, ModAddUsage);
        if (c is null) return exit;
        var options = new ModAddOptions(Seed: c.Seed);
        if (c.Steps is int s) options = options with { MaxSteps = s };
        string outDir = c.Resume ?? c.Out ?? Path.Combine("runs", "modadd");
        if (c.Resume is not null && !Checkpoint.Exists(c.Resume))
        {
            Console.Error.WriteLine($"interp train modadd: --resume: no checkpoint in '{c.Resume}' (no {Checkpoint.RecordFile})");
            return 2;
        }
        if (!CanWrite("modadd", outDir)) return 2;
        var checkpoints = new ToyCheckpoints(outDir, c.CheckpointEvery ?? 1000, Resume: c.Resume is not null);
        var progress = new Progress(c.Quiet);
        progress.Note($"modadd: p {options.P}, train fraction {options.TrainFraction}, d_model {options.DModel}, d_mlp {options.DMlp}; " +
            $"full-batch AdamW lr {options.LearningRate}, wd {options.WeightDecay}, at most {options.MaxSteps} steps, seed {options.Seed}" +
            $" on {c.Device}" + (checkpoints.Resume ? $"; resuming from '{outDir}'" : ""));
        using var stop = new StopOnCtrlC();
        using var anomaly = c.DetectAnomaly ? Interp.Autograd.Anomaly.Enable() : null;
        var (result, failure) = Guarded("modadd", outDir, progress, () => ToyModels.TrainModularAddition(options, progress.Report,
            e => progress.Note($"step {e.Step}: train loss {e.TrainLoss:F4} acc {e.TrainAccuracy:P1}, test loss {e.TestLoss:F4} acc {e.TestAccuracy:P1}"),
            stop.Requested, checkpoints, c.Device));
        if (result is null) return failure;
        Save(outDir, result.Model, options, result.Final);
        var f = result.Final;
        Console.WriteLine($"train accuracy: {f.TrainAccuracy:P2}, test accuracy: {f.TestAccuracy:P2} (loss {f.TrainLoss:F4} / {f.TestLoss:F4})");
        Console.WriteLine($"steps: {f.Step}{(result.Reached ? "" : $" (did not reach {options.TargetAccuracy:P0} test accuracy)")}, wall time: {result.Wall.TotalSeconds:F1} s, saved to {outDir}");
        if (result.Stopped) Console.Error.WriteLine($"interrupted: checkpoint at step {f.Step}/{options.MaxSteps} saved in '{outDir}' (continue with --resume {outDir})");
        return result.Reached || result.Stopped ? 0 : 3;
    }

    /// <summary>
    /// Runs a toy training: a checkpoint problem is one line and exit 2, a NaN/Inf loss (anomaly) one line and exit 4;
    /// the progress line is always closed.
    /// </summary>
    static (T? Result, int Exit) Guarded<T>(string verb, string outDir, Progress progress, Func<T> train) where T : class
    {
        try { return (train(), 0); }
        catch (Exception e) when (IsCheckpointProblem(e))
        {
            Console.Error.WriteLine($"interp train {verb}: {e.Message}");
            return (null, 2);
        }
        catch (ArithmeticException e)
        {
            Console.Error.WriteLine($"interp train {verb}: {e.Message} (the last checkpoint in '{outDir}' is intact)");
            return (null, 4);
        }
        finally { progress.Finish(); }
    }

    // a checkpoint that is missing, damaged or of another run: reported in one line, not as a stack trace
    static bool IsCheckpointProblem(Exception e) =>
        e is FileNotFoundException or InvalidDataException or Interp.IO.SafeTensorsFormatException or System.Text.Json.JsonException;

    /// <summary>The options, or null and the exit code (0 after --help, 1 after a bad argument).</summary>
    static (Common? Options, int Exit) Parse(string verb, string[] args, string usage)
    {
        var c = new Common(null, 0, null, false, Device: Device.Cpu);
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "-h" or "--help": Console.WriteLine(usage); return (null, 0);
                case "--steps" when int.TryParse(value, out int n) && n > 0: c = c with { Steps = n }; i++; break;
                case "--seed" when ulong.TryParse(value, out ulong s): c = c with { Seed = s }; i++; break;
                case "--out" when !string.IsNullOrEmpty(value): c = c with { Out = value }; i++; break;
                case "--resume" when !string.IsNullOrEmpty(value): c = c with { Resume = value }; i++; break;
                case "--checkpoint-every" when int.TryParse(value, out int k) && k > 0: c = c with { CheckpointEvery = k }; i++; break;
                case "--quiet": c = c with { Quiet = true }; break;
                case "--detect-anomaly": c = c with { DetectAnomaly = true }; break;
                case "--device" when value is not null:
                    try { c = c with { Device = CliArgs.ParseDevice($"interp train {verb}", value) }; }
                    catch (CliError e) { Console.Error.WriteLine(e.Message); return (null, 1); }
                    i++; break;
                case "--steps" or "--seed" or "--out" or "--resume" or "--checkpoint-every" or "--device":
                    string needs = args[i] switch
                    {
                        "--out" or "--resume" => "a folder", "--seed" => "a non-negative integer", "--device" => "cpu or cuda", _ => "a positive integer",
                    };
                    Console.Error.WriteLine($"interp train {verb}: {args[i]} needs {needs}, got {(value is null ? "nothing" : $"'{value}'")}");
                    return (null, 1);
                default:
                    Console.Error.WriteLine($"interp train {verb}: unexpected argument '{args[i]}' (see interp train {verb} --help)");
                    return (null, 1);
            }
        }
        if (c.Resume is not null && c.Out is not null && Path.GetFullPath(c.Resume) != Path.GetFullPath(c.Out))
        {
            Console.Error.WriteLine($"interp train {verb}: --resume {c.Resume} continues in its own folder; drop --out {c.Out}");
            return (null, 1);
        }
        return (c, 0);
    }

    // fail before training, not after it
    static bool CanWrite(string verb, string outDir)
    {
        try
        {
            Directory.CreateDirectory(outDir);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            Console.Error.WriteLine($"interp train {verb}: cannot create the output folder '{outDir}': {e.Message}");
            return false;
        }
    }

    static void Save(string outDir, HookedTransformer model, object options, object final)
    {
        Directory.CreateDirectory(outDir);
        model.SaveSafeTensors(Path.Combine(outDir, "model.safetensors"));
        var indented = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(outDir, "config.json"), JsonSerializer.Serialize(model.Config, indented));
        AtomicFile.WriteAllText(Path.Combine(outDir, "run.json"), JsonSerializer.Serialize(new { options, final }, indented));
    }
}
