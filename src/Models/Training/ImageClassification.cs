using Interp.Autograd;
using Interp.Data;

namespace Interp.Training;

/// <summary>Minibatches and accuracy for image classifiers.</summary>
public static class ImageClassification
{
    /// <summary>The images of <paramref name="rows"/> as [n, 1, H, W] float32 and their labels as int32 [n].</summary>
    public static (Tensor X, Tensor Labels) Batch(ImageDataset data, ReadOnlySpan<int> rows)
    {
        int pixels = data.Height * data.Width;
        var x = new float[rows.Length * pixels];
        var labels = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            data.Images.AsSpan(rows[i] * pixels, pixels).CopyTo(x.AsSpan(i * pixels));
            labels[i] = data.Labels[rows[i]];
        }
        return (Tensor.FromArray(x, [rows.Length, 1, data.Height, data.Width]), Tensor.FromArray(labels));
    }

    /// <summary>Fraction of <paramref name="data"/> whose arg-max logit is the label (no graph recorded).</summary>
    public static double Accuracy(Func<Tensor, Tensor> logits, ImageDataset data, int batchSize = 500)
    {
        using var _ = GradMode.NoGrad();
        int correct = 0;
        var all = Enumerable.Range(0, data.Count).ToArray();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            var rows = all.AsSpan(start, Math.Min(batchSize, data.Count - start));
            var predicted = logits(Batch(data, rows).X).ArgMax(1).ToIntArray();
            for (int i = 0; i < rows.Length; i++) correct += predicted[i] == data.Labels[rows[i]] ? 1 : 0;
        }
        return (double)correct / data.Count;
    }

    /// <summary>The first <paramref name="n"/> examples.</summary>
    public static ImageDataset Take(ImageDataset data, int n)
    {
        n = Math.Min(n, data.Count);
        int pixels = data.Height * data.Width;
        return new ImageDataset(data.Images[..(n * pixels)], data.Labels[..n], data.Height, data.Width);
    }
}
