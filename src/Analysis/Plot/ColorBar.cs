using System.Text;

namespace Interp.Analysis.Plot;

/// <summary>A vertical colour bar: the scale's colours bottom (Min) to top (Max), its tick values and a label.</summary>
static class ColorBar
{
    public const int BarWidth = 14;
    const int Steps = 48;

    /// <summary>The width the bar, its tick labels and its label take.</summary>
    public static double Width(ColorScale scale, string label) =>
        BarWidth + 6 + scale.Ticks().Max(t => Svg.TextWidth(Svg.Value(t))) + (label.Length > 0 ? 22 : 4);

    public static void Draw(StringBuilder svg, ColorScale scale, string label, double x, double y, double height)
    {
        svg.Append($"<g class=\"colorbar\">");
        double step = height / Steps;
        for (int i = 0; i < Steps; i++)   // stacked rectangles rather than a gradient: no ids to clash between inline figures
        {
            double value = scale.Min + (scale.Max - scale.Min) * (i + 0.5) / Steps;
            svg.Append($"<rect x=\"{Svg.F(x)}\" y=\"{Svg.F(y + height - (i + 1) * step)}\" width=\"{BarWidth}\" height=\"{Svg.F(step + 0.5)}\" fill=\"{Svg.Hex(scale.Color(value))}\"/>");
        }
        svg.Append($"<rect x=\"{Svg.F(x)}\" y=\"{Svg.F(y)}\" width=\"{BarWidth}\" height=\"{Svg.F(height)}\" fill=\"none\" stroke=\"#333\"/>\n");
        foreach (double t in scale.Ticks())
        {
            double ty = y + height - (t - scale.Min) / (scale.Max - scale.Min) * height;
            svg.Append($"<line x1=\"{Svg.F(x + BarWidth)}\" y1=\"{Svg.F(ty)}\" x2=\"{Svg.F(x + BarWidth + 4)}\" y2=\"{Svg.F(ty)}\" stroke=\"#333\"/>");
            svg.Append($"<text x=\"{Svg.F(x + BarWidth + 6)}\" y=\"{Svg.F(ty)}\" dominant-baseline=\"middle\">{Svg.Value(t)}</text>\n");
        }
        if (label.Length > 0)
        {
            double lx = x + Width(scale, label) - 6;
            svg.Append($"<text transform=\"translate({Svg.F(lx)} {Svg.F(y + height / 2)}) rotate(-90)\" text-anchor=\"middle\">{Svg.Esc(label)}</text>\n");
        }
        svg.Append("</g>\n");
    }
}
