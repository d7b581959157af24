using Interp.IO;
using System.Text;

namespace Interp.Analysis.Plot;

/// <summary>
/// A raster too large or too image-like for one SVG rectangle a cell (feature visualizations, digit grids, maps of
/// thousands of cells) as an SVG: a title, the PNG embedded unsmoothed, axis labels saying what its rows and columns
/// are, and a colour bar when its colours stand for values (<see cref="Legend"/>).
/// </summary>
public sealed class ImageFigure(string title, RgbImage image) : IFigure
{
    const double TitleHeight = 34, Left = 26;

    public string Title => title;
    public RgbImage Image => image;

    /// <summary>What runs left to right and top to bottom ("unit 0..15, left to right").</summary>
    public string XLabel { get; init; } = "";
    public string YLabel { get; init; } = "";

    /// <summary>The colour scale the pixels were drawn with, shown as a colour bar; null for none (RGB images).</summary>
    public ColorScale? Legend { get; init; }
    public string ValueLabel { get; init; } = "";

    /// <summary>Screen pixels per image pixel.</summary>
    public int Scale { get; init; } = 1;

    public void Save(string path) => AtomicFile.WriteAllText(path, ToSvg());

    public string ToSvg()
    {
        double w = image.Width * Scale, h = image.Height * Scale;
        double barX = Left + w + 18, barH = Math.Max(Math.Min(h, 240), 120);
        double width = Math.Max(Legend is null ? Left + w + 10 : barX + ColorBar.Width(Legend, ValueLabel) + 8, Svg.TextWidth(title, 14) + 20);
        double height = TitleHeight + Math.Max(h, Legend is null ? 0 : barH) + 30;
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure image\" width=\"{Svg.F(width)}\" height=\"{Svg.F(height)}\" viewBox=\"0 0 {Svg.F(width)} {Svg.F(height)}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append($"<text class=\"title\" x=\"{Svg.F(width / 2)}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{Svg.Esc(title)}</text>\n");
        svg.Append($"<image x=\"{Left}\" y=\"{TitleHeight}\" width=\"{Svg.F(w)}\" height=\"{Svg.F(h)}\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{Convert.ToBase64String(image.EncodePng())}\"/>\n");
        svg.Append($"<text class=\"axis-label\" transform=\"translate(14 {Svg.F(TitleHeight + h / 2)}) rotate(-90)\" text-anchor=\"middle\">{Svg.Esc(YLabel)}</text>\n");
        svg.Append($"<text class=\"axis-label\" x=\"{Svg.F(Left + w / 2)}\" y=\"{Svg.F(TitleHeight + h + 20)}\" text-anchor=\"middle\">{Svg.Esc(XLabel)}</text>\n");
        if (Legend is not null) ColorBar.Draw(svg, Legend, ValueLabel, barX, TitleHeight, barH);
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
