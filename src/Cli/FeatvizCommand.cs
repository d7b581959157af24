using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Interp.Analysis.FeatureViz;
using Interp.Data;
using Interp.IO;
using Interp.Analysis.Plot;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp featviz</c>: feature visualizations of a CNN's layers next to their top-activating dataset examples.</summary>
public sealed class FeatvizCommand : Command
{
    static readonly string[] AllLayers = ["conv1", "conv2", "fc1", "logits"];

    readonly Option<string> model = Vocabulary.Model("a folder from `interp train cnn`, or a PyTorch .pt state dict (e.g. the EIS VII mnist_model.pt)", required: true);
    readonly Option<string> layer = Vocabulary.Choice("--layer", "all", "the layer whose channels are visualized, or all of them", ["all", .. AllLayers]);
    readonly Option<int> steps = Vocabulary.Steps(512, "Adam steps", min: 0);
    readonly Option<double> lr = Vocabulary.Lr(0.05, "Adam learning rate");
    readonly Option<string> param = Vocabulary.Choice("--param", "fourier", "pixel, or fourier: 1/f-scaled spectrum coefficients", "pixel", "fourier");
    readonly Option<string> transforms = Vocabulary.Choice("--transforms", "standard", "standard (jitter, scale 0.9-1.1, rotate +-10 degrees, jitter) or none", "standard", "none");
    readonly Option<double> tv = Vocabulary.Double("--tv", 0, "total-variation penalty weight per image");
    readonly Option<double> l2 = Vocabulary.Double("--l2", 0, "L2 penalty weight per image, on the image minus 0.5");
    readonly Option<int> channels = Vocabulary.Int("--channels", 32, "at most the first N channels of each layer", min: 1);
    readonly Option<int> top = Vocabulary.Int("--top", 8, "dataset examples per channel", min: 1);
    readonly Option<string> units = Vocabulary.Text("--units", "comma-separated units (channels) of one --layer to visualize, e.g. 3,17,56 (default: the first --channels)");
    readonly Option<string> score = Vocabulary.Choice("--score", "raw", "how logits are scored: raw (the logit) or margin (the logit minus the mean of the others); other layers: mean activation", "raw", "margin");
    readonly Option<string> data = Vocabulary.Choice("--data", "auto",
        "top-example source: mnist (10k digits in ../shared/data), fashion (Fashion-MNIST test set), none, or auto: mnist for a .pt file, fashion for a trained folder",
        "auto", "mnist", "fashion", "none");
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("runs", "featviz"), "where featviz_<layer>.png and index.html go");
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the initial images and the transforms");
    readonly Option<bool> detectAnomaly = Vocabulary.DetectAnomaly();
    readonly Option<Device> device = Vocabulary.Device();
    readonly Option<bool> quiet = Vocabulary.Quiet();

    public FeatvizCommand() : base("featviz", """
        Feature visualizations of a CNN's channels next to their top-activating examples.

        Optimises one input image per channel (feature) of a CNN layer to maximise that channel's mean activation
        (pre-ReLU; Lucid's method: Adam on a pixel or Fourier parameterization, through random jitter, scale and
        rotation), and writes PNGs per layer: each row the optimised image, then the K dataset images that activate
        the channel most, rows wrapped into columns and further files so that no PNG is larger than 1920 x 1080.
        Prints every channel's value on its visualization and on its best dataset example, and how it was scored.
        With --units, only those units of one --layer; units that are zero after their ReLU on every dataset image
        (dead) are skipped, and said so.
        """)
    {
        foreach (var option in new Option[] { model, layer, steps, lr, param, transforms, tv, l2, channels, units, score, top, data, outDir, seed, detectAnomaly, device, quiet }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string modelPath = Vocabulary.Required(r, model), layerName = r.GetValue(layer)!, param = r.GetValue(this.param)!, transforms = r.GetValue(this.transforms)!;
        var layers = layerName == "all" ? AllLayers : [layerName];
        int steps = r.GetValue(this.steps), top = r.GetValue(this.top);
        double lr = r.GetValue(this.lr);
        ulong seed = r.GetValue(this.seed);
        var clock = Stopwatch.StartNew();
        string outDir = Vocabulary.Folder(r.GetValue(this.outDir)!);
        var cnn = ModelFiles.LoadCnn(modelPath);
        var device = r.GetValue(this.device)!;
        if (device != Device.Cpu) cnn.To(device);
        cnn.Eval();
        var (data, dataName) = LoadData(r.GetValue(this.data)!, modelPath);

        var progress = new Progress(r.GetValue(quiet));
        var options = new LayerVisualizationOptions
        {
            Param = param, TotalVariation = r.GetValue(tv), L2 = r.GetValue(l2), MaxChannels = r.GetValue(channels), TopK = top,
            Render = new RenderOptions
            {
                Steps = steps, LearningRate = lr, Progress = progress.Report,
                Transforms = transforms == "standard" ? Analysis.FeatureViz.Transforms.Standard(cnn.Config.ImageSize) : [],
            },
        };
        progress.Note($"featviz: {modelPath} ({cnn.Config.Conv1Channels}/{cnn.Config.Conv2Channels} channels, {cnn.Config.Hidden} hidden, {cnn.Config.Classes} classes); " +
            $"{param} images, {steps} Adam steps at lr {lr}, transforms {transforms}; top examples from {dataName}");
        var report = new HtmlReport($"Feature visualization of {Path.GetFileName(Path.TrimEndingDirectorySeparator(modelPath))}");
        report.Paragraph($"{param} parameterization, {steps} Adam steps (lr {lr}), transforms {transforms}, tv {options.TotalVariation}, l2 {options.L2}, seed {seed}. " +
            $"Left: the optimised input per channel; right: the {top} {dataName} images with the highest channel mean.");
        var chosen = r.GetValue(units) is string u ? ModelInputs.ParseUnits(u, "--units") : null;
        if (chosen is not null && layers.Length != 1) throw new CliError("--units needs one --layer (conv1, conv2, fc1 or logits)");
        // every layer first, the files after: a run stopped by a NaN leaves no half of the output
        var visualizations = new List<(string Name, LayerVisualization V)>();
        using (Vocabulary.AnomalyMode(r.GetValue(detectAnomaly)))
            foreach (var name in layers)
            {
                var layerOptions = options with { Units = chosen is null ? null : Live(cnn, name, chosen, data), Score = r.GetValue(score)! };
                try { visualizations.Add((name, LayerVisualizer.Run(cnn, name, data, layerOptions, seed))); }
                finally { progress.Finish(); }
            }
        foreach (var (name, v) in visualizations)
        {
            var files = LayerVisualizer.SaveWrappedGrids(outDir, $"featviz_{name}", v, data);
            Console.WriteLine($"{name}: {v.Channels.Length} units in {v.Render.Elapsed.TotalSeconds:F1} s, scored by {v.ScoredBy}, objective {v.Render.InitialObjective:F3} -> {v.Render.FinalObjective:F3}");
            foreach (var (file, shown) in files) Console.WriteLine($"  {Path.Combine(outDir, file)}: units {string.Join(" ", shown)}");
            var rows = new List<string[]>();
            for (int i = 0; i < v.Channels.Length; i++)
            {
                string best = v.Top is null ? "" : v.Top[i].Values[0].ToString("F3", CultureInfo.InvariantCulture);
                string labels = v.Top is null || data is null ? "" : string.Join(" ", v.Top[i].Rows.Select(row => data.Labels[row]));
                Console.WriteLine($"  {name} {v.Channels[i],3}: visualization {v.Values[i],9:F3}   best example {best,9}   dataset classes of top {top}: {labels}");
                rows.Add([v.Channels[i].ToString(CultureInfo.InvariantCulture), v.Values[i].ToString("F3", CultureInfo.InvariantCulture), best, labels]);
            }
            report.Heading(name);
            report.Paragraph($"Each unit scored by {v.ScoredBy}; the values below are that score.");
            foreach (var (file, shown) in files)
            {
                var figure = new ImageFigure($"{name}, units {string.Join(", ", shown)}: optimised inputs and top {dataName} examples", Png.Decode(File.ReadAllBytes(Path.Combine(outDir, file))))
                    { XLabel = "optimised input | top examples, best first", YLabel = "unit, one per row (down each column, then across)", Legend = ColorScale.Grey(0, 1), ValueLabel = "pixel" };
                report.Figure(figure, $"{name}, units {string.Join(", ", shown)}, scored by {v.ScoredBy}: optimised input, then the top-activating {dataName} examples ({file})");
            }
            report.Table(["unit", $"visualization ({v.ScoredBy})", "best example", $"dataset classes of the top {top}"], rows);
        }
        report.Save(outDir);
        Console.WriteLine($"report: {Path.Combine(outDir, "index.html")}");
        Console.WriteLine($"wall time: {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    // the chosen units without the dead ones (zero after the ReLU on every dataset image), which are named on the console
    static int[] Live(Models.Cnn cnn, string layer, int[] chosen, ImageDataset? data)
    {
        if (data is null) return chosen;
        var dead = DeadUnits.Of(cnn, layer, data).Intersect(chosen).ToArray();
        if (dead.Length > 0) Console.WriteLine($"{layer}: skipped dead units (zero after the ReLU on every dataset image): {string.Join(" ", dead)}");
        var live = chosen.Except(dead).ToArray();
        return live.Length > 0 ? live : throw new CliError($"--units: every unit given is dead in {layer}");
    }

    static (ImageDataset? Data, string Name) LoadData(string which, string model)
    {
        if (which == "auto") which = File.Exists(model) ? "mnist" : "fashion";
        switch (which)
        {
            case "none": return (null, "no dataset");
            case "mnist":
                if (!Mnist.IsAvailable) throw new CliError($"MNIST 10k not found under {Mnist.Directory ?? "../shared/data (or set INTERP_SHARED_DATA)"}; use --data none");
                return (Mnist.Load10k(), "MNIST (10k)");
            case "fashion":
                if (!FashionMnist.IsAvailable) throw new CliError($"Fashion-MNIST not found in {FashionMnist.Directory} (apt-get install -y {FashionMnist.DebianPackage}); use --data none");
                return (FashionMnist.Load(train: false), "Fashion-MNIST test");
            default: throw new ArgumentException($"--data must be auto, mnist, fashion or none, got '{which}'");
        }
    }
}
