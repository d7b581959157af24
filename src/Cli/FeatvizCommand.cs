using System.Diagnostics;
using System.Globalization;
using Interp.Analysis.FeatureViz;
using Interp.Analysis.Plot;
using Interp.Data;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp featviz</c>: feature visualizations of a CNN's layers next to their top-activating dataset examples.</summary>
public static class FeatvizCommand
{
    public const string Usage = """
        usage: interp featviz --model PATH [--layer all|conv1|conv2|fc1|logits] [--steps N] [--lr X] [--param pixel|fourier]
                              [--transforms standard|none] [--tv X] [--l2 X] [--channels N] [--top K]
                              [--data auto|mnist|fashion|none] [--out DIR] [--seed N] [--device cpu|cuda] [--quiet]

        Optimises one input image per channel (feature) of a CNN layer to maximise that channel's mean activation
        (pre-ReLU; Lucid's method: Adam on a pixel or Fourier parameterization, through random jitter, scale and
        rotation), and writes a PNG per layer: each row the optimised image, then the K dataset images that activate
        the channel most. Prints every channel's value on its visualization and on its best dataset example.
          --model PATH      a folder from `interp train cnn`, or a PyTorch .pt state dict (e.g. the EIS VII mnist_model.pt)
          --layer L         conv1, conv2, fc1, logits, or all of them (default all)
          --steps N         Adam steps (default 512)
          --lr X            Adam learning rate (default 0.05)
          --param P         pixel or fourier (default fourier: 1/f-scaled spectrum coefficients)
          --transforms T    standard (jitter, scale 0.9-1.1, rotate +-10 degrees, jitter) or none (default standard)
          --tv X            total-variation penalty weight per image (default 0)
          --l2 X            L2 penalty weight per image, on the image minus 0.5 (default 0)
          --channels N      at most the first N channels of each layer (default 32)
          --top K           dataset examples per channel (default 8)
          --data D          top-example source: mnist (10k digits in ../shared/data), fashion (Fashion-MNIST test set),
                            none, or auto: mnist for a .pt file, fashion for a trained folder (default auto)
          --out DIR         where featviz_<layer>.png and index.html go (default runs/featviz)
          --seed N          seed of the initial images and the transforms (default 0)
          --device D        cpu or cuda (default cpu)
          --quiet           no progress lines
        """;

    static readonly string[] AllLayers = ["conv1", "conv2", "fc1", "logits"];

    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("interp featviz", args,
            ["--model", "--layer", "--steps", "--lr", "--param", "--transforms", "--tv", "--l2", "--channels", "--top", "--data", "--out", "--seed", "--device"],
            ["--quiet"]).NoPositionals();
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        string model = a.Get("--model") ?? throw new CliError("interp featviz: --model is required (see interp featviz --help)");
        string layerArg = a.Get("--layer", "all");
        var layers = layerArg == "all" ? AllLayers
            : AllLayers.Contains(layerArg) ? [layerArg] : throw new CliError($"interp featviz: --layer must be all, {string.Join(", ", AllLayers)}; got '{layerArg}'");
        string param = a.Get("--param", "fourier");
        if (param is not ("pixel" or "fourier")) throw new CliError($"interp featviz: --param must be pixel or fourier, got '{param}'");
        string transforms = a.Get("--transforms", "standard");
        if (transforms is not ("standard" or "none")) throw new CliError($"interp featviz: --transforms must be standard or none, got '{transforms}'");
        int steps = a.GetInt("--steps", 512, min: 0), channels = a.GetInt("--channels", 32, min: 1), top = a.GetInt("--top", 8, min: 1);
        double lr = a.GetDouble("--lr", 0.05);
        if (!(lr > 0)) throw new CliError($"interp featviz: --lr must be positive, got {lr}");
        string outDir = a.Get("--out", Path.Combine("runs", "featviz"));
        bool quiet = a.Has("--quiet");
        var device = a.GetDevice();
        ulong seed = a.GetSeed();

        var clock = Stopwatch.StartNew();
        var cnn = ModelFiles.LoadCnn(model);
        if (device != Device.Cpu) cnn.To(device);
        cnn.Eval();
        var (data, dataName) = LoadData(a.Get("--data", "auto"), model);
        try { Directory.CreateDirectory(outDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliError($"interp featviz: cannot create --out '{outDir}': {e.Message}"); }

        var progress = new Progress(quiet);
        var options = new LayerVisualizationOptions
        {
            Param = param, TotalVariation = a.GetDouble("--tv", 0), L2 = a.GetDouble("--l2", 0), MaxChannels = channels, TopK = top,
            Render = new RenderOptions
            {
                Steps = steps, LearningRate = lr, Progress = progress.Report,
                Transforms = transforms == "standard" ? Analysis.FeatureViz.Transforms.Standard(cnn.Config.ImageSize) : [],
            },
        };
        progress.Note($"featviz: {model} ({cnn.Config.Conv1Channels}/{cnn.Config.Conv2Channels} channels, {cnn.Config.Hidden} hidden, {cnn.Config.Classes} classes); " +
            $"{param} images, {steps} Adam steps at lr {lr}, transforms {transforms}; top examples from {dataName}");
        var report = new HtmlReport($"Feature visualization of {Path.GetFileName(Path.TrimEndingDirectorySeparator(model))}");
        report.Paragraph($"{param} parameterization, {steps} Adam steps (lr {lr}), transforms {transforms}, tv {options.TotalVariation}, l2 {options.L2}, seed {seed}. " +
            $"Left: the optimised input per channel; right: the {top} {dataName} images with the highest channel mean.");
        foreach (var layer in layers)
        {
            var v = LayerVisualizer.Run(cnn, layer, data, options, seed);
            progress.Finish();
            string file = $"featviz_{layer}.png";
            LayerVisualizer.SaveGrid(Path.Combine(outDir, file), v, data);
            Console.WriteLine($"{layer}: {v.Channels.Length} channels in {v.Render.Elapsed.TotalSeconds:F1} s, objective {v.Render.InitialObjective:F3} -> {v.Render.FinalObjective:F3}; {Path.Combine(outDir, file)}");
            var rows = new List<string[]>();
            for (int i = 0; i < v.Channels.Length; i++)
            {
                string best = v.Top is null ? "" : v.Top[i].Values[0].ToString("F3", CultureInfo.InvariantCulture);
                string labels = v.Top is null || data is null ? "" : string.Join(" ", v.Top[i].Rows.Select(r => data.Labels[r]));
                Console.WriteLine($"  {layer} {v.Channels[i],3}: visualization {v.Values[i],9:F3}   best example {best,9}   labels of top {top}: {labels}");
                rows.Add([v.Channels[i].ToString(CultureInfo.InvariantCulture), v.Values[i].ToString("F3", CultureInfo.InvariantCulture), best, labels]);
            }
            report.Heading(layer).Image(file, $"{layer}: optimised inputs (left) and top-activating {dataName} examples (right)")
                .Table(["channel", "visualization", "best example", $"labels of the top {top}"], rows);
        }
        report.Save(outDir);
        Console.WriteLine($"report: {Path.Combine(outDir, "index.html")}");
        Console.WriteLine($"wall time: {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    static (ImageDataset? Data, string Name) LoadData(string which, string model)
    {
        if (which == "auto") which = File.Exists(model) ? "mnist" : "fashion";
        switch (which)
        {
            case "none": return (null, "no dataset");
            case "mnist":
                if (!Mnist.IsAvailable) throw new CliError($"interp featviz: MNIST 10k not found under {Mnist.Directory ?? "../shared/data (or set INTERP_SHARED_DATA)"}; use --data none");
                return (Mnist.Load10k(), "MNIST (10k)");
            case "fashion":
                if (!FashionMnist.IsAvailable) throw new CliError($"interp featviz: Fashion-MNIST not found in {FashionMnist.Directory} (apt-get install -y {FashionMnist.DebianPackage}); use --data none");
                return (FashionMnist.Load(train: false), "Fashion-MNIST test");
            default: throw new CliError($"interp featviz: --data must be auto, mnist, fashion or none, got '{which}'");
        }
    }
}
