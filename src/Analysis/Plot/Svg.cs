using System.Globalization;
using System.Net;

namespace Interp.Analysis.Plot;

/// <summary>Text helpers shared by the SVG figures: coordinates, value labels and escaping.</summary>
static class Svg
{
    /// <summary>A coordinate, at most two decimals, invariant culture.</summary>
    public static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A value as a reader sees it: four significant digits, scientific only when very large or small.</summary>
    public static string Value(double v) => double.IsNaN(v) ? "NaN"
        : Math.Abs(v) >= 1e5 || (v != 0 && Math.Abs(v) < 1e-3) ? v.ToString("0.###e0", CultureInfo.InvariantCulture)
        : v.ToString("0.####", CultureInfo.InvariantCulture);

    public static string Esc(string s) => WebUtility.HtmlEncode(s);

    /// <summary>Rough width of a label in pixels at <paramref name="fontSize"/> (sans-serif averages about 0.6 em a character).</summary>
    public static double TextWidth(string s, double fontSize = 12) => s.Length * fontSize * 0.6;

    public static string Hex((byte R, byte G, byte B) c) => $"#{c.R:x2}{c.G:x2}{c.B:x2}";
}
