using Interp.IO;
using System.Text;
using System.Text.Json;

namespace Interp.Analysis.Plot;

/// <summary>
/// A 2-D tensor [rows, columns] as a readable SVG heatmap: a title, both axes labelled with a tick per row and column
/// (thinned when they would overlap), a colour bar with its numeric scale, row 0 at the top. Each cell carries its
/// exact value (an SVG &lt;title&gt;, which browsers show on hover). Cells are 10 to 48 pixels; a matrix too large for
/// that is drawn as one embedded PNG with the same axes and colour bar, its values kept for the report's hover script.
/// </summary>
/// <example><c>new HeatmapFigure("induction score", scores) { Rows = Axis.Layers(2), Columns = Axis.Heads(4) }.Save("scores.svg")</c></example>
public sealed class HeatmapFigure : IFigure
{
    const int MinCell = 10, MaxCell = 48, TargetSide = 480, MaxVectorSide = 800, RasterSide = 720;
    const double Font = 12, TitleHeight = 34, TickGap = 4;

    readonly double[] values;

    public HeatmapFigure(string title, Tensor values2d)
    {
        if (values2d.Rank != 2)
            throw new ArgumentException($"HeatmapFigure '{title}': needs a 2-D tensor [rows, columns], got shape [{string.Join(", ", values2d.Shape)}]");
        if (values2d.Size(0) == 0 || values2d.Size(1) == 0)
            throw new ArgumentException($"HeatmapFigure '{title}': the tensor is empty, shape [{values2d.Size(0)}, {values2d.Size(1)}]");
        Title = title;
        RowCount = values2d.Size(0);
        ColumnCount = values2d.Size(1);
        values = values2d.ToDoubleArray();
    }

    public string Title { get; }
    public int RowCount { get; }
    public int ColumnCount { get; }

    /// <summary>The row axis; default "row" numbered 0, 1, ...</summary>
    public Axis? Rows { get; init; }
    public Axis? Columns { get; init; }

    /// <summary>Default: <see cref="ColorScale.For"/> the values (diverging when they have both signs).</summary>
    public ColorScale? Scale { get; init; }

    /// <summary>What the colour means, beside the colour bar ("attention", "logit difference").</summary>
    public string ValueLabel { get; init; } = "";

    /// <summary>The hover name of cell (row, column); default "row-axis tick, column-axis tick".</summary>
    public Func<int, int, string>? CellName { get; init; }

    /// <summary>Pixels per cell; 0 chooses one (10 to 48, or smaller as a PNG for large matrices).</summary>
    public int CellSize { get; init; }

    public double this[int row, int column] => values[row * ColumnCount + column];

    /// <summary>True when the cells are drawn as an embedded PNG rather than one SVG rectangle each.</summary>
    public bool IsRaster => CellSize == 0 && Math.Max(RowCount, ColumnCount) * MinCell > MaxVectorSide;

    Axis RowAxis => Check(Rows ?? Axis.Numbered("row", RowCount), RowCount, "rows");
    Axis ColumnAxis => Check(Columns ?? Axis.Numbered("column", ColumnCount), ColumnCount, "columns");
    ColorScale ColorScale => Scale ?? ColorScale.For(values);

    /// <summary>The hover text of one cell: its name and exact value.</summary>
    public string CellText(int row, int column)
    {
        string name = CellName?.Invoke(row, column) ?? $"{RowAxis.Label} {RowAxis.HoverName(row)}, {ColumnAxis.Label} {ColumnAxis.HoverName(column)}";
        return $"{name}: {Svg.Value(this[row, column])}";
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, ToSvg());

    public string ToSvg()
    {
        var (rows, columns, scale) = (RowAxis, ColumnAxis, ColorScale);
        var l = Measure(rows, columns, scale);
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure heatmap\" width=\"{Svg.F(l.Width)}\" height=\"{Svg.F(l.Height)}\" viewBox=\"0 0 {Svg.F(l.Width)} {Svg.F(l.Height)}\" font-family=\"sans-serif\" font-size=\"{Font}\">\n");
        svg.Append($"<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append($"<text class=\"title\" x=\"{Svg.F(l.Width / 2)}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{Svg.Esc(Title)}</text>\n");
        if (IsRaster) RasterCells(svg, scale, l.Left, l.Top, l.Cell);
        else VectorCells(svg, scale, l.Left, l.Top, l.Cell);
        svg.Append($"<rect x=\"{Svg.F(l.Left)}\" y=\"{Svg.F(l.Top)}\" width=\"{Svg.F(l.PlotW)}\" height=\"{Svg.F(l.PlotH)}\" fill=\"none\" stroke=\"#333\"/>\n");
        DrawAxes(svg, rows, columns, l);
        ColorBar.Draw(svg, scale, ValueLabel, l.Left + l.PlotW + 18, l.Top, Math.Max(l.PlotH, 120));
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Where everything goes: the cell size, the plot's corner and size, which ticks show and the figure's size.</summary>
    sealed record Layout(double Cell, double Left, double Top, double PlotW, double PlotH, int RowEvery, int ColumnEvery, bool Rotate,
        double ColumnTickH, double Width, double Height);

    Layout Measure(Axis rows, Axis columns, ColorScale scale)
    {
        double cell = Cell();
        double plotW = ColumnCount * cell, plotH = RowCount * cell;
        int rowEvery = Every(cell, Font + 2);
        // column ticks stand upright when each fits its cell, else they are rotated and need only a line's height apart
        bool rotate = columns.Ticks.Any(t => Svg.TextWidth(t) + TickGap > cell);
        int columnEvery = rotate ? Every(cell, Font + 2) : 1;
        double rowTickW = Shown(rows, rowEvery).Max(t => Svg.TextWidth(t)), columnTickW = Shown(columns, columnEvery).Max(t => Svg.TextWidth(t));
        double left = 24 + rowTickW + TickGap * 2;
        double columnTickH = rotate ? columnTickW * 0.71 + Font : Font + 4;
        double width = Math.Max(left + plotW + 18 + ColorBar.Width(scale, ValueLabel) + 8, Svg.TextWidth(Title, 14) + 20);
        double height = TitleHeight + Math.Max(plotH + columnTickH + 28, Math.Max(plotH, 120) + 8);
        return new Layout(cell, left, TitleHeight, plotW, plotH, rowEvery, columnEvery, rotate, columnTickH, width, height);
    }

    void DrawAxes(StringBuilder svg, Axis rows, Axis columns, Layout l)
    {
        for (int r = 0; r < RowCount; r += l.RowEvery)
            svg.Append($"<text class=\"tick\" x=\"{Svg.F(l.Left - TickGap)}\" y=\"{Svg.F(l.Top + (r + 0.5) * l.Cell)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Svg.Esc(rows.Ticks[r])}</text>\n");
        for (int c = 0; c < ColumnCount; c += l.ColumnEvery)
        {
            double x = l.Left + (c + 0.5) * l.Cell, y = l.Top + l.PlotH + TickGap;
            svg.Append(l.Rotate
                ? $"<text class=\"tick\" transform=\"translate({Svg.F(x)} {Svg.F(y + 4)}) rotate(-45)\" text-anchor=\"end\" dominant-baseline=\"middle\">{Svg.Esc(columns.Ticks[c])}</text>\n"
                : $"<text class=\"tick\" x=\"{Svg.F(x)}\" y=\"{Svg.F(y + Font)}\" text-anchor=\"middle\">{Svg.Esc(columns.Ticks[c])}</text>\n");
        }
        svg.Append($"<text class=\"axis-label\" transform=\"translate(14 {Svg.F(l.Top + l.PlotH / 2)}) rotate(-90)\" text-anchor=\"middle\">{Svg.Esc(rows.Label)}</text>\n");
        svg.Append($"<text class=\"axis-label\" x=\"{Svg.F(l.Left + l.PlotW / 2)}\" y=\"{Svg.F(l.Top + l.PlotH + l.ColumnTickH + 20)}\" text-anchor=\"middle\">{Svg.Esc(columns.Label)}</text>\n");
    }

    double Cell()
    {
        if (CellSize > 0) return CellSize;
        int side = Math.Max(RowCount, ColumnCount);
        // a wide, short matrix ([layer, position]) may use more width than a square one
        return IsRaster ? Math.Max(1, RasterSide / side) : Math.Clamp(Math.Min(RasterSide / ColumnCount, TargetSide / RowCount), MinCell, MaxCell);
    }

    void VectorCells(StringBuilder svg, ColorScale scale, double left, double top, double cell)
    {
        svg.Append("<g class=\"cells\">\n");
        for (int r = 0; r < RowCount; r++)
            for (int c = 0; c < ColumnCount; c++)
                svg.Append($"<rect x=\"{Svg.F(left + c * cell)}\" y=\"{Svg.F(top + r * cell)}\" width=\"{Svg.F(cell)}\" height=\"{Svg.F(cell)}\" fill=\"{Svg.Hex(scale.Color(this[r, c]))}\"><title>{Svg.Esc(CellText(r, c))}</title></rect>\n");
        svg.Append("</g>\n");
    }

    // one PNG pixel per cell, scaled up without smoothing; the report's script reads data-cells to name the cell under the mouse
    void RasterCells(StringBuilder svg, ColorScale scale, double left, double top, double cell)
    {
        var image = new RgbImage(ColumnCount, RowCount);
        for (int r = 0; r < RowCount; r++)
            for (int c = 0; c < ColumnCount; c++) image.Set(c, r, scale.Color(this[r, c]));
        var texts = Enumerable.Range(0, RowCount).Select(r => Enumerable.Range(0, ColumnCount).Select(c => CellText(r, c)).ToArray()).ToArray();
        string png = Convert.ToBase64String(image.EncodePng());
        svg.Append($"<image class=\"cells\" x=\"{Svg.F(left)}\" y=\"{Svg.F(top)}\" width=\"{Svg.F(ColumnCount * cell)}\" height=\"{Svg.F(RowCount * cell)}\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" ");
        svg.Append($"data-cells=\"{Svg.Esc(JsonSerializer.Serialize(texts))}\" href=\"data:image/png;base64,{png}\"/>\n");
    }

    // draw every k-th tick so labels at least minPixels apart do not overlap
    static int Every(double cell, double minPixels) => Math.Max(1, (int)Math.Ceiling(minPixels / cell));

    static IEnumerable<string> Shown(Axis axis, int every) => axis.Ticks.Where((_, i) => i % every == 0).DefaultIfEmpty("");

    static Axis Check(Axis axis, int count, string what) => axis.Count == count ? axis
        : throw new ArgumentException($"HeatmapFigure: the {what} axis '{axis.Label}' has {axis.Count} ticks for {count} {what}");
}
