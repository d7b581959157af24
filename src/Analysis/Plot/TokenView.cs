using System.Text;

namespace Interp.Analysis.Plot;

/// <summary>
/// Text coloured token by token by any per-token value (a feature's activation, a patching effect, the loss), with the
/// exact value on hover and a colour bar: one line per sequence, for an HTML report.
/// </summary>
public sealed class TokenView
{
    readonly IReadOnlyList<IReadOnlyList<string>> lines;
    readonly IReadOnlyList<IReadOnlyList<double>> values;

    public TokenView(string title, IReadOnlyList<IReadOnlyList<string>> tokens, IReadOnlyList<IReadOnlyList<double>> values)
    {
        if (tokens.Count != values.Count || tokens.Zip(values).Any(p => p.First.Count != p.Second.Count))
            throw new ArgumentException($"TokenView '{title}': every line needs one value per token");
        Title = title;
        lines = tokens;
        this.values = values;
    }

    public TokenView(string title, IReadOnlyList<string> tokens, IReadOnlyList<double> values) : this(title, [tokens], [values]) { }

    public string Title { get; }

    /// <summary>Default: <see cref="ColorScale.For"/> the values (diverging when they have both signs).</summary>
    public ColorScale? Scale { get; init; }
    public string ValueLabel { get; init; } = "";

    public string ToHtml()
    {
        var scale = Scale ?? ColorScale.For(values.SelectMany(v => v));
        var html = new StringBuilder($"<div class=\"token-view\"><div class=\"tv-title\">{Svg.Esc(Title)}</div><div class=\"tv-body\"><div class=\"tv-text\">\n");
        for (int line = 0; line < lines.Count; line++)
        {
            html.Append("<div class=\"tv-line\">");
            for (int i = 0; i < lines[line].Count; i++)
            {
                var c = scale.Color(values[line][i]);
                string ink = 0.299 * c.R + 0.587 * c.G + 0.114 * c.B < 140 ? "#fff" : "#000";
                string tip = $"{i} '{lines[line][i]}': {Svg.Value(values[line][i])}";
                html.Append($"<span class=\"tok\" style=\"background:{Svg.Hex(c)};color:{ink}\" data-tip=\"{Svg.Esc(tip)}\">{Svg.Esc(lines[line][i])}</span>");
            }
            html.Append("</div>\n");
        }
        html.Append("</div>");
        html.Append(ColorBarSvg(scale));
        html.Append("</div></div>\n");
        return html.ToString();
    }

    string ColorBarSvg(ColorScale scale)
    {
        const double height = 72;
        double width = ColorBar.Width(scale, ValueLabel) + 4;
        var svg = new StringBuilder($"<svg class=\"tv-bar\" width=\"{Svg.F(width)}\" height=\"{height + 12}\" font-family=\"sans-serif\" font-size=\"12\">");
        ColorBar.Draw(svg, scale, ValueLabel, 2, 6, height);
        return svg.Append("</svg>").ToString();
    }
}
