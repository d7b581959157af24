using System.Globalization;
using System.Text;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Patching;

/// <summary>
/// Drawing and writing patching results: heatmap figures (rows = layers, or L0H0, L0H1, ... for per-head results;
/// columns = positions, their tokens, or heads), always blue-white-red around a centre (0, or the base run's metric, so
/// the colour is the patch's signed effect), scatter plots of two results against each other, and CSV tables.
/// </summary>
public static class PatchPlots
{
    /// <summary>A result whose dims are "layer,pos", "layer,head" or "layer,head,pos" as the figure that suits it.</summary>
    public static HeatmapFigure Figure(string title, Tensor result, string dims, double centre = 0, string valueLabel = "patching metric") => dims == "layer,head"
        ? HeadsFigure(title, result, centre, valueLabel)
        : ByPositionFigure(title, result, null, centre, valueLabel);

    /// <summary>A [layer, pos] or [layer, head, pos] result: rows layers (or heads L0H0, L0H1, ...), columns positions (or their tokens).</summary>
    public static HeatmapFigure ByPositionFigure(string title, Tensor result, IReadOnlyList<string>? tokens = null, double centre = 0, string valueLabel = "patching metric")
    {
        var grid = AsGrid(result) - centre;
        int positions = grid.Size(1);
        return new HeatmapFigure(title, grid)
        {
            Rows = result.Rank == 3 ? Axis.LayerHeads(result.Size(0), result.Size(1)) : Axis.Layers(result.Size(0)),
            Columns = tokens is null ? Axis.Positions(positions) : Axis.Tokens("position", tokens),
            Scale = SignedScale(grid), ValueLabel = valueLabel,
        };
    }

    /// <summary>A [layer, head] result: rows layers, columns heads, each cell named L{layer}H{head}.</summary>
    public static HeatmapFigure HeadsFigure(string title, Tensor result, double centre = 0, string valueLabel = "patching metric")
    {
        if (result.Rank != 2) throw new ArgumentException($"patch_plots: a heads figure needs a [layer, head] result, got {ShapeUtil.Format(result.ShapeArray)}");
        var grid = result - centre;
        return new HeatmapFigure(title, grid)
        {
            Rows = Axis.Layers(result.Size(0)), Columns = Axis.Heads(result.Size(1)), Scale = SignedScale(grid),
            ValueLabel = valueLabel, CellName = (l, h) => $"L{l}H{h}",
        };
    }

    /// <summary>The scatter of <see cref="SaveScatter"/> as a figure.</summary>
    public static LinePlot Scatter(Tensor x, Tensor y, string title, string xLabel, string yLabel)
    {
        if (!ShapeUtil.SameShape(x.ShapeArray, y.ShapeArray))
            throw new ArgumentException($"patch_plots: scatter needs two results of one shape, got {ShapeUtil.Format(x.ShapeArray)} and {ShapeUtil.Format(y.ShapeArray)}");
        var (xs, ys) = (x.ToDoubleArray(), y.ToDoubleArray());
        double lo = Math.Min(xs.Min(), ys.Min()), hi = Math.Max(xs.Max(), ys.Max());
        return new LinePlot(title, xLabel, yLabel).Line("y = x", [lo, hi], [lo, hi], dashed: true).Points("", xs, ys);
    }

    static ColorScale SignedScale(Tensor grid) => ColorScale.For(grid.ToDoubleArray(), signed: true);

    /// <summary>A [layer, pos], [layer, head] or [layer, head, pos] result as a bare PNG raster of (value − centre); reports use the figures above.</summary>
    public static RgbImage Heatmap(Tensor result, double centre = 0, int cellSize = 0)
    {
        var grid = AsGrid(result);
        return Interp.Analysis.Plot.Heatmap.Render(grid - centre, new HeatmapOptions(CellSize: cellSize, Diverging: true));
    }

    public static void SaveHeatmap(string path, Tensor result, double centre = 0, int cellSize = 0) => Heatmap(result, centre, cellSize).SavePng(path);

    /// <summary>An SVG scatter of <paramref name="y"/> against <paramref name="x"/> (same shape), with the line y = x.</summary>
    public static void SaveScatter(string path, Tensor x, Tensor y, string title, string xLabel, string yLabel) =>
        Scatter(x, y, title, xLabel, yLabel).Save(path);

    /// <summary>
    /// CSV rows <c>name,layer,head,pos,value</c> for each result (head or pos empty where the result has no such dim);
    /// <paramref name="results"/> maps a name (e.g. "resid_pre") to a [layer, pos], [layer, head] or [layer, head, pos] tensor
    /// together with the meaning of its dims.
    /// </summary>
    public static string ToCsv(IEnumerable<(string Name, Tensor Values, string Dims)> results)
    {
        var sb = new StringBuilder("name,layer,head,pos,value\n");
        foreach (var (name, values, dims) in results)
        {
            var v = values.ToDoubleArray();
            var shape = values.ShapeArray;
            for (int i = 0; i < v.Length; i++)
            {
                var (layer, head, pos) = dims switch
                {
                    "layer,pos" => (i / shape[1], "", (i % shape[1]).ToString(CultureInfo.InvariantCulture)),
                    "layer,head" => (i / shape[1], (i % shape[1]).ToString(CultureInfo.InvariantCulture), ""),
                    "layer,head,pos" => (i / (shape[1] * shape[2]), (i / shape[2] % shape[1]).ToString(CultureInfo.InvariantCulture),
                                         (i % shape[2]).ToString(CultureInfo.InvariantCulture)),
                    _ => throw new ArgumentException($"patch_plots: dims must be layer,pos or layer,head or layer,head,pos, got '{dims}'"),
                };
                sb.Append(CultureInfo.InvariantCulture, $"{name},{layer},{head},{pos},{v[i]:R}\n");
            }
        }
        return sb.ToString();
    }

    static Tensor AsGrid(Tensor result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Rank switch
        {
            2 => result,
            3 => result.Contiguous().Reshape(result.Size(0) * result.Size(1), result.Size(2)),   // rows L0H0, L0H1, ..., L1H0, ...
            _ => throw new ArgumentException($"patch_plots: a heatmap needs a [layer, pos], [layer, head] or [layer, head, pos] result, got {ShapeUtil.Format(result.ShapeArray)}"),
        };
    }
}
