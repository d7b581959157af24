using Interp.Autograd;
using Interp.Data;
using Interp.Training;

namespace Interp.Analysis.FeatureViz;

/// <summary>A channel's (or feature's) best dataset examples: their row indices and activations, highest first.</summary>
public sealed record TopExamples(int Channel, int[] Rows, double[] Values);

/// <summary>
/// The dataset examples that activate each channel of a layer most — the usual companion of a feature visualization.
/// An example's score is the channel's mean over positions (for a dense layer the feature itself), which is exactly
/// <see cref="Objective.Channel"/> on that one image, so the two are comparable.
/// </summary>
public static class TopActivating
{
    /// <param name="device">where the model runs (the batches are moved there)</param>
    public static TopExamples[] Find(Func<Tensor, Activations> model, ImageDataset data, string layer, int k = 8, int batchSize = 500, Device? device = null)
    {
        if (k <= 0 || batchSize <= 0) throw new ArgumentException($"top activating: k and batch size must be positive, got {k} and {batchSize}");
        if (data.Count == 0) throw new ArgumentException("top activating: the dataset is empty");
        using var _ = GradMode.NoGrad();
        var all = Enumerable.Range(0, data.Count).ToArray();
        double[][]? scores = null;   // [channel][row]
        for (int start = 0; start < data.Count; start += batchSize)
        {
            var rows = all.AsSpan(start, Math.Min(batchSize, data.Count - start));
            var x = ImageClassification.Batch(data, rows).X;
            var a = model(device is { } d ? x.To(d) : x)(layer);
            if (a.Rank is not (2 or 4)) throw new ArgumentException($"top activating: {layer} must be [N, C, H, W] or [N, F], got {ShapeUtil.Format(a.ShapeArray)}");
            var perChannel = (a.Rank == 4 ? a.Mean([2, 3]) : a).ToDoubleArrayOf();
            int c = a.Size(1);
            scores ??= Enumerable.Range(0, c).Select(_ => new double[data.Count]).ToArray();
            for (int i = 0; i < rows.Length; i++)
                for (int ch = 0; ch < c; ch++) scores[ch][start + i] = perChannel[i * c + ch];
        }
        return scores!.Select((s, ch) =>
        {
            var best = Enumerable.Range(0, s.Length).OrderByDescending(i => s[i]).ThenBy(i => i).Take(k).ToArray();
            return new TopExamples(ch, best, best.Select(i => s[i]).ToArray());
        }).ToArray();
    }

    /// <summary>The images of some rows, [n, 1, H, W].</summary>
    public static Tensor Images(ImageDataset data, IReadOnlyList<int> rows) => ImageClassification.Batch(data, rows.ToArray()).X;

    static double[] ToDoubleArrayOf(this Tensor t) => t.To(DType.Float64).ToDoubleArray();
}
