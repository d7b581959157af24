using Interp.Data;
using Xunit;

namespace Interp.Tests;

/// <summary>The real MNIST digits of ../shared/data, loaded once per test run, and small class-balanced subsets of them.</summary>
public static class Digits
{
    static readonly Lazy<ImageDataset> all = new(() =>
    {
        Assert.True(Mnist.IsAvailable, "../shared/data/mnist not found");
        return Mnist.Load10k();
    });

    public static ImageDataset All => all.Value;

    /// <summary>Every <paramref name="stride"/>-th digit (the set is grouped by class, so each class keeps its share).</summary>
    public static ImageDataset Every(int stride)
    {
        var data = All;
        var rows = Enumerable.Range(0, data.Count).Where(i => i % stride == 0).ToArray();
        int size = data.Height * data.Width;
        var images = rows.SelectMany(i => data.Images.AsSpan(i * size, size).ToArray()).ToArray();
        return new ImageDataset(images, rows.Select(i => data.Labels[i]).ToArray(), data.Height, data.Width);
    }

    /// <summary>A dataset of hand-made images [n][h·w] with the given labels.</summary>
    public static ImageDataset Of(float[][] images, int[] labels, int height, int width) =>
        new(images.SelectMany(i => i).ToArray(), labels, height, width);
}
