using System.CommandLine;
using System.Diagnostics;
using Interp.Autograd;
using Interp.Data;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp train cnn</c>: <see cref="CnnTraining"/> on Fashion-MNIST, then its test accuracy.</summary>
public sealed class TrainCnnCommand : Command
{
    readonly Option<int> epochs = Vocabulary.Int("--epochs", 8, "passes over the 60,000 training images", min: 1);
    readonly Option<int> batch = Vocabulary.Int("--batch", 64, "minibatch size", min: 1);
    readonly Option<double> lr = Vocabulary.Lr(3e-3, "Adam learning rate, decayed to 0 along a cosine");
    readonly Option<bool> constantLr = Vocabulary.Flag("--constant-lr", "keep the learning rate constant instead");
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the initialisation and the shuffles");
    readonly Option<string> channels = Vocabulary.Text("--channels", "C1,C2: channels of the two convolutions", "16,32");
    readonly Option<bool> onePool = Vocabulary.Flag("--one-pool", "no pool after conv1, as PyTorch's MNIST example (with --channels 32,64): ~4x more work");
    readonly Option<int> hidden = Vocabulary.Int("--hidden", 128, "width of the hidden linear layer", min: 1);
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("runs", "cnn"), "checkpoints and the final weights (model.safetensors) go here");
    readonly Option<bool> resume = Vocabulary.Flag("--resume", "continue from the checkpoint in --out (same network; the epochs may be raised)");
    readonly Option<bool> detectAnomaly = Vocabulary.DetectAnomaly();
    readonly Option<Device> device = Vocabulary.Device();
    readonly Option<bool> quiet = Vocabulary.Quiet();

    public TrainCnnCommand() : base("cnn", """
        A CNN on Fashion-MNIST; a checkpoint every epoch, Ctrl-C saves, --resume continues.

        Trains a CNN (conv 3x3 C1 -> relu -> maxpool 2 -> conv 3x3 C2 -> relu -> maxpool 2 -> fc hidden -> relu -> fc 10)
        with Adam on Fashion-MNIST, checkpointing into --out after every epoch, and prints the test accuracy and the wall
        time. Ctrl-C stops after the current step and saves a checkpoint (exit status 130; continue with --resume).
        """)
    {
        channels.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>()?.Split(',') is not [var c1, var c2] || !(int.TryParse(c1, out int a) && a > 0 && int.TryParse(c2, out int b) && b > 0))
                r.AddError($"--channels needs two positive integers C1,C2, got '{r.GetValueOrDefault<string>()}'");
        });
        foreach (var option in new Option[] { epochs, batch, lr, constantLr, seed, channels, onePool, hidden, outDir, resume, detectAnomaly, device, quiet }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var wall = Stopwatch.StartNew();
        var c = r.GetValue(channels)!.Split(',').Select(int.Parse).ToArray();
        var run = CnnRun.Default with
        {
            Model = CnnRun.Default.Model with { Conv1Channels = c[0], Conv2Channels = c[1], Hidden = r.GetValue(hidden), PoolAfterConv1 = !r.GetValue(onePool) },
            Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr), Seed = r.GetValue(seed), Cosine = !r.GetValue(constantLr),
        };
        string dir = r.GetValue(outDir)!;
        if (!FashionMnist.IsAvailable)
            throw new CliError($"Fashion-MNIST not found in {FashionMnist.Directory}; install it with: apt-get install -y {FashionMnist.DebianPackage} (or set INTERP_FASHION_MNIST)");
        if (r.GetValue(resume))
        {
            if (!Checkpoint.Exists(dir)) throw new CliError($"--resume: no checkpoint in '{dir}'");
            var saved = Checkpoint.ReadConfig<CnnRun>(dir);
            if (saved with { Epochs = run.Epochs } != run)
                throw new CliError($"--resume: the checkpoint in '{dir}' is of another run: {saved} (this one: {run})");
        }
        Vocabulary.Folder(dir);
        var (train, test) = (FashionMnist.Load(train: true), FashionMnist.Load(train: false));
        var progress = new Progress(r.GetValue(quiet));
        progress.Note($"Fashion-MNIST: {train.Count} training, {test.Count} test images");
        using var stop = new StopOnCtrlC();
        using var anomaly = Vocabulary.AnomalyMode(r.GetValue(detectAnomaly));
        CnnTrainingResult result;
        try { result = CnnTraining.Train(run, train, dir, r.GetValue(resume), r.GetValue(device)!, progress, stop.Requested); }
        catch (NonFiniteException e) { throw ExitStatus.NotingTheCheckpoint(e, dir); }   // the trainer stopped before the update
        finally { progress.Finish(); }
        if (result.Stopped)
        {
            Console.Error.WriteLine($"interrupted: checkpoint at step {result.Step}/{result.TotalSteps} saved in '{dir}' (continue with --resume)");
            return ExitStatus.Interrupted;
        }
        var model = result.Model;
        double accuracy = ImageClassification.Accuracy(x => model.Forward(x.To(model.Device)), test);
        Console.WriteLine($"test accuracy: {accuracy:P2} ({Math.Round(accuracy * test.Count)}/{test.Count})");
        Console.WriteLine($"wall time: {wall.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
