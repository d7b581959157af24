using System.Diagnostics;
using Interp.Cli;
using Interp.Data;

return CommandLine.Execute(args);

public static class CommandLine
{
    /// <summary>The whole program, callable in-process (tests): a bad argument (CliError) is one line on stderr, exit 1.</summary>
    public static int Execute(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (CliError e)
        {
            Console.Error.WriteLine($"interp: {e.Message}");
            return 1;
        }
    }

    const string Usage = """
        usage: interp [demo] [options]   the main job: train the induction toy, take it apart, write report/index.html (see interp demo --help)
               interp train mlp [--epochs N] [--seed N] [--device cpu|cuda]   784-256-10 MLP on Fashion-MNIST
               interp tokens TEXT | --decode IDS   GPT-2 tokenization (see interp tokens --help)
               interp generate --model PATH ...   sample from a model (see interp generate --help)
               interp train cnn [options]   (see interp train cnn --help)
               interp train induction [options]   (see interp train induction --help)
               interp train modadd [options]   (see interp train modadd --help)
               interp patch MODEL [options]   activation patching heatmaps (see interp patch --help)
               interp attrib MODEL [options]   attribution patching vs activation patching (see interp attrib --help)
               interp heads|norms|lens --model PATH [options]   (see interp heads --help, ...)
               interp case norms --model PATH [--model PATH ...]   (see interp case norms --help)
               interp sae [options]   (sparse autoencoder on a hook point; see interp sae --help)
               interp featviz --model PATH [options]   (see interp featviz --help)
               interp unspeakable --model PATH [options]   (see interp unspeakable --help)
               interp case eis7-cnn|eis7-transformer [options]   (see interp case --help)
               interp --help

        train mlp: trains a 784-256-10 MLP (ReLU) with Adam (lr 1e-3, batch 128) on Fashion-MNIST,
        shows progress on stderr, then prints the test accuracy and the wall time on stdout.
          --epochs N   passes over the 60,000 training images (default 2)
          --seed N     seed of the initialisation and the shuffles (default 0)
          --device D   cpu (default) or cuda (cuda:N for the N-th GPU)

        Fashion-MNIST is read from $INTERP_FASHION_MNIST, else /usr/share/datasets/fashion-mnist
        (Debian package dataset-fashion-mnist).
        """;

    public static int Run(string[] args)
    {
        if (args is [] or ["demo", ..]) return DemoCommand.Run(args is [] ? [] : args[1..]);
        if (args is ["-h" or "--help" or "help"]) { Console.WriteLine(Usage); return 0; }
        if (args is ["train", "cnn", .. var rest]) return TrainCnn.Run(rest);
        if (args is ["train", "induction", .. var ind]) return TrainToys.Induction(ind);
        if (args is ["train", "modadd", .. var mod]) return TrainToys.ModAdd(mod);
        if (args is ["tokens", .. var tok]) return TokensCommand.Run(tok);
        if (args is ["generate", .. var gen]) return GenerateCommand.Run(gen);
        if (args is ["patch", .. var patch]) return PatchCommand.Run(patch);
        if (args is ["attrib", .. var attrib]) return AttribCommand.Run(attrib);
        if (args is ["heads", .. var heads]) return HeadsCommand.Run(heads);
        if (args is ["norms", .. var norms]) return NormsCommand.Run(norms);
        if (args is ["lens", .. var lens]) return LensCommand.Run(lens);
        if (args is ["case", "norms", .. var caseNorms]) return CaseNormsCommand.Run(caseNorms);
        if (args is ["sae", .. var sae]) return SaeCommand.Run(sae);
        if (args is ["featviz", .. var fv]) return FeatvizCommand.Run(fv);
        if (args is ["unspeakable", .. var un]) return UnspeakableCommand.Run(un);
        if (args is ["case", .. var caseArgs]) return CaseCommand.Run(caseArgs);
        if (args is not ["train", "mlp", ..])
        {
            Console.Error.WriteLine($"interp: unexpected argument '{args[0]}' (see interp --help)");
            return 1;
        }
        args = args[2..];
        var options = new TrainingOptions();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help" or "help": Console.WriteLine(Usage); return 0;
                case "--epochs" when i + 1 < args.Length && int.TryParse(args[i + 1], out int e) && e > 0:
                    options = options with { Epochs = e }; i++; break;
                case "--seed" when i + 1 < args.Length && ulong.TryParse(args[i + 1], out ulong s):
                    options = options with { Seed = s }; i++; break;
                case "--device" when i + 1 < args.Length:
                    options = options with { Device = CliArgs.ParseDevice("interp train mlp", args[i + 1]) }; i++; break;
                default:
                    Console.Error.WriteLine($"interp: unexpected argument '{args[i]}' (see interp --help)");
                    return 1;
            }
        }
        return TrainMlp(options);
    }

    static int TrainMlp(TrainingOptions options)
    {
        var wall = Stopwatch.StartNew();
        if (!FashionMnist.IsAvailable)
        {
            Console.Error.WriteLine($"interp: Fashion-MNIST not found in {FashionMnist.Directory}; install it with: apt-get install -y {FashionMnist.DebianPackage} (or set INTERP_FASHION_MNIST)");
            return 2;
        }
        ImageDataset train, test;
        try
        {
            train = FashionMnist.Load(train: true);
            test = FashionMnist.Load(train: false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"interp: cannot read Fashion-MNIST: {e.Message} (package {FashionMnist.DebianPackage})");
            return 2;
        }
        Console.Error.WriteLine($"Fashion-MNIST: {train.Count} training, {test.Count} test images; MLP {train.Height * train.Width}-{options.Hidden}-{MlpClassifier.Classes}, " +
            $"Adam lr {options.LearningRate}, batch {options.BatchSize}, {options.Epochs} epochs, seed {options.Seed}, on {options.Device ?? Interp.Device.Cpu}");
        var progress = new ProgressLine();
        var model = MlpClassifier.Train(train, options, progress.Report);
        progress.Finish();
        double accuracy = MlpClassifier.Accuracy(model, test);
        Console.WriteLine($"test accuracy: {accuracy:P2} ({Math.Round(accuracy * test.Count)}/{test.Count})");
        Console.WriteLine($"wall time: {wall.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}

/// <summary>Training progress on stderr: one line redrawn with \r on a terminal, else a line every few seconds.</summary>
sealed class ProgressLine
{
    readonly bool terminal = !Console.IsErrorRedirected;
    TimeSpan? lastShown;
    bool drawn;

    public void Report(TrainingProgress p)
    {
        bool epochEnd = p.Step == p.StepsPerEpoch;
        var every = terminal ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(10);
        if (!epochEnd && lastShown is { } last && p.Elapsed - last < every) return;
        lastShown = p.Elapsed;
        double perSecond = p.ExamplesSeen / Math.Max(1e-9, p.Elapsed.TotalSeconds);
        var remaining = TimeSpan.FromSeconds(p.Elapsed.TotalSeconds / p.GlobalStep * (p.TotalSteps - p.GlobalStep));
        string line = $"epoch {p.Epoch}/{p.Epochs}  step {p.Step}/{p.StepsPerEpoch}  loss {p.Loss:F4}  {perSecond:F0} ex/s  " +
                      $"elapsed {Format(p.Elapsed)}  remaining {Format(remaining)}";
        if (terminal) { Console.Error.Write($"\r{line}\u001b[K"); drawn = true; if (epochEnd) { Console.Error.WriteLine(); drawn = false; } }
        else Console.Error.WriteLine(line);
    }

    public void Finish()
    {
        if (drawn) Console.Error.WriteLine();
    }

    static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
}
