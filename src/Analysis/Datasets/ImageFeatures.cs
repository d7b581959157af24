using Interp.Data;

namespace Interp.Analysis.Datasets;

/// <summary>
/// Scalar features of one image (pixels row-major, [0, 1]): ink, bounding box, centre of mass, and similarity or
/// distance to a reference image. The bounding box is that of the pixels of at least <see cref="InkLevel"/> (half
/// intensity), rows and columns counted from 0 at the top left; an empty image has the box -1.
/// </summary>
public static class ImageFeatures
{
    public const float InkLevel = 0.5f;

    /// <summary>The named features of an image alone, as the rule language spells them.</summary>
    public static readonly IReadOnlyDictionary<string, (string Meaning, Func<float[], int, int, double> Of)> Named =
        new Dictionary<string, (string, Func<float[], int, int, double>)>
        {
            ["ink"] = ("mean pixel value (0 blank .. 1 all white)", (p, _, _) => p.Average(v => (double)v)),
            ["top"] = ("first row with a pixel ≥ 0.5", (p, h, w) => Box(p, h, w).Top),
            ["bottom"] = ("last row with a pixel ≥ 0.5", (p, h, w) => Box(p, h, w).Bottom),
            ["left"] = ("first column with a pixel ≥ 0.5", (p, h, w) => Box(p, h, w).Left),
            ["right"] = ("last column with a pixel ≥ 0.5", (p, h, w) => Box(p, h, w).Right),
            ["height"] = ("bottom − top + 1", (p, h, w) => Box(p, h, w) is var b && b.Top < 0 ? 0 : b.Bottom - b.Top + 1),
            ["width"] = ("right − left + 1", (p, h, w) => Box(p, h, w) is var b && b.Left < 0 ? 0 : b.Right - b.Left + 1),
            ["row"] = ("centre of mass: ink-weighted mean row", (p, h, w) => CentreOfMass(p, h, w).Row),
            ["col"] = ("centre of mass: ink-weighted mean column", (p, h, w) => CentreOfMass(p, h, w).Col),
        };

    /// <summary>The ways to compare an image x with a reference r.</summary>
    public static readonly IReadOnlyDictionary<string, (string Meaning, Func<float[], float[], double> Of)> Comparisons =
        new Dictionary<string, (string, Func<float[], float[], double>)>
        {
            ["dot"] = ("Σ x·r", Dot),
            ["cos"] = ("Σ x·r / (‖x‖ ‖r‖)", (x, r) => Dot(x, r) / Math.Max(1e-12, Math.Sqrt(Dot(x, x) * Dot(r, r)))),
            ["l1"] = ("Σ |x − r|", (x, r) => Sum(x, r, d => Math.Abs(d))),
            ["l2"] = ("√Σ (x − r)²", (x, r) => Math.Sqrt(Sum(x, r, d => d * d))),
        };

    /// <summary>A named feature of every image of the dataset.</summary>
    public static double[] Compute(ImageDataset data, string name)
    {
        if (!Named.TryGetValue(name, out var f))
            throw new ArgumentException($"image features: no feature '{name}' (features: {string.Join(", ", Named.Keys)})");
        return Enumerable.Range(0, data.Count).Select(i => f.Of(Pixels(data, i), data.Height, data.Width)).ToArray();
    }

    /// <summary>A comparison of every image of the dataset with a reference image.</summary>
    public static double[] Compare(ImageDataset data, string comparison, float[] reference)
    {
        if (!Comparisons.TryGetValue(comparison, out var f))
            throw new ArgumentException($"image features: no comparison '{comparison}' (comparisons: {string.Join(", ", Comparisons.Keys)})");
        if (reference.Length != data.Height * data.Width)
            throw new ArgumentException($"image features: the reference has {reference.Length} pixels, the images {data.Height * data.Width}");
        return Enumerable.Range(0, data.Count).Select(i => f.Of(Pixels(data, i), reference)).ToArray();
    }

    /// <summary>Image <paramref name="index"/>'s pixels, row-major.</summary>
    public static float[] Pixels(ImageDataset data, int index)
    {
        if ((uint)index >= (uint)data.Count) throw new ArgumentOutOfRangeException(nameof(index), $"image {index} is outside [0, {data.Count})");
        int size = data.Height * data.Width;
        return data.Images.AsSpan(index * size, size).ToArray();
    }

    public static (int Top, int Bottom, int Left, int Right) Box(float[] p, int h, int w)
    {
        int top = -1, bottom = -1, left = -1, right = -1;
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
            {
                if (p[r * w + c] < InkLevel) continue;
                if (top < 0) top = r;
                bottom = r;
                left = left < 0 ? c : Math.Min(left, c);
                right = Math.Max(right, c);
            }
        return (top, bottom, left, right);
    }

    /// <summary>(Σ p·row / Σ p, Σ p·col / Σ p); the image centre when blank.</summary>
    public static (double Row, double Col) CentreOfMass(float[] p, int h, int w)
    {
        double mass = 0, row = 0, col = 0;
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
            {
                double v = p[r * w + c];
                mass += v; row += v * r; col += v * c;
            }
        return mass > 0 ? (row / mass, col / mass) : ((h - 1) / 2.0, (w - 1) / 2.0);
    }

    static double Dot(float[] x, float[] r)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += (double)x[i] * r[i];
        return s;
    }

    static double Sum(float[] x, float[] r, Func<double, double> f)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += f((double)x[i] - r[i]);
        return s;
    }
}
