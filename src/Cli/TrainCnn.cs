using System.Diagnostics;
using Interp.Data;
using Interp.Models;
using Interp.Nn;
using Interp.Optim;
using Interp.Training;

namespace Interp.Cli;

/// <summary>What a CNN run is: kept in its checkpoints, so a resumed run can be checked against them.</summary>
public sealed record CnnRun(CnnConfig Model, int Epochs, int BatchSize, double LearningRate, ulong Seed, bool Cosine);

/// <summary>
/// <c>interp train cnn</c>: trains a <see cref="Cnn"/> on Fashion-MNIST with Adam, checkpointing into the output folder
/// after every epoch and on Ctrl-C (which stops after the current step), then writes the weights and the test accuracy.
/// </summary>
public static class TrainCnn
{
    public const string Usage = """
        usage: interp train cnn [--epochs N] [--batch N] [--lr X] [--constant-lr] [--seed N] [--channels C1,C2]
                                [--one-pool] [--hidden N] [--out DIR] [--resume] [--device cpu|cuda] [--quiet]

        Trains a CNN (conv 3x3 C1 -> relu -> maxpool 2 -> conv 3x3 C2 -> relu -> maxpool 2 -> fc hidden -> relu -> fc 10)
        with Adam on Fashion-MNIST and prints the test accuracy and the wall time.
          --epochs N        passes over the 60,000 training images (default 8)
          --batch N         minibatch size (default 64)
          --lr X            Adam learning rate, decayed to 0 along a cosine (default 3e-3)
          --constant-lr     keep the learning rate constant instead
          --seed N          seed of the initialisation and the shuffles (default 0)
          --channels C1,C2  channels of the two convolutions (default 16,32)
          --one-pool        no pool after conv1, as PyTorch's MNIST example (with --channels 32,64): ~4x more work
          --hidden N        width of the hidden linear layer (default 128)
          --out DIR         checkpoints and the final weights (model.safetensors) go here (default runs/cnn)
          --resume          continue from the checkpoint in DIR (same network; the epochs may be raised)
          --device D        cpu (default) or cuda (cuda:N for the N-th GPU)
          --quiet           no progress lines
        Ctrl-C stops after the current step and saves a checkpoint (resume it with --resume).
        """;

    public static int Run(string[] args)
    {
        var run = new CnnRun(new CnnConfig(Conv1Channels: 16, Conv2Channels: 32, PoolAfterConv1: true), Epochs: 8, BatchSize: 64, LearningRate: 3e-3, Seed: 0, Cosine: true);
        string outDir = Path.Combine("runs", "cnn");
        bool quiet = false, resume = false;
        var device = Device.Cpu;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                case "--epochs" when int.TryParse(value, out int e) && e > 0: run = run with { Epochs = e }; i++; break;
                case "--batch" when int.TryParse(value, out int b) && b > 0: run = run with { BatchSize = b }; i++; break;
                case "--lr" when double.TryParse(value, out double lr) && lr > 0: run = run with { LearningRate = lr }; i++; break;
                case "--seed" when ulong.TryParse(value, out ulong s): run = run with { Seed = s }; i++; break;
                case "--hidden" when int.TryParse(value, out int h) && h > 0: run = run with { Model = run.Model with { Hidden = h } }; i++; break;
                case "--channels" when value?.Split(',') is [var c1, var c2] && int.TryParse(c1, out int a1) && int.TryParse(c2, out int a2) && a1 > 0 && a2 > 0:
                    run = run with { Model = run.Model with { Conv1Channels = a1, Conv2Channels = a2 } }; i++; break;
                case "--one-pool": run = run with { Model = run.Model with { PoolAfterConv1 = false } }; break;
                case "--constant-lr": run = run with { Cosine = false }; break;
                case "--out" when value is not null: outDir = value; i++; break;
                case "--device" when value is not null:
                    try { device = CliArgs.ParseDevice("interp train cnn", value); }
                    catch (CliError e) { Console.Error.WriteLine(e.Message); return 1; }
                    i++; break;
                case "--resume": resume = true; break;
                case "--quiet": quiet = true; break;
                default:
                    Console.Error.WriteLine(NeedsOf(args[i]) is { } needs
                        ? $"interp train cnn: {args[i]} needs {needs}, got {(value is null ? "nothing" : $"'{value}'")}"
                        : $"interp train cnn: unexpected argument '{args[i]}' (see interp train cnn --help)");
                    return 1;
            }
        }
        return Train(run, outDir, resume, quiet, device);
    }

    // what an option that takes a value needs (null: not such an option), for the one-line error
    static string? NeedsOf(string option) => option switch
    {
        "--epochs" or "--batch" or "--hidden" => "a positive integer",
        "--lr" => "a positive number",
        "--seed" => "a non-negative integer",
        "--channels" => "two positive integers C1,C2",
        "--out" => "a folder",
        "--device" => "cpu or cuda",
        _ => null,
    };

    static Func<int, double>? Schedule(CnnRun run, int examples) =>
        run.Cosine ? LrSchedule.WarmupCosine(0, run.Epochs * ((examples + run.BatchSize - 1) / run.BatchSize)) : null;

    static int Train(CnnRun run, string outDir, bool resume, bool quiet, Device device)
    {
        var wall = Stopwatch.StartNew();
        if (!FashionMnist.IsAvailable)
        {
            Console.Error.WriteLine($"interp: Fashion-MNIST not found in {FashionMnist.Directory}; install it with: apt-get install -y {FashionMnist.DebianPackage} (or set INTERP_FASHION_MNIST)");
            return 2;
        }
        var train = FashionMnist.Load(train: true);
        var test = FashionMnist.Load(train: false);
        var gen = new Generator(run.Seed);
        var model = new Cnn(run.Model, gen);
        model.To(device);
        var trainer = new Trainer(model, new Adam(model.Parameters(), run.LearningRate), train.Count, rows =>
        {
            var (x, labels) = ImageClassification.Batch(train, rows);
            return model.Forward(x.To(device)).CrossEntropy(labels.To(device));
        }, new TrainerOptions(run.Epochs, run.BatchSize, run.Seed, Schedule(run, train.Count)), gen);

        var progress = new Progress(quiet);
        if (resume)
        {
            if (!Checkpoint.Exists(outDir)) { Console.Error.WriteLine($"interp: --resume: no checkpoint in '{outDir}'"); return 2; }
            var saved = Checkpoint.ReadConfig<CnnRun>(outDir);
            if (saved with { Epochs = run.Epochs } != run)
            {
                Console.Error.WriteLine($"interp: --resume: the checkpoint in '{outDir}' is of another run: {saved} (this one: {run})");
                return 2;
            }
            Checkpoint.Load(outDir, trainer);
            progress.Note($"resumed from '{outDir}' at step {trainer.Step}/{trainer.TotalSteps}");
        }
        progress.Note($"Fashion-MNIST: {train.Count} training, {test.Count} test images; CNN {run.Model.Conv1Channels}/{run.Model.Conv2Channels} channels, " +
            $"{run.Model.FlatFeatures}-{run.Model.Hidden}-{run.Model.Classes}, {model.Parameters().Sum(p => p.Numel)} parameters; Adam lr {run.LearningRate}, " +
            $"{(run.Cosine ? "cosine decay, " : "")}batch {run.BatchSize}, {run.Epochs} epochs, seed {run.Seed}, on {device}");

        using var stop = new StopOnCtrlC();
        try
        {
            while (!trainer.Done && !stop.Requested())
            {
                int epochEnd = (trainer.Step / trainer.StepsPerEpoch + 1) * trainer.StepsPerEpoch;
                trainer.Run(maxSteps: epochEnd - trainer.Step, stop: stop.Requested, report: progress.Report);
                Checkpoint.Save(outDir, trainer, run);
            }
        }
        catch (ArithmeticException e)   // a NaN/Inf loss: the trainer stopped before the update
        {
            Console.Error.WriteLine($"interp train cnn: {e.Message} (the last checkpoint in '{outDir}' is intact)");
            return 4;
        }
        finally { progress.Finish(); }
        if (stop.Requested() && !trainer.Done)
        {
            Console.Error.WriteLine($"interrupted: checkpoint at step {trainer.Step}/{trainer.TotalSteps} saved in '{outDir}' (continue with --resume)");
            return 130;
        }
        model.SaveSafeTensors(Path.Combine(outDir, "model.safetensors"));
        model.Eval();
        double accuracy = ImageClassification.Accuracy(x => model.Forward(x.To(device)), test);
        Console.WriteLine($"test accuracy: {accuracy:P2} ({Math.Round(accuracy * test.Count)}/{test.Count})");
        Console.WriteLine($"wall time: {wall.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
