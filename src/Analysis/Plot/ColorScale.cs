namespace Interp.Analysis.Plot;

/// <summary>
/// How a value becomes a colour. Diverging (signed quantities: patching effects, attributions, logit differences):
/// blue below 0, white at 0, red above, symmetric around 0 so white always means zero. Sequential (non-negative
/// quantities: attention, scores, densities): viridis from <see cref="Min"/> to <see cref="Max"/>. Grey: black to white,
/// the legend of images (pixel intensities).
/// </summary>
public sealed record ColorScale(ColorScale.Kind Map, double Min, double Max)
{
    public enum Kind { Sequential, Diverging, Grey }

    public bool Diverging => Map == Kind.Diverging;

    /// <summary>A diverging scale on [-bound, bound]; a non-positive bound becomes 1.</summary>
    public static ColorScale Signed(double bound) => new(Kind.Diverging, -Positive(bound), Positive(bound));

    public static ColorScale Sequential(double min, double max) => new(Kind.Sequential, min, max > min ? max : min + 1);

    public static ColorScale Grey(double min, double max) => new(Kind.Grey, min, max > min ? max : min + 1);

    /// <summary>Diverging on the largest |value| when <paramref name="signed"/> (or, when null, when the values have both signs); else viridis on their range.</summary>
    public static ColorScale For(IEnumerable<double> values, bool? signed = null)
    {
        var finite = values.Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double lo = finite.Min(), hi = finite.Max();
        return signed ?? (lo < 0 && hi > 0) ? Signed(Math.Max(Math.Abs(lo), Math.Abs(hi))) : Sequential(lo, hi);
    }

    /// <summary>The colour of <paramref name="value"/>, clamped to the scale; NaN is grey.</summary>
    public (byte R, byte G, byte B) Color(double value) => Map switch
    {
        Kind.Diverging => Colormap.Diverging(value / Max),
        Kind.Grey => GreyLevel((value - Min) / (Max - Min)),
        _ => Colormap.Viridis((value - Min) / (Max - Min)),
    };

    static (byte, byte, byte) GreyLevel(double t)
    {
        if (double.IsNaN(t)) return (128, 128, 128);
        byte g = (byte)Math.Round(255 * Math.Clamp(t, 0, 1));
        return (g, g, g);
    }

    /// <summary>About five round values inside [Min, Max] for the colour bar; a diverging scale's include 0.</summary>
    public double[] Ticks()
    {
        var ticks = LinePlot.NiceTicks(Min, Max).Where(t => t >= Min - 1e-9 * (Max - Min) && t <= Max + 1e-9 * (Max - Min)).ToList();
        if (ticks.Count < 2) ticks = [Min, Max];
        return [.. ticks];
    }

    static double Positive(double bound) => bound > 0 && double.IsFinite(bound) ? bound : 1;
}
