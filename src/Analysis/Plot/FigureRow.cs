using Interp.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace Interp.Analysis.Plot;

/// <summary>Several figures side by side in one SVG file (e.g. the three head-score tables), each keeping its own title, axes and colour bar.</summary>
public sealed partial class FigureRow(string title, IReadOnlyList<IFigure> figures) : IFigure
{
    const double Gap = 12, TitleHeight = 30;

    public string Title => title;
    public IReadOnlyList<IFigure> Figures => figures;

    public void Save(string path) => AtomicFile.WriteAllText(path, ToSvg());

    public string ToSvg()
    {
        var panels = figures.Select(f => f.ToSvg()).ToList();
        var sizes = panels.Select(Size).ToList();
        double width = Math.Max(sizes.Sum(s => s.W) + Gap * (panels.Count - 1), Svg.TextWidth(title, 15) + 20);
        double height = TitleHeight + sizes.DefaultIfEmpty((0, 0)).Max(s => s.H);
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure row\" width=\"{Svg.F(width)}\" height=\"{Svg.F(height)}\" viewBox=\"0 0 {Svg.F(width)} {Svg.F(height)}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append($"<text class=\"title\" x=\"{Svg.F(width / 2)}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{Svg.Esc(title)}</text>\n");
        double x = 0;
        for (int i = 0; i < panels.Count; i++)
        {
            // a nested <svg> placed at (x, TitleHeight): the panel's own root element, moved
            svg.Append(RootTag().Replace(panels[i], $"<svg x=\"{Svg.F(x)}\" y=\"{TitleHeight}\" ", 1));
            x += sizes[i].W + Gap;
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    // the size a figure wrote on its root element
    static (double W, double H) Size(string svg)
    {
        var m = RootSize().Match(svg);
        if (!m.Success) throw new InvalidOperationException("FigureRow: a panel's SVG has no width and height on its root element");
        return (double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^<svg ")]
    private static partial Regex RootTag();

    [GeneratedRegex(@"^<svg [^>]*?width=""([0-9.]+)"" height=""([0-9.]+)""")]
    private static partial Regex RootSize();
}
