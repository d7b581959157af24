using Interp.Data;
using Interp.Training;

namespace Interp.Analysis.Neurons;

/// <summary>
/// A <see cref="HookedClassifier"/> run over every image of a dataset in batches: its logits and labels (the arg-max
/// logit), and any hook's activations. What the neuron tools measure is measured against the model's own labels.
/// </summary>
public sealed class ModelOnDataset
{
    readonly Dictionary<string, double[,]> unitValues = [];

    public ModelOnDataset(HookedClassifier model, ImageDataset data, int batchSize = 500)
    {
        if (batchSize < 1) throw new ArgumentException($"model on dataset: batch size must be at least 1, got {batchSize}");
        if (data.Count == 0) throw new ArgumentException("model on dataset: the dataset is empty");
        (Model, Data, BatchSize) = (model, data, batchSize);
        Logits = RunLogits();
        Labels = ArgMax(Logits);
    }

    public HookedClassifier Model { get; }
    public ImageDataset Data { get; }
    public int BatchSize { get; }
    public int Count => Data.Count;
    /// <summary>Logits [image, class] of the unchanged model.</summary>
    public double[,] Logits { get; }
    /// <summary>The model's label of every image: its arg-max logit.</summary>
    public int[] Labels { get; }
    public int Classes => Logits.GetLength(1);

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
        foreach (var rows in Batches()) result = Fill(result, rows, PerUnit(Model.Capture(Batch(rows), hook).Activation));
        return unitValues[hook] = result!;
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

    /// <summary>logit[plus] − logit[minus] of every image (for one logit alone, pass minus = null).</summary>
    public double[] LogitDifference(int plus, int? minus) => LogitDifference(Logits, plus, minus);

    public static double[] LogitDifference(double[,] logits, int plus, int? minus) =>
        Enumerable.Range(0, logits.GetLength(0)).Select(i => logits[i, plus] - (minus is int m ? logits[i, m] : 0)).ToArray();

    public Tensor Batch(int[] rows) => ImageClassification.Batch(Data, rows).X;

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
