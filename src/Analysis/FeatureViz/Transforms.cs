namespace Interp.Analysis.FeatureViz;

/// <summary>
/// A random, differentiable change of an image batch [N, C, H, W] applied before every forward pass of the
/// optimisation (Lucid's transforms): a feature visualization must survive it, which removes adversarial
/// high-frequency patterns. One draw per step is shared by the whole batch, as in Lucid.
/// </summary>
public interface IImageTransform
{
    Tensor Apply(Tensor images, Generator gen);
}

/// <summary>Shifts the content by whole pixels drawn uniformly from [−max, max] on each axis (Lucid's jitter, keeping the size).</summary>
public sealed class Jitter(int maxShift, double fill = 0) : IImageTransform
{
    public int MaxShift { get; } = maxShift >= 0 ? maxShift : throw new ArgumentException($"jitter: max shift must be ≥ 0, got {maxShift}");

    public Tensor Apply(Tensor images, Generator gen)
    {
        int dy = gen.NextInt(2 * MaxShift + 1) - MaxShift, dx = gen.NextInt(2 * MaxShift + 1) - MaxShift;
        return dy == 0 && dx == 0 ? images : Resample.Shift(images, dy, dx, fill);
    }

    public override string ToString() => $"jitter({MaxShift})";
}

/// <summary>Scales the content by a factor drawn from a list (Lucid's random_scale), bilinear.</summary>
public sealed class RandomScale(IReadOnlyList<double> factors, double fill = 0) : IImageTransform
{
    public IReadOnlyList<double> Factors { get; } = factors.Count > 0 && factors.All(f => f > 0 && double.IsFinite(f))
        ? factors : throw new ArgumentException($"random scale: factors must be a non-empty list of positive numbers, got [{string.Join(", ", factors)}]");

    public Tensor Apply(Tensor images, Generator gen)
    {
        double s = Factors[gen.NextInt(Factors.Count)];
        return s == 1 ? images : Resample.Scale(images, s, fill);
    }

    public override string ToString() => $"scale({Factors.Min():0.##}..{Factors.Max():0.##})";
}

/// <summary>Rotates the content by an angle in degrees drawn from a list (Lucid's random_rotate), bilinear.</summary>
public sealed class RandomRotate(IReadOnlyList<double> degrees, double fill = 0) : IImageTransform
{
    public IReadOnlyList<double> Degrees { get; } = degrees.Count > 0 && degrees.All(double.IsFinite)
        ? degrees : throw new ArgumentException($"random rotate: angles must be a non-empty list of finite numbers, got [{string.Join(", ", degrees)}]");

    public Tensor Apply(Tensor images, Generator gen)
    {
        double a = Degrees[gen.NextInt(Degrees.Count)];
        return a == 0 ? images : Resample.Rotate(images, a, fill);
    }

    public override string ToString() => $"rotate({Degrees.Min():0.#}°..{Degrees.Max():0.#}°)";
}

/// <summary>Ready-made transform lists.</summary>
public static class Transforms
{
    /// <summary>
    /// Lucid's standard_transforms (jitter 8, scale 0.9–1.1 in steps of 0.02, rotate −10°..10° with extra weight on 0°,
    /// jitter 4) for 224-pixel images, with the jitters scaled to the image size (for 28 pixels: 1 and 1 pixel).
    /// </summary>
    public static IReadOnlyList<IImageTransform> Standard(int imageSize, double fill = 0)
    {
        int big = Math.Max(1, (int)Math.Round(8.0 * imageSize / 224)), small = Math.Max(1, (int)Math.Round(4.0 * imageSize / 224));
        var scales = Enumerable.Range(0, 11).Select(i => 1 + (i - 5) / 50.0).ToArray();
        var angles = Enumerable.Range(-10, 21).Select(a => (double)a).Concat(Enumerable.Repeat(0.0, 5)).ToArray();
        return [new Jitter(big, fill), new RandomScale(scales, fill), new RandomRotate(angles, fill), new Jitter(small, fill)];
    }

    /// <summary>Applies the transforms in order.</summary>
    public static Tensor ApplyAll(IEnumerable<IImageTransform> transforms, Tensor images, Generator gen)
    {
        foreach (var t in transforms) images = t.Apply(images, gen);
        return images;
    }
}
