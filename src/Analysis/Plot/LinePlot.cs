using Interp.IO;
using System.Globalization;
using System.Net;
using System.Text;

namespace Interp.Analysis.Plot;

/// <summary>
/// A line / scatter plot as a self-contained SVG (no scripts, generic font families): axes with "nice" ticks,
/// optional log-scale y, a legend, and each point's values on hover (an SVG &lt;title&gt;). Built fluently: <c>new LinePlot("loss", "step", "loss").Line("train", ys).Save(path)</c>.
/// </summary>
public sealed class LinePlot(string title = "", string xLabel = "", string yLabel = "") : IFigure
{
    public string Title => title;

    string IFigure.ToSvg() => ToSvg();

    sealed record Series(string Name, double[] X, double[] Y, bool Dashed, bool Markers);

    static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
    readonly List<Series> series = [];
    bool logY;

    public LinePlot Line(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, bool dashed = false) => Add(name, x, y, dashed, false);

    public LinePlot Line(string name, IReadOnlyList<double> y) => Add(name, Enumerable.Range(0, y.Count).Select(i => (double)i).ToArray(), y, false, false);

    public LinePlot Points(string name, IReadOnlyList<double> x, IReadOnlyList<double> y) => Add(name, x, y, false, true);

    public LinePlot LogY(bool on = true) { logY = on; return this; }

    LinePlot Add(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, bool dashed, bool markers)
    {
        if (x.Count != y.Count) throw new ArgumentException($"LinePlot: series '{name}' has {x.Count} x values but {y.Count} y values");
        series.Add(new Series(name, x.ToArray(), y.ToArray(), dashed, markers));
        return this;
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, ToSvg());

    public string ToSvg(int width = 640, int height = 400)
    {
        const int left = 70, right = 20, top = 36, bottom = 50;
        double plotW = width - left - right, plotH = height - top - bottom;
        var points = series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second) && (!logY || p.Second > 0)).ToList();
        var (x0, x1) = Bounds(points.Select(p => p.First));
        var (y0, y1) = Bounds(points.Select(p => logY ? Math.Log10(p.Second) : p.Second));
        var xTicks = NiceTicks(x0, x1);
        var yTicks = logY ? LogTicks(y0, y1) : NiceTicks(y0, y1);
        (x0, x1) = (Math.Min(x0, xTicks[0]), Math.Max(x1, xTicks[^1]));
        (y0, y1) = (Math.Min(y0, yTicks[0]), Math.Max(y1, yTicks[^1]));
        double Px(double x) => left + (x - x0) / (x1 - x0) * plotW;
        double Py(double y) => top + plotH - ((logY ? Math.Log10(y) : y) - y0) / (y1 - y0) * plotH;

        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure line\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append($"<text x=\"{width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{Esc(title)}</text>\n");
        foreach (double t in xTicks)
        {
            string px = F(Px(t));
            svg.Append($"<line x1=\"{px}\" y1=\"{top}\" x2=\"{px}\" y2=\"{F(top + plotH)}\" stroke=\"#eee\"/>");
            svg.Append($"<text x=\"{px}\" y=\"{F(top + plotH + 16)}\" text-anchor=\"middle\">{Label(t)}</text>\n");
        }
        foreach (double t in yTicks)
        {
            double value = logY ? Math.Pow(10, t) : t;
            string py = F(Py(value));
            svg.Append($"<line x1=\"{left}\" y1=\"{py}\" x2=\"{F(left + plotW)}\" y2=\"{py}\" stroke=\"#eee\"/>");
            svg.Append($"<text x=\"{left - 6}\" y=\"{py}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Label(value)}</text>\n");
        }
        svg.Append($"<rect x=\"{left}\" y=\"{top}\" width=\"{F(plotW)}\" height=\"{F(plotH)}\" fill=\"none\" stroke=\"#333\"/>\n");
        svg.Append($"<text x=\"{F(left + plotW / 2)}\" y=\"{height - 10}\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        svg.Append($"<text transform=\"translate(16 {F(top + plotH / 2)}) rotate(-90)\" text-anchor=\"middle\">{Esc(yLabel)}</text>\n");
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            string color = Palette[i % Palette.Length];
            var data = s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second) && (!logY || p.Second > 0)).ToList();
            var pts = data.Select(p => (X: Px(p.First), Y: Py(p.Second))).ToList();
            string Hover(int k) => $"<title>{Esc(s.Name)}: {Esc(xLabel == "" ? "x" : xLabel)} {Exact(data[k].First)}, {Esc(yLabel == "" ? "y" : yLabel)} {Exact(data[k].Second)}</title>";
            if (s.Markers)
                for (int k = 0; k < pts.Count; k++) svg.Append($"<circle cx=\"{F(pts[k].X)}\" cy=\"{F(pts[k].Y)}\" r=\"3\" fill=\"{color}\">{Hover(k)}</circle>");
            else if (pts.Count > 0)
            {
                svg.Append($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : "")} points=\"{string.Join(" ", pts.Select(p => $"{F(p.X)},{F(p.Y)}"))}\"/>");
                // an invisible target per point, so the mouse reads the exact value off a line too
                svg.Append("<g class=\"hover-points\">");
                for (int k = 0; k < pts.Count; k++) svg.Append($"<circle cx=\"{F(pts[k].X)}\" cy=\"{F(pts[k].Y)}\" r=\"5\" fill=\"transparent\">{Hover(k)}</circle>");
                svg.Append("</g>");
            }
            double ly = top + 14 + 16 * i, lx = left + plotW - 150;
            svg.Append($"\n<line x1=\"{F(lx)}\" y1=\"{F(ly)}\" x2=\"{F(lx + 20)}\" y2=\"{F(ly)}\" stroke=\"{color}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : "")}/>");
            svg.Append($"<text x=\"{F(lx + 26)}\" y=\"{F(ly)}\" dominant-baseline=\"middle\">{Esc(s.Name)}</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    static (double, double) Bounds(IEnumerable<double> values)
    {
        var list = values.ToList();
        if (list.Count == 0) return (0, 1);
        double lo = list.Min(), hi = list.Max();
        if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi))) { lo -= 0.5; hi += 0.5; }
        return (lo, hi);
    }

    /// <summary>About five ticks at 1, 2 or 5 times a power of ten, covering [lo, hi].</summary>
    public static double[] NiceTicks(double lo, double hi)
    {
        double raw = (hi - lo) / 5, mag = Math.Pow(10, Math.Floor(Math.Log10(raw))), step = mag;
        foreach (double m in new[] { 1.0, 2, 5, 10 }) if (m * mag >= raw) { step = m * mag; break; }
        double start = Math.Floor(lo / step) * step, end = Math.Ceiling(hi / step) * step;
        var ticks = new List<double>();
        for (double t = start; t <= end + step / 2; t += step) ticks.Add(Math.Round(t / step) * step);
        return [.. ticks];
    }

    static double[] LogTicks(double lo, double hi)
    {
        double a = Math.Floor(lo), b = Math.Ceiling(hi);
        if (b == a) b = a + 1;
        int every = Math.Max(1, (int)Math.Ceiling((b - a) / 8));
        var ticks = new List<double>();
        for (double t = a; t <= b; t += every) ticks.Add(t);
        return [.. ticks];
    }

    static string Label(double v) => Math.Abs(v) >= 1e5 || (v != 0 && Math.Abs(v) < 1e-3)
        ? v.ToString("0.##e0", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture);

    static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A value as the hover shows it: six significant digits (float noise such as 0.30000000000000004 cut).</summary>
    static string Exact(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    static string Esc(string s) => WebUtility.HtmlEncode(s);
}
