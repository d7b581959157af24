using System.CommandLine;
using System.Globalization;
using Interp.Analysis.Cases;
using Interp.Analysis.Neurons;
using Interp.Data;
using Interp.Data.Tasks;
using Interp.IO;
using Interp.Transformers;

namespace Interp.Cli;

/// <summary>
/// What the neuron and dataset verbs (neurons, ablate, pca, readout, features, transform, rule) share: a model with
/// hook points — a CNN or an MLP on images, or a transformer on token sequences at one position — the inputs it runs
/// on, the metric (a logit or a logit difference, or the logit of each input's answer) and the label a rule or feature
/// predicts. The verbs that read pixels (readout, features, transform, rule) take image models only.
/// </summary>
public sealed class ModelInputs(bool imagesOnly = false)
{
    public readonly Option<string> Model = Vocabulary.Model(imagesOnly
        ? "a folder from `interp train cnn` or `interp train mlp --out`, or a PyTorch .pt state dict (e.g. ../shared/data/eis7/mnist_model.pt)"
        : "a folder from `interp train cnn|mlp|induction|modadd` (mlp with --out), a PyTorch .pt CNN state dict (e.g. ../shared/data/eis7/mnist_model.pt), or a GPT-2 checkpoint", required: true);
    public readonly Option<string> Data = imagesOnly
        ? Vocabulary.Choice("--data", "auto", "the images: mnist (the 10k digits of ../shared/data) or fashion (the Fashion-MNIST test set); " +
            "auto: mnist for a .pt file, fashion for a folder from `interp train` (trained on Fashion-MNIST)", "auto", "mnist", "fashion")
        : Vocabulary.Choice("--data", "auto", "images for a CNN or MLP: mnist (the 10k digits of ../shared/data) or fashion (the Fashion-MNIST test set); " +
            "token sequences for a transformer: repeat (BOS + L random tokens repeated; the metric at the second-to-last position, the answer the last token), " +
            "modadd (every 'a b =' of a modular-addition model, the answer (a + b) mod p; for a run of `interp case eis7-transformer` the pair's challenge label) or random (uniform random tokens, no answer); " +
            "auto: for images mnist for a .pt file and fashion for a folder from `interp train` (trained on Fashion-MNIST), " +
            "for a transformer modadd when n_ctx is 3, else repeat", "auto", "mnist", "fashion", "repeat", "modadd", "random");
    public readonly Option<int> Stride = Vocabulary.Int("--stride", 1, "use every N-th input only (1: all)", min: 1);
    public readonly Option<string> Logits = Vocabulary.Text("--logits", "the metric: A,B for logit A − logit B, A for logit A alone, answer (or answer,B) for the logit of each input's answer " +
        "(its class, or its expected next token); default 1,0 for images, answer for token sequences");
    public readonly Option<int> Label = Vocabulary.Int("--label", 1, "the model label that rules and features predict", min: 0);
    public readonly Option<int> Sequences = Vocabulary.Int("--sequences", 256, "token sequences drawn for --data repeat or random", min: 1);
    public readonly Option<int?> Position = Vocabulary.MaybeInt("--position", "a transformer's position whose logits are the classes (negative: from the end; default: the data's answer position)");
    public readonly Option<int> DataSeed = Vocabulary.Int("--data-seed", 0, "seed of the random token sequences of --data repeat or random", min: 0);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Data, Stride, Logits, Label }) command.Add(option);
        if (!imagesOnly) foreach (var option in new Option[] { Sequences, Position, DataSeed }) command.Add(option);
    }

    /// <summary>The model run over its inputs (its logits and labels computed once).</summary>
    public ModelOnDataset Load(ParseResult r)
    {
        string path = Vocabulary.Required(r, Model);
        var kind = ModelFiles.KindOf(path);
        string data = r.GetValue(Data)!;
        bool tokenData = data is "repeat" or "modadd" or "random";
        if (kind == ModelFiles.ModelKind.Transformer)
        {
            if (imagesOnly) throw new CliError($"--model '{path}' is a transformer; this verb reads pixels and takes a CNN or an MLP (neurons, ablate and pca take transformers)");
            if (data is "mnist" or "fashion") throw new CliError($"--data {data}: '{path}' is a transformer, which reads token sequences (--data repeat, modadd or random)");
            return Tokens(r, ModelFiles.LoadTransformer(path), data, Eis7LabelsFor(path));
        }
        if (tokenData) throw new CliError($"--data {data}: '{path}' is a{(kind == ModelFiles.ModelKind.Mlp ? "n MLP" : " CNN")}, which reads images (--data mnist or fashion)");
        var images = Images(r, path);
        HookedClassifier model;
        if (kind == ModelFiles.ModelKind.Mlp)
        {
            var mlp = ModelFiles.LoadMlp(path);
            int inputs = mlp.Layers[0].InFeatures, pixels = images.Height * images.Width;
            if (inputs != pixels) throw new CliError($"--model '{path}' is an MLP on {inputs} inputs; the images have {images.Height} x {images.Width} = {pixels} pixels");
            model = HookedClassifier.Of(mlp);
        }
        else model = HookedClassifier.Of(ModelFiles.LoadCnn(path));
        var run = new ModelOnDataset(model, images);
        CheckMetric(r, run);
        if (r.GetValue(Label) >= run.Classes) throw new CliError($"--label: the model has labels 0..{run.Classes - 1}");
        return run;
    }

    /// <summary>The images of --data; auto is MNIST for a .pt file and Fashion-MNIST (what `interp train` uses) for a folder.</summary>
    public ImageDataset Images(ParseResult r, string modelPath)
    {
        string name = ImageDataName(r.GetValue(Data)!, modelPath);
        var data = name switch
        {
            "fashion" => FashionMnist.IsAvailable ? FashionMnist.Load(train: false)
                : throw new CliError($"Fashion-MNIST not found in {FashionMnist.Directory} (apt-get install -y {FashionMnist.DebianPackage})"),
            _ => Mnist.IsAvailable ? Mnist.Load10k() : throw new CliError("the MNIST digits of ../shared/data/mnist were not found (or set $INTERP_SHARED_DATA)"),
        };
        int stride = r.GetValue(Stride);
        if (stride > 1) data = EveryNth(data, stride);
        Console.Error.WriteLine($"{data.Count} image{(data.Count == 1 ? "" : "s")} of {(name == "fashion" ? "the Fashion-MNIST test set" : "MNIST (the 10k digits)")}{(stride > 1 ? $" (--stride {stride})" : "")}");
        return data;
    }

    public static string ImageDataName(string data, string modelPath) =>
        data == "auto" ? (Directory.Exists(modelPath) ? "fashion" : "mnist") : data;

    /// <summary>
    /// The challenge's labels for a folder of <c>interp case eis7-transformer</c> (its run.json beside the model): that
    /// model answers each "x y =" with the token 0 or 1 of the pair's label, not with (x + y) mod p.
    /// </summary>
    static Eis7Labels? Eis7LabelsFor(string path)
    {
        if (!Directory.Exists(path) || !File.Exists(Path.Combine(path, "run.json"))) return null;
        string? labels = Eis7Labels.DefaultPath;
        if (labels is null || !File.Exists(labels))
            throw new CliError($"'{path}' is an EIS VII challenge-2 run, whose answers are the challenge's labels: ../shared/data/eis7/{Eis7Labels.FileName} was not found (or set $INTERP_SHARED_DATA)");
        return Eis7Labels.Load(labels);
    }

    ModelOnDataset Tokens(ParseResult r, HookedTransformer model, string data, Eis7Labels? eis7 = null)
    {
        var cfg = model.Config;
        if (data == "auto") data = cfg.NCtx == 3 ? "modadd" : "repeat";
        int n = r.GetValue(Sequences);
        ulong seed = (ulong)r.GetValue(DataSeed);
        int[] ids;
        int[]? answers;
        int length, position;
        switch (data)
        {
            case "modadd":
                int p = cfg.DVocab - 1;
                if (cfg.NCtx != 3) throw new CliError($"--data modadd: the model's context is {cfg.NCtx} tokens, a modular-addition model's is 3 ('a b =')");
                (length, position) = (3, 2);
                ids = Enumerable.Range(0, p * p).SelectMany(k => new[] { k / p, k % p, p }).ToArray();
                if (eis7 is not null && eis7.Size != p)
                    throw new CliError($"the EIS VII labels are {eis7.Size} x {eis7.Size}, the model's pairs {p} x {p}");
                answers = Enumerable.Range(0, p * p).Select(k => eis7 is null ? (k / p + k % p) % p : eis7[k / p, k % p]).ToArray();
                break;
            case "repeat":
                int bos = cfg.DVocab == 50257 ? 50256 : 0, half = Math.Min(50, (cfg.NCtx - 1) / 2);
                if (half < 2) throw new CliError($"--data repeat: the context n_ctx = {cfg.NCtx} is too short for repeated sequences");
                var task = new RepeatedTokens(cfg.DVocab, half, bos, seed);
                (length, position) = (task.SequenceLength, task.SequenceLength - 2);
                ids = task.Batch(n).ToIntArray();
                answers = Enumerable.Range(0, n).Select(i => ids[i * length + length - 1]).ToArray();
                break;
            default:
                (length, position) = (cfg.NCtx, cfg.NCtx - 1);
                ids = Tensor.RandInt(0, cfg.DVocab, [n, cfg.NCtx], new Generator(seed)).ToIntArray();
                answers = null;
                break;
        }
        position = r.GetValue(Position) ?? position;
        if (position < -length || position >= length) throw new CliError($"--position {position} is outside the {length} tokens of a sequence");
        if (r.GetValue(Position) is not null) answers = null;   // the answer belongs to the data's own position
        int stride = r.GetValue(Stride), count = ids.Length / length;
        var rows = Enumerable.Range(0, count).Where(i => i % stride == 0).ToArray();
        var tokens = Tensor.FromArray(rows.SelectMany(i => ids.AsSpan(i * length, length).ToArray()).ToArray(), [rows.Length, length]);
        var run = new ModelOnDataset(TransformerClassifier.Of(model, position), tokens, answers is null ? null : rows.Select(i => answers[i]).ToArray());
        CheckMetric(r, run);
        Console.Error.WriteLine($"{rows.Length} {data} sequences of {length} tokens; the classes are the {cfg.DVocab} logits at position {position}" +
            (eis7 is not null && answers is not null ? "; each answer is the pair's EIS VII label (token 0 or 1), not (a + b) mod p" : ""));
        return run;
    }

    void CheckMetric(ParseResult r, ModelOnDataset run)
    {
        var (plus, minus) = Metric(r, run);
        if (plus == ModelOnDataset.Answer && run.Answers is null)
            throw new CliError($"--logits answer: these {run.InputName} have no answer (with --position or --data random, name the logits: --logits A,B)");
        if (plus >= run.Classes || minus >= run.Classes) throw new CliError($"--logits: the model has {run.Classes} logits (0..{run.Classes - 1})");
    }

    /// <summary>(plus, minus) of --logits; plus is <see cref="ModelOnDataset.Answer"/> for "answer".</summary>
    public (int Plus, int? Minus) Metric(ParseResult r, ModelOnDataset run)
    {
        string text = r.GetValue(Logits) ?? (run.OnImages ? "1,0" : "answer");
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ids = parts.Select((p, k) => k == 0 && p == "answer" ? ModelOnDataset.Answer
            : int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v : -2).ToArray();
        if (parts.Length is < 1 or > 2 || ids.Contains(-2)) throw new CliError($"--logits needs A, A,B, answer or answer,B (logit indices), got '{text}'");
        return (ids[0], ids.Length == 2 ? ids[1] : null);
    }

    /// <summary>The --hook given, or the model's main hidden layer: the CNN's hook_relu3, an MLP's last hook_relu, a transformer's last MLP neurons (or heads).</summary>
    public static string HookOr(string? given, ModelOnDataset run)
    {
        if (given is not null) return given;
        var names = run.Model.HookNames;
        if (run.Model.Name == "transformer")
            return names.LastOrDefault(n => n.EndsWith(".mlp.hook_post", StringComparison.Ordinal)) ?? names.Last(n => n.EndsWith(".attn.hook_z", StringComparison.Ordinal));
        return names.LastOrDefault(n => n.StartsWith("hook_relu", StringComparison.Ordinal)) ?? names[0];
    }

    public const string HookHelp = "the layer (default: the CNN's hook_relu3 = fc1 after its ReLU, an MLP's last hook_relu, a transformer's last " +
        "blocks.L.mlp.hook_post, or blocks.L.attn.hook_z for its heads when it has no MLP); any hook point of the model";

    public static string MetricName((int Plus, int? Minus) m) => ModelOnDataset.MetricName(m.Plus, m.Minus);

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
