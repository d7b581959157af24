namespace Interp.Analysis.Plot;

/// <summary>Colour maps: viridis for magnitudes, blue-white-red for signed values.</summary>
public static class Colormap
{
    // viridis sampled at t = 0, 1/8, ..., 1 (matplotlib's table); linear in between
    static readonly (double R, double G, double B)[] ViridisAnchors =
    [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
    ];

    /// <summary>t in [0, 1] (clamped; NaN gives grey).</summary>
    public static (byte R, byte G, byte B) Viridis(double t)
    {
        if (double.IsNaN(t)) return (128, 128, 128);
        t = Math.Clamp(t, 0, 1) * (ViridisAnchors.Length - 1);
        int i = Math.Min((int)t, ViridisAnchors.Length - 2);
        double f = t - i;
        var (a, b) = (ViridisAnchors[i], ViridisAnchors[i + 1]);
        return (Mix(a.R, b.R, f), Mix(a.G, b.G, f), Mix(a.B, b.B, f));
    }

    /// <summary>t in [-1, 1] (clamped; NaN gives grey): -1 blue (33, 102, 172), 0 white, +1 red (178, 24, 43), as RdBu.</summary>
    public static (byte R, byte G, byte B) Diverging(double t)
    {
        if (double.IsNaN(t)) return (128, 128, 128);
        t = Math.Clamp(t, -1, 1);
        var end = t < 0 ? (R: 33.0, G: 102.0, B: 172.0) : (R: 178.0, G: 24.0, B: 43.0);
        double f = Math.Abs(t);
        return (Mix(255, end.R, f), Mix(255, end.G, f), Mix(255, end.B, f));
    }

    static byte Mix(double a, double b, double f) => (byte)Math.Round(a + (b - a) * f);
}
