using Interp.Analysis.Datasets;
using Interp.Data;

namespace Interp.Analysis.Rules;

/// <summary>
/// The images a rule is evaluated on, with every feature and comparison computed once over all of them: a rule is
/// evaluated a column at a time (one value per image), not image by image.
/// </summary>
public sealed class RuleData(ImageDataset data)
{
    /// <summary>The name of the image being judged in a comparison, e.g. <c>l1(img, digit:12)</c>.</summary>
    public const string ThisImage = "img";

    /// <summary>The dataset's own class label of each image (for MNIST, the digit).</summary>
    public const string ClassFeature = "class";

    readonly Dictionary<string, double[]> cache = [];

    public ImageDataset Data { get; } = data;
    public int Count => Data.Count;

    public static IEnumerable<string> FeatureNames => ImageFeatures.Named.Keys.Append(ClassFeature);

    public double[] Feature(string name) => Cached(name, () => name == ClassFeature
        ? Data.Labels.Select(l => (double)l).ToArray()
        : ImageFeatures.Compute(Data, name));

    /// <summary>A comparison of two images, each <see cref="ThisImage"/> or a reference (digit:N, mean:C, file:PATH).</summary>
    public double[] Compare(string comparison, string a, string b) => Cached($"{comparison}({a}, {b})", () =>
    {
        if (a != ThisImage && b == ThisImage) (a, b) = (b, a);   // every comparison is symmetric
        if (a == ThisImage && b == ThisImage) return Enumerable.Range(0, Count).Select(i =>
            ImageFeatures.Comparisons[comparison].Of(ImageFeatures.Pixels(Data, i), ImageFeatures.Pixels(Data, i))).ToArray();
        if (a == ThisImage) return ImageFeatures.Compare(Data, comparison, ReferenceImage.Resolve(b, Data));
        double constant = ImageFeatures.Comparisons[comparison].Of(ReferenceImage.Resolve(a, Data), ReferenceImage.Resolve(b, Data));
        return Enumerable.Repeat(constant, Count).ToArray();
    });

    /// <summary>Pixel (row, col) of every image.</summary>
    public double[] Pixel(int row, int col)
    {
        if ((uint)row >= (uint)Data.Height || (uint)col >= (uint)Data.Width)
            throw new ArgumentException($"px({row}, {col}) is outside the {Data.Height}x{Data.Width} image");
        int size = Data.Height * Data.Width;
        return Cached($"px({row},{col})", () => Enumerable.Range(0, Count).Select(i => (double)Data.Images[i * size + row * Data.Width + col]).ToArray());
    }

    double[] Cached(string key, Func<double[]> compute)
    {
        if (!cache.TryGetValue(key, out var v)) cache[key] = v = compute();
        return v;
    }
}
