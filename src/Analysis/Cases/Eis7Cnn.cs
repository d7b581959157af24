using Interp.Autograd;
using Interp.Data;
using Interp.IO;
using Interp.Models;
using Interp.Nn;

namespace Interp.Analysis.Cases;

/// <summary>How many digits of one MNIST class the model labels 1.</summary>
public sealed record ClassFraction(int Digit, int Count, int LabelledOne)
{
    public double Fraction => Count == 0 ? double.NaN : (double)LabelledOne / Count;
}

/// <summary>A candidate labelling rule against the model's labels: the four confusion counts and the agreement.</summary>
public sealed record RuleAgreement(int BothOne, int RuleOnlyOne, int ModelOnlyOne, int BothZero)
{
    public int Total => BothOne + RuleOnlyOne + ModelOnlyOne + BothZero;
    public double Agreement => Total == 0 ? double.NaN : (double)(BothOne + BothZero) / Total;
    public double AgreementPercent => 100 * Agreement;
}

/// <summary>
/// The digits that drive one unit (a conv channel or an output logit) hardest, and its most confusing ones: the
/// unit's <see cref="PreferredLabel"/> is the model label of most of its top images, and the confusing images are the
/// highest-scoring ones the model labels the other way (for a logit: the images it almost labelled that way).
/// Scores: a channel's maximum over the image of its post-ReLU map; a logit's margin over the other logit. A channel
/// that is zero on every digit is <see cref="Dead"/>: its "top" digits and preferred label mean nothing.
/// </summary>
public sealed record UnitExamples(string Hook, int Unit, int PreferredLabel, int[] Top, double[] TopScores, int[] Confusing, double[] ConfusingScores)
{
    public bool Dead => Hook != "hook_logits" && TopScores.Length > 0 && TopScores[0] <= 0;
}

/// <summary>
/// EIS VII challenge 1 (Casper, 2023): an MNIST CNN (conv 8 → pool → conv 16 → pool → 400 → 200 → 2) trained on a
/// secret binary labelling of the digits. This class runs it on real digits and gives the tools to study it: the
/// fraction of each digit class it labels 1, the top and most confusing digits of each channel and logit, saliency
/// maps, and agreement of a candidate labelling rule with the model. Images are pixels / 255 in [0, 1], as
/// torchvision's ToTensor gives them.
/// </summary>
public sealed class Eis7Cnn
{
    /// <summary>The units that have examples: conv1's and conv2's channels after ReLU, and the two logits.</summary>
    public static readonly string[] UnitHooks = ["hook_relu1", "hook_relu2", "hook_logits"];

    const int BatchSize = 500;
    readonly Dictionary<string, double[,]> scores = [];

    Eis7Cnn(Cnn model, ImageDataset digits)
    {
        (Model, Digits) = (model, digits);
        model.Eval();
        var logits = Run(x => model.Forward(x));
        Logits = logits;
        Predictions = new int[digits.Count];
        for (int i = 0; i < digits.Count; i++) Predictions[i] = logits[i, 1] > logits[i, 0] ? 1 : 0;
    }

    public Cnn Model { get; }
    public ImageDataset Digits { get; }
    /// <summary>The logits [image, label] of every digit.</summary>
    public double[,] Logits { get; }
    /// <summary>The model's label (0 or 1) of every digit: 1 where logit 1 &gt; logit 0.</summary>
    public int[] Predictions { get; }

    /// <summary>../shared/data/eis7/mnist_model.pt, or null when the shared data folder is not found.</summary>
    public static string? DefaultModelPath => DataPaths.SharedData() is string d ? Path.Combine(d, "eis7", "mnist_model.pt") : null;

    /// <summary>The challenge's network from a PyTorch state dict (.pt), checked against <see cref="CnnConfig.Eis7"/>.</summary>
    public static Cnn LoadModel(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"eis7 cnn: model file not found: '{path}'", path);
        var model = new Cnn(CnnConfig.Eis7, new Generator(0));
        model.LoadStateDict(TorchStateDict.Load(path));
        model.Eval();
        return model;
    }

    /// <summary>
    /// The model and digits from a data folder laid out as ../shared/data: <c>eis7/mnist_model.pt</c> and the 10,000
    /// digits of <c>mnist/</c>. <paramref name="dataFolder"/> defaults to the shared data folder next to the repository
    /// (or $INTERP_SHARED_DATA), which a program outside the repository should not rely on; <paramref name="digits"/>
    /// and <paramref name="modelPath"/> replace the folder's digits or model.
    /// </summary>
    public static Eis7Cnn Load(string? dataFolder = null, ImageDataset? digits = null, string? modelPath = null)
    {
        dataFolder ??= DataPaths.SharedData();
        if (dataFolder is null && (modelPath is null || digits is null))
            throw new FileNotFoundException("eis7 cnn: no data folder given and no shared data folder found (expected ../shared/data next to the repository, or $INTERP_SHARED_DATA)");
        if (dataFolder is not null && !Directory.Exists(dataFolder)) throw new DirectoryNotFoundException($"eis7 cnn: data folder not found: '{dataFolder}'");
        modelPath ??= Path.Combine(dataFolder!, "eis7", "mnist_model.pt");
        return new Eis7Cnn(LoadModel(modelPath), digits ?? Mnist.Load10k(Path.Combine(dataFolder!, "mnist")));
    }

    /// <summary>Every <paramref name="stride"/>-th digit (the 10k set is grouped by class, so each class keeps its share).</summary>
    public static ImageDataset EveryNth(ImageDataset data, int stride)
    {
        if (stride < 1) throw new ArgumentException($"eis7 cnn: stride must be at least 1, got {stride}");
        int pixels = data.Height * data.Width, n = (data.Count + stride - 1) / stride;
        var images = new float[n * pixels];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            data.Images.AsSpan(i * stride * pixels, pixels).CopyTo(images.AsSpan(i * pixels));
            labels[i] = data.Labels[i * stride];
        }
        return new ImageDataset(images, labels, data.Height, data.Width);
    }

    /// <summary>Fraction of all digits the model labels 1.</summary>
    public double FractionOnes => Predictions.Average();

    /// <summary>For each digit class 0..9 (by the MNIST label), how many digits the model labels 1.</summary>
    public IReadOnlyList<ClassFraction> ClassFractions() =>
        Enumerable.Range(0, 10).Select(d =>
        {
            var rows = Enumerable.Range(0, Digits.Count).Where(i => Digits.Labels[i] == d).ToArray();
            return new ClassFraction(d, rows.Length, rows.Count(i => Predictions[i] == 1));
        }).ToList();

    /// <summary>Digit <paramref name="index"/> as a 28×28 array [row, column] of pixels in [0, 1].</summary>
    public float[,] Image(int index)
    {
        if ((uint)index >= (uint)Digits.Count) throw new ArgumentOutOfRangeException(nameof(index), $"eis7 cnn: image {index} is outside [0, {Digits.Count})");
        int h = Digits.Height, w = Digits.Width;
        var img = new float[h, w];
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++) img[r, c] = Digits.Images[(index * h + r) * w + c];
        return img;
    }

    /// <summary>Agreement of a candidate labelling rule (true = label 1) with the model's labels over all digits.</summary>
    public RuleAgreement TestRule(Func<float[,], bool> rule) => TestRule((img, _) => rule(img));

    /// <summary>The same for a rule that may also read the digit's MNIST class.</summary>
    public RuleAgreement TestRule(Func<float[,], int, bool> rule) => TestRule(rule, Enumerable.Range(0, Digits.Count));

    /// <summary>Agreement over the given digits only (e.g. one class).</summary>
    public RuleAgreement TestRule(Func<float[,], int, bool> rule, IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(rule);
        int b1 = 0, r1 = 0, m1 = 0, b0 = 0;
        foreach (int i in indices)
        {
            bool r = rule(Image(i), Digits.Labels[i]), m = Predictions[i] == 1;
            if (r && m) b1++; else if (r) r1++; else if (m) m1++; else b0++;
        }
        return new RuleAgreement(b1, r1, m1, b0);
    }

    /// <summary>Units of a hook: 8 channels of hook_relu1, 16 of hook_relu2, 2 logits.</summary>
    public int UnitCount(string hook) => hook switch
    {
        "hook_relu1" => Model.Config.Conv1Channels,
        "hook_relu2" => Model.Config.Conv2Channels,
        "hook_logits" => Model.Config.Classes,
        _ => throw new ArgumentException($"eis7 cnn: no units at '{hook}' (use one of {string.Join(", ", UnitHooks)})"),
    };

    /// <summary>Each digit's score for each unit of the hook, [image, unit] (see <see cref="UnitExamples"/>).</summary>
    public double[,] UnitScores(string hook)
    {
        int units = UnitCount(hook);
        if (scores.TryGetValue(hook, out var s)) return s;
        if (hook == "hook_logits")
        {
            s = new double[Digits.Count, units];
            for (int i = 0; i < Digits.Count; i++)
                for (int u = 0; u < units; u++) s[i, u] = Logits[i, u] - Logits[i, 1 - u];
        }
        else s = Run(x => Model.RunWithCache(x).Cache[hook].Max([2, 3]));
        return scores[hook] = s;
    }

    /// <summary>The <paramref name="k"/> top-scoring and the <paramref name="k"/> most confusing digits of one unit.</summary>
    public UnitExamples Examples(string hook, int unit, int k = 8)
    {
        if (unit < 0 || unit >= UnitCount(hook)) throw new ArgumentOutOfRangeException(nameof(unit), $"eis7 cnn: '{hook}' has units 0..{UnitCount(hook) - 1}, got {unit}");
        if (k < 1) throw new ArgumentException($"eis7 cnn: k must be at least 1, got {k}");
        var s = UnitScores(hook);
        var ranked = Enumerable.Range(0, Digits.Count).OrderByDescending(i => s[i, unit]).ThenBy(i => i).ToArray();
        var top = ranked.Take(k).ToArray();
        int preferred = hook == "hook_logits" ? unit : (top.Count(i => Predictions[i] == 1) * 2 >= top.Length ? 1 : 0);
        var confusing = ranked.Where(i => Predictions[i] != preferred).Take(k).ToArray();
        return new UnitExamples(hook, unit, preferred, top, top.Select(i => s[i, unit]).ToArray(), confusing, confusing.Select(i => s[i, unit]).ToArray());
    }

    /// <summary>
    /// Saliency of the label decision: input × ∂(logit 1 − logit 0)/∂input for each given digit, [n, 28, 28]. Positive
    /// pixels push towards label 1. (For a ReLU network this is the exact share of each pixel in the first-order
    /// expansion of the logit difference around 0 input.)
    /// </summary>
    public Tensor Saliency(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0) return Tensor.Zeros([0, Digits.Height, Digits.Width]);
        var (x, _) = Interp.Training.ImageClassification.Batch(Digits, indices);
        x = x.Detach();
        x.RequiresGrad = true;
        using (GradMode.EnableGrad())
        {
            var logits = Model.Forward(x);
            (logits.Select(1, 1) - logits.Select(1, 0)).Sum().Backward();
        }
        var saliency = (x.Grad! * x.Detach()).Reshape(indices.Length, Digits.Height, Digits.Width);
        foreach (var p in Model.Parameters()) p.Grad = null;   // only the input's gradient is wanted
        return saliency;
    }

    /// <summary>Images [n, 28, 28] of the given digits.</summary>
    public Tensor Images(int[] indices) =>
        Interp.Training.ImageClassification.Batch(Digits, indices).X.Reshape(indices.Length, Digits.Height, Digits.Width);

    // f over every digit in batches, rows concatenated: [image, column] as doubles
    double[,] Run(Func<Tensor, Tensor> f)
    {
        using var _ = GradMode.NoGrad();
        double[,]? result = null;
        var all = Enumerable.Range(0, Digits.Count).ToArray();
        for (int start = 0; start < Digits.Count; start += BatchSize)
        {
            var rows = all.AsSpan(start, Math.Min(BatchSize, Digits.Count - start));
            var y = f(Interp.Training.ImageClassification.Batch(Digits, rows).X);
            int cols = y.Size(1);
            result ??= new double[Digits.Count, cols];
            var v = y.To(DType.Float64).ToCpuContiguous().ToDoubleArray();
            for (int i = 0; i < rows.Length; i++)
                for (int c = 0; c < cols; c++) result[start + i, c] = v[i * cols + c];
        }
        return result ?? new double[0, 0];
    }
}
