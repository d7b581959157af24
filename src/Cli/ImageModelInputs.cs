using System.CommandLine;
using System.Globalization;
using Interp.Analysis.Neurons;
using Interp.Data;
using Interp.IO;

namespace Interp.Cli;

/// <summary>
/// What the neuron and dataset verbs (neurons, ablate, pca, readout, features, transform, rule) share: an image
/// classifier with hook points, the images it runs on, the metric (a logit or a logit difference) and the label a
/// rule or feature predicts.
/// </summary>
public sealed class ImageModelInputs
{
    public readonly Option<string> Model = Vocabulary.Model("a folder from `interp train cnn`, or a PyTorch .pt state dict (e.g. ../shared/data/eis7/mnist_model.pt)", required: true);
    public readonly Option<string> Data = Vocabulary.Choice("--data", "mnist", "the images: mnist (the 10k digits of ../shared/data) or fashion (the Fashion-MNIST test set)", "mnist", "fashion");
    public readonly Option<int> Stride = Vocabulary.Int("--stride", 1, "use every N-th image only (1: all)", min: 1);
    public readonly Option<string> Logits = Vocabulary.Text("--logits", "the metric: A,B for logit A − logit B, or A for logit A alone", "1,0");
    public readonly Option<int> Label = Vocabulary.Int("--label", 1, "the model label that rules and features predict", min: 0);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Data, Stride, Logits, Label }) command.Add(option);
    }

    /// <summary>The model run over the images (its logits and labels computed once).</summary>
    public ModelOnDataset Load(ParseResult r)
    {
        string path = Vocabulary.Required(r, Model);
        var cnn = ModelFiles.LoadCnn(path);
        var run = new ModelOnDataset(HookedClassifier.Of(cnn), Images(r));
        var (plus, minus) = Metric(r);
        if (plus >= run.Classes || minus >= run.Classes) throw new CliError($"--logits: the model has {run.Classes} logits (0..{run.Classes - 1})");
        if (r.GetValue(Label) >= run.Classes) throw new CliError($"--label: the model has labels 0..{run.Classes - 1}");
        return run;
    }

    public ImageDataset Images(ParseResult r)
    {
        var data = r.GetValue(Data) switch
        {
            "fashion" => FashionMnist.IsAvailable ? FashionMnist.Load(train: false)
                : throw new CliError($"Fashion-MNIST not found in {FashionMnist.Directory} (apt-get install -y {FashionMnist.DebianPackage})"),
            _ => Mnist.IsAvailable ? Mnist.Load10k() : throw new CliError("the MNIST digits of ../shared/data/mnist were not found (or set $INTERP_SHARED_DATA)"),
        };
        int stride = r.GetValue(Stride);
        return stride == 1 ? data : EveryNth(data, stride);
    }

    /// <summary>(plus, minus) of --logits.</summary>
    public (int Plus, int? Minus) Metric(ParseResult r)
    {
        string text = r.GetValue(Logits)!;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ids = parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v : -1).ToArray();
        if (parts.Length is < 1 or > 2 || ids.Contains(-1)) throw new CliError($"--logits needs A or A,B (logit indices), got '{text}'");
        return (ids[0], ids.Length == 2 ? ids[1] : null);
    }

    public static string MetricName((int Plus, int? Minus) m) => m.Minus is int b ? $"logit {m.Plus} − logit {b}" : $"logit {m.Plus}";

    /// <summary>A comma-separated list of unit indices.</summary>
    public static int[] ParseUnits(string text, string option) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
            int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int u) && u >= 0 ? u
                : throw new CliError($"{option}: '{s}' is not a unit index")).ToArray();

    static ImageDataset EveryNth(ImageDataset data, int stride)
    {
        var rows = Enumerable.Range(0, data.Count).Where(i => i % stride == 0).ToArray();
        int size = data.Height * data.Width;
        var images = new float[rows.Length * size];
        for (int k = 0; k < rows.Length; k++) data.Images.AsSpan(rows[k] * size, size).CopyTo(images.AsSpan(k * size));
        return new ImageDataset(images, rows.Select(i => data.Labels[i]).ToArray(), data.Height, data.Width);
    }
}
