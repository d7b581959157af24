using Interp.Data;
using Interp.Training;

namespace Interp.Analysis.Neurons;

/// <summary>
/// A <see cref="HookedClassifier"/> run over every input of a dataset in batches — images, or token sequences for a
/// transformer — its logits and labels (the arg-max logit), and any hook's activations. What the neuron tools measure
/// is measured against the model's own labels. The metric is logit[plus] − logit[minus]; plus = <see cref="Answer"/>
/// takes each input's own answer (its class, or the token that should come next at the position).
/// </summary>
public sealed class ModelOnDataset
{
    /// <summary>As the plus logit of a metric: each input's <see cref="Answers"/> entry.</summary>
    public const int Answer = -1;

    readonly Dictionary<string, double[,]> unitValues = [];
    readonly ImageDataset? images;
    readonly int[]? tokens;
    readonly int sequenceLength;

    public ModelOnDataset(HookedClassifier model, ImageDataset data, int batchSize = 500)
    {
        CheckBatch(batchSize);
        if (data.Count == 0) throw new ArgumentException("model on dataset: the dataset is empty");
        (Model, images, BatchSize, Count, Answers) = (model, data, batchSize, data.Count, data.Labels);
        Logits = RunLogits();
        CheckFinite(Logits);
        Labels = ArgMax(Logits);
    }

    /// <param name="tokens">int32 [sequences, pos]</param>
    /// <param name="answers">each sequence's answer token at the model's position (null when there is none)</param>
    public ModelOnDataset(HookedClassifier model, Tensor tokens, int[]? answers, int batchSize = 500)
    {
        CheckBatch(batchSize);
        if (tokens.DType != DType.Int32 || tokens.Rank != 2 || tokens.Numel == 0)
            throw new ArgumentException($"model on dataset: tokens must be a non-empty int32 [sequences, pos], got {tokens.DType.Name()} {ShapeUtil.Format(tokens.ShapeArray)}");
        if (answers is not null && answers.Length != tokens.Size(0))
            throw new ArgumentException($"model on dataset: {answers.Length} answers for {tokens.Size(0)} sequences");
        (Model, this.tokens, sequenceLength, BatchSize, Count, Answers) = (model, tokens.ToIntArray(), tokens.Size(1), batchSize, tokens.Size(0), answers);
        Logits = RunLogits();
        CheckFinite(Logits);
        Labels = ArgMax(Logits);
        if (answers?.FirstOrDefault(a => (uint)a >= (uint)Classes, -1) is int bad and >= 0)
            throw new ArgumentException($"model on dataset: answer {bad} is outside the model's {Classes} logits");
    }

    /// <summary>NaN or infinite logits (from NaN weights, say) would make every number computed from them NaN: refused, naming the first.</summary>
    void CheckFinite(double[,] logits)
    {
        for (int i = 0; i < logits.GetLength(0); i++)
            for (int c = 0; c < logits.GetLength(1); c++)
                if (!double.IsFinite(logits[i, c]))
                    throw new ArgumentException($"model on dataset: {Model.Name}'s logit {c} of {InputName[..^1]} {i} is {logits[i, c]}: " +
                                                "the model's weights or its inputs are not finite, so nothing computed from its activations would mean anything");
    }

    static void CheckBatch(int batchSize)
    {
        if (batchSize < 1) throw new ArgumentException($"model on dataset: batch size must be at least 1, got {batchSize}");
    }

    public HookedClassifier Model { get; }
    /// <summary>The images (for a model that runs on images).</summary>
    public ImageDataset Data => images ?? throw new InvalidOperationException($"{Model.Name}: this tool needs images, and the model runs on token sequences");
    public bool OnImages => images is not null;
    public int BatchSize { get; }
    public int Count { get; }
    /// <summary>Each input's answer: an image's class, a sequence's expected token; null when the inputs have none.</summary>
    public int[]? Answers { get; }
    /// <summary>Logits [input, class] of the unchanged model.</summary>
    public double[,] Logits { get; }
    /// <summary>The model's label of every input: its arg-max logit.</summary>
    public int[] Labels { get; }
    public int Classes => Logits.GetLength(1);
    /// <summary>"images" or "sequences", for messages.</summary>
    public string InputName => OnImages ? "images" : "sequences";

    /// <summary>Logits [image, class] with hooks that may depend on the batch's rows (e.g. resampling from other images).</summary>
    public double[,] RunLogits(Func<int[], HookEdits>? editsFor = null)
    {
        double[,]? result = null;
        foreach (var rows in Batches())
        {
            var logits = Model.Forward(Batch(rows), editsFor?.Invoke(rows));
            result = Fill(result, rows, logits);
        }
        return result!;
    }

    /// <summary>
    /// Each image's value of each unit of a hook, [image, unit]: a dense hook's features themselves, a convolutional
    /// hook's channels at their largest over the image.
    /// </summary>
    public double[,] UnitValues(string hook)
    {
        Model.CheckHooks([hook]);
        if (unitValues.TryGetValue(hook, out var v)) return v;
        double[,]? result = null;
        foreach (var rows in Batches()) result = Fill(result, rows, Model.PerUnit(Model.AtPosition(hook, Model.Capture(Batch(rows), hook).Activation)));
        return unitValues[hook] = result!;
    }

    /// <summary>Each input's activation of a hook where its units are measured (a transformer's position), [input, units·width].</summary>
    public double[,] UnitVectors(string hook)
    {
        Model.CheckHooks([hook]);
        double[,]? result = null;
        foreach (var rows in Batches())
        {
            var a = Model.AtPosition(hook, Model.Capture(Batch(rows), hook).Activation);
            result = Fill(result, rows, a.Reshape(a.Size(0), -1));
        }
        return result!;
    }

    /// <summary>The full activation of a hook for the given rows, flattened to [rows, features].</summary>
    public double[,] Flat(string hook, int[] rows)
    {
        var a = Model.Capture(Batch(rows), hook).Activation;
        return ToRows(a.Reshape(a.Size(0), -1));
    }

    /// <summary>The mean over the dataset of a hook's activation, one image's shape (e.g. [C, H, W]).</summary>
    public Tensor MeanActivation(string hook)
    {
        Tensor? sum = null;
        foreach (var rows in Batches())
        {
            var a = Model.Capture(Batch(rows), hook).Activation.To(DType.Float64).Sum(0);
            sum = sum is null ? a : sum + a;
        }
        return sum! / Count;
    }

    /// <summary>logit[plus] − logit[minus] of every input (for one logit alone, pass minus = null; plus = <see cref="Answer"/>: each input's answer).</summary>
    public double[] LogitDifference(int plus, int? minus) => LogitDifference(Logits, plus, minus);

    public double[] LogitDifference(double[,] logits, int plus, int? minus)
    {
        var p = PlusOf(plus);
        return Enumerable.Range(0, logits.GetLength(0)).Select(i => logits[i, p[i]] - (minus is int m ? logits[i, m] : 0)).ToArray();
    }

    /// <summary>The plus logit of each input: <paramref name="plus"/> itself, or each input's answer for <see cref="Answer"/>.</summary>
    public int[] PlusOf(int plus)
    {
        if (plus != Answer) return Enumerable.Repeat(plus, Count).ToArray();
        return Answers ?? throw new ArgumentException($"metric: the {InputName} have no answers; name a logit instead");
    }

    /// <summary>"logit 1 − logit 0", "logit of the answer", ...</summary>
    public static string MetricName(int plus, int? minus) =>
        (plus == Answer ? "logit of the answer" : $"logit {plus}") + (minus is int m ? $" − logit {m}" : "");

    public Tensor Batch(int[] rows)
    {
        if (images is not null) return ImageClassification.Batch(images, rows).X;
        var ids = new int[rows.Length * sequenceLength];
        for (int k = 0; k < rows.Length; k++) tokens.AsSpan(rows[k] * sequenceLength, sequenceLength).CopyTo(ids.AsSpan(k * sequenceLength));
        return Tensor.FromArray(ids, [rows.Length, sequenceLength]);
    }

    public IEnumerable<int[]> Batches()
    {
        for (int start = 0; start < Count; start += BatchSize)
            yield return Enumerable.Range(start, Math.Min(BatchSize, Count - start)).ToArray();
    }

    public static int[] ArgMax(double[,] logits)
    {
        int n = logits.GetLength(0), c = logits.GetLength(1);
        var labels = new int[n];
        for (int i = 0; i < n; i++)
            for (int k = 1; k < c; k++)
                if (logits[i, k] > logits[i, labels[i]]) labels[i] = k;
        return labels;
    }

    /// <summary>[n, units]: rank 2 as is, rank 4 [n, C, H, W] the maximum over H and W.</summary>
    public static Tensor PerUnit(Tensor a) => a.Rank switch
    {
        2 => a,
        4 => a.Max([2, 3]),
        3 => a.Max([2]),
        _ => throw new ArgumentException($"neurons: expected an activation [n, units] or [n, C, H, W], got {ShapeUtil.Format(a.ShapeArray)}"),
    };

    public static double[,] ToRows(Tensor t2)
    {
        int n = t2.Size(0), c = t2.Size(1);
        var v = t2.To(DType.Float64).ToCpuContiguous().ToDoubleArray();
        var r = new double[n, c];
        Buffer.BlockCopy(v, 0, r, 0, v.Length * sizeof(double));
        return r;
    }

    // rows of one batch into the whole-dataset table, allocated on the first batch
    double[,] Fill(double[,]? result, int[] rows, Tensor t2)
    {
        var part = ToRows(t2);
        int c = part.GetLength(1);
        result ??= new double[Count, c];
        for (int i = 0; i < rows.Length; i++)
            for (int k = 0; k < c; k++) result[rows[i], k] = part[i, k];
        return result;
    }
}
