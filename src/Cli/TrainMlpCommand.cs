using System.CommandLine;
using System.Diagnostics;
using Interp.Data;
using Interp.Nn;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp train mlp</c>: <see cref="MlpClassifier"/> on Fashion-MNIST, then its test accuracy.</summary>
public sealed class TrainMlpCommand : Command
{
    readonly Option<int> epochs = Vocabulary.Int("--epochs", 2, "passes over the 60,000 training images", min: 1);
    readonly Option<double> lr = Vocabulary.Lr(1e-3, "Adam learning rate");
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the initialisation and the shuffles");
    readonly Option<bool> detectAnomaly = Vocabulary.DetectAnomaly();
    readonly Option<Device> device = Vocabulary.Device();
    readonly Option<bool> quiet = Vocabulary.Quiet();
    readonly Option<string> outDir = Vocabulary.Text("--out", "a folder to write the trained weights into (model.safetensors), for the neurons, ablate and pca verbs");

    public TrainMlpCommand() : base("mlp", $"""
        A 784-256-10 MLP on Fashion-MNIST with Adam.

        Trains a 784-256-10 MLP (ReLU) with Adam (batch 128) on Fashion-MNIST, shows progress on stderr, then prints the
        test accuracy and the wall time on stdout. Fashion-MNIST is read from $INTERP_FASHION_MNIST, else
        {FashionMnist.Directory} (Debian package {FashionMnist.DebianPackage}). With --out, the weights go to
        --out/model.safetensors (layers.0.weight, ...), which neurons, ablate and pca take as --model.
        """)
    {
        foreach (var option in new Option[] { epochs, lr, seed, detectAnomaly, device, quiet, outDir }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var wall = Stopwatch.StartNew();
        string? dir = r.GetValue(outDir) is { } o ? Vocabulary.Folder(o) : null;
        if (!FashionMnist.IsAvailable)
            throw new CliError($"Fashion-MNIST not found in {FashionMnist.Directory}; install it with: apt-get install -y {FashionMnist.DebianPackage} (or set INTERP_FASHION_MNIST)");
        var (train, test) = (FashionMnist.Load(train: true), FashionMnist.Load(train: false));
        var options = new MlpOptions(Epochs: r.GetValue(epochs), LearningRate: r.GetValue(lr), Seed: r.GetValue(seed), Device: r.GetValue(device));
        var progress = new Progress(r.GetValue(quiet));
        progress.Note($"Fashion-MNIST: {train.Count} training, {test.Count} test images; MLP {train.Height * train.Width}-{options.Hidden}-{MlpClassifier.Classes}, " +
            $"Adam lr {options.LearningRate}, batch {options.BatchSize}, {options.Epochs} epochs, seed {options.Seed}, on {options.Device}");
        Interp.Nn.Mlp model;
        using (Vocabulary.AnomalyMode(r.GetValue(detectAnomaly)))
            try { model = MlpClassifier.Train(train, options, progress.Report); }
            finally { progress.Finish(); }
        double accuracy = MlpClassifier.Accuracy(model, test);
        Console.WriteLine($"test accuracy: {accuracy:P2} ({Math.Round(accuracy * test.Count)}/{test.Count})");
        if (dir is not null)
        {
            string weights = Path.Combine(dir, "model.safetensors");
            model.SaveSafeTensors(weights);
            Console.WriteLine($"wrote {weights}");
        }
        Console.WriteLine($"wall time: {wall.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
