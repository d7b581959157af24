using System.CommandLine;
using System.Text.Json;
using Interp.Autograd;
using Interp.IO;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Cli;

/// <summary>
/// What <c>interp train induction</c> and <c>interp train modadd</c> share: options, checkpoints, Ctrl-C, and the files
/// of a finished run: model.safetensors (TransformerLens parameter names), config.json and run.json (options and
/// final figures) in the output folder.
/// </summary>
public abstract class ToyTrainingCommand : Command
{
    protected readonly Option<int?> Steps;
    protected readonly Option<double> Lr;
    protected readonly Option<ulong> Seed = Vocabulary.Seed("seed of the initialisation and the data");
    protected readonly Option<string> Out;
    protected readonly Option<int> CheckpointEvery;
    protected readonly Option<string> Resume = Vocabulary.Text("--resume", "DIR: continue the run checkpointed in DIR (same options; --steps may be raised), writing there");
    protected readonly Option<Device> Device = Vocabulary.Device();
    protected readonly Option<bool> DetectAnomaly = Vocabulary.DetectAnomaly();
    protected readonly Option<bool> Quiet = Vocabulary.Quiet();

    protected ToyTrainingCommand(string name, string description, int defaultSteps, int checkpointEvery, double defaultLr) : base(name, description)
    {
        Steps = Vocabulary.MaybeInt("--steps", $"optimizer steps (default {defaultSteps})", min: 1);
        Lr = Vocabulary.Lr(defaultLr, "AdamW learning rate");
        Out = Vocabulary.Out(Path.Combine("runs", name), "model.safetensors, config.json, run.json and the checkpoints go here");
        CheckpointEvery = Vocabulary.Int("--checkpoint-every", checkpointEvery, "save a checkpoint (atomically) every N steps", min: 1);
        foreach (var option in new Option[] { Steps, Lr, Seed, Out, CheckpointEvery, Resume, Device, DetectAnomaly, Quiet }) Add(option);
        Validators.Add(c =>
        {
            if (c.GetResult(Resume)?.Tokens is [var resume] && c.GetResult(Out) is { Implicit: false, Tokens: [var output] }
                && Path.GetFullPath(resume.Value) != Path.GetFullPath(output.Value))
                c.AddError($"--resume {resume.Value} continues in its own folder; drop --out {output.Value}");
        });
        SetAction(Run);
    }

    /// <summary>Trains in <paramref name="outDir"/> and prints the result; the exit status.</summary>
    protected abstract int Train(ParseResult r, string outDir, ToyCheckpoints checkpoints, Progress progress, Func<bool> stop);

    int Run(ParseResult r)
    {
        string? resume = r.GetValue(Resume);
        string outDir = resume ?? r.GetValue(Out)!;
        if (resume is not null && !Checkpoint.Exists(resume))
            throw new CliError($"--resume: no checkpoint in '{resume}' (no {Checkpoint.RecordFile})");
        Vocabulary.Folder(outDir);
        var checkpoints = new ToyCheckpoints(outDir, r.GetValue(CheckpointEvery), Resume: resume is not null);
        var progress = new Progress(r.GetValue(Quiet));
        using var stop = new StopOnCtrlC();
        using var anomaly = Vocabulary.AnomalyMode(r.GetValue(DetectAnomaly));
        try { return Train(r, outDir, checkpoints, progress, stop.Requested); }
        catch (NonFiniteException e) { throw ExitStatus.NotingTheCheckpoint(e, outDir); }
        finally { progress.Finish(); }
    }

    protected static void Save(string outDir, HookedTransformer model, object options, object final)
    {
        model.Save(outDir);
        JsonFile.Write(Path.Combine(outDir, "run.json"), new { options, final });
    }
}

/// <summary><c>interp train induction</c>: the induction-heads toy (<see cref="ToyModels.TrainInduction"/>).</summary>
public sealed class TrainInductionCommand() : ToyTrainingCommand("induction", """
    The 2-layer attention-only toy on repeated random tokens (induction heads).

    Trains a 2-layer attention-only transformer (shortformer positions, LayerNorm, d_model 64, 4 heads of 16,
    vocabulary 64, n_ctx 49) with AdamW (lr 1e-3 unless --lr, batch 32) on fresh batches of [BOS] + 24 random tokens + the same
    24 again, then prints the held-out loss on the random first half and on the repeated second half (induction
    heads make the second far lower). Ctrl-C stops after the current step and saves a checkpoint (exit status 130;
    continue with --resume).
    """, defaultSteps: 1500, checkpointEvery: 500, defaultLr: new InductionOptions().LearningRate)
{
    protected override int Train(ParseResult r, string outDir, ToyCheckpoints checkpoints, Progress progress, Func<bool> stop)
    {
        var options = new InductionOptions(Seed: r.GetValue(Seed), LearningRate: r.GetValue(Lr));
        if (r.GetValue(Steps) is int s) options = options with { Steps = s };
        var device = r.GetValue(Device);
        progress.Note($"induction: {options.ModelConfig.NLayers}-layer attn-only, d_model {options.DModel}, {options.NHeads}x{options.DHead} heads, " +
            $"vocab {options.VocabSize}, L {options.Length}; AdamW lr {options.LearningRate}, batch {options.BatchSize}, {options.Steps} steps, seed {options.Seed}" +
            $" on {device}" + (checkpoints.Resume ? $"; resuming from '{outDir}'" : ""));
        var result = ToyModels.TrainInduction(options, progress.Report,
            e => progress.Note($"step {e.Step}: held-out loss first half {e.FirstHalfLoss:F3}, repeated half {e.SecondHalfLoss:F3}"), stop, checkpoints, device);
        progress.Finish();
        if (result.Stopped)
        {
            Console.Error.WriteLine($"interrupted: checkpoint at step {result.Final.Step}/{options.Steps} saved in '{outDir}' (continue with --resume {outDir})");
            return ExitStatus.Interrupted;
        }
        Save(outDir, result.Model, options, result.Final);
        Console.WriteLine($"held-out loss, first half: {result.Final.FirstHalfLoss:F4} (ln vocab = {Math.Log(options.VocabSize):F4})");
        Console.WriteLine($"held-out loss, repeated half: {result.Final.SecondHalfLoss:F4}");
        Console.WriteLine($"steps: {result.Final.Step}, wall time: {result.Wall.TotalSeconds:F1} s, saved to {outDir}");
        return 0;
    }
}

/// <summary><c>interp train modadd</c>: the grokking toy (<see cref="ToyModels.TrainModularAddition"/>).</summary>
public sealed class TrainModAddCommand() : ToyTrainingCommand("modadd", """
    A 1-layer transformer on a + b mod 113 (grokking).

    Trains a 1-layer transformer (d_model 128, 4 heads of 32, ReLU MLP 512, no LayerNorm) on a + b mod 113
    (tokens "a b =", 30% of the pairs for training) with full-batch AdamW (lr 1e-3 unless --lr, weight decay 1, betas 0.9/0.98),
    as Nanda et al.'s grokking setup, until the test accuracy stays >= 99% for 3 evaluations (every 100 steps)
    or the steps run out (exit status 3 then); prints train/test accuracy and wall time. Ctrl-C stops after the
    current step and saves the model as it is and a checkpoint.
    """, defaultSteps: 20000, checkpointEvery: 1000, defaultLr: new ModAddOptions().LearningRate)
{
    protected override int Train(ParseResult r, string outDir, ToyCheckpoints checkpoints, Progress progress, Func<bool> stop)
    {
        var options = new ModAddOptions(Seed: r.GetValue(Seed), LearningRate: r.GetValue(Lr));
        if (r.GetValue(Steps) is int s) options = options with { MaxSteps = s };
        var device = r.GetValue(Device);
        progress.Note($"modadd: p {options.P}, train fraction {options.TrainFraction}, d_model {options.DModel}, d_mlp {options.DMlp}; " +
            $"full-batch AdamW lr {options.LearningRate}, wd {options.WeightDecay}, at most {options.MaxSteps} steps, seed {options.Seed}" +
            $" on {device}" + (checkpoints.Resume ? $"; resuming from '{outDir}'" : ""));
        var result = ToyModels.TrainModularAddition(options, progress.Report,
            e => progress.Note($"step {e.Step}: train loss {Progress.FormatLoss(e.TrainLoss)} acc {e.TrainAccuracy:P1}, test loss {e.TestLoss:F4} acc {e.TestAccuracy:P1}"),
            stop, checkpoints, device);
        progress.Finish();
        Save(outDir, result.Model, options, result.Final);
        var f = result.Final;
        Console.WriteLine($"train accuracy: {f.TrainAccuracy:P2}, test accuracy: {f.TestAccuracy:P2} (loss {Progress.FormatLoss(f.TrainLoss)} / {f.TestLoss:F4})");
        Console.WriteLine($"steps: {f.Step}{(result.Reached ? "" : $" (did not reach {options.TargetAccuracy:P0} test accuracy)")}, wall time: {result.Wall.TotalSeconds:F1} s, saved to {outDir}");
        if (result.Stopped) Console.Error.WriteLine($"interrupted: checkpoint at step {f.Step}/{options.MaxSteps} saved in '{outDir}' (continue with --resume {outDir})");
        return result.Reached || result.Stopped ? 0 : ExitStatus.NotReached;
    }
}
