using Interp.Analysis.Plot;

namespace Interp.Analysis.Cases;

/// <summary>Small layout helpers for the case reports: panels side by side or in a grid, binary grids.</summary>
public static class ReportImages
{
    static readonly (byte, byte, byte) White = (255, 255, 255);

    /// <summary>Panels laid out in rows of <paramref name="columns"/>, each cell as large as the largest panel.</summary>
    public static RgbImage Grid(IReadOnlyList<RgbImage> panels, int columns, int pad = 4)
    {
        if (panels.Count == 0) throw new ArgumentException("report images: no panels to lay out");
        columns = Math.Clamp(columns, 1, panels.Count);
        int rows = (panels.Count + columns - 1) / columns;
        int cw = panels.Max(p => p.Width), ch = panels.Max(p => p.Height);
        var image = new RgbImage(pad + columns * (cw + pad), pad + rows * (ch + pad), White);
        for (int i = 0; i < panels.Count; i++)
            image.Paste(panels[i], pad + i % columns * (cw + pad), pad + i / columns * (ch + pad));
        return image;
    }

    /// <summary>A 0/1 grid [rows, cols] as cells: 1 dark, 0 light; <paramref name="highlight"/> cells in their own colour.</summary>
    public static RgbImage BinaryGrid(int[,] grid, int cell = 3, Func<int, int, (byte, byte, byte)?>? highlight = null)
    {
        int rows = grid.GetLength(0), cols = grid.GetLength(1);
        var image = new RgbImage(cols * cell, rows * cell);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                var color = highlight?.Invoke(r, c) ?? (grid[r, c] == 1 ? ((byte)40, (byte)40, (byte)110) : ((byte)235, (byte)235, (byte)225));
                image.FillRect(c * cell, r * cell, cell, cell, color);
            }
        return image;
    }

    /// <summary>Values over the pairs in order x·p + y as a [p, p] tensor (row x, column y).</summary>
    public static Tensor PairGrid(double[] values, int p)
    {
        if (values.Length != p * p) throw new ArgumentException($"report images: {values.Length} values do not fill a {p}x{p} grid");
        return Tensor.FromArray(values, [p, p]);
    }

    /// <summary>Maps [n, h, w] drawn blue-white-red in a grid, on [-bound, bound] (each on its own symmetric scale when null).</summary>
    public static RgbImage DivergingMaps(Tensor maps, int columns, int cell = 3, double? bound = null)
    {
        if (maps.Rank != 3 || maps.Size(0) == 0) throw new ArgumentException($"report images: expected maps [n, h, w], got {ShapeUtil.Format(maps.ShapeArray)}");
        var panels = Enumerable.Range(0, maps.Size(0))
            .Select(i => Heatmap.Render(maps.Select(0, i), new HeatmapOptions(CellSize: cell, Diverging: true, Min: -bound, Max: bound))).ToList();
        return Grid(panels, columns, pad: 2);
    }

    /// <summary>
    /// Signed maps [n, h, w] drawn over their digits [n, h, w] (pixels in [0, 1]): each digit in light grey, each
    /// pixel of the map tinted blue (negative) or red (positive) by |value| / bound, one bound for all n maps (the
    /// largest |value|), so the panels compare. Returns the panels in a row and the bound.
    /// </summary>
    public static (RgbImage Image, double Bound) SignedOverDigits(Tensor digits, Tensor maps, int cell = 6)
    {
        if (maps.Rank != 3 || digits.Rank != 3 || maps.Size(0) == 0 || !maps.ShapeArray.SequenceEqual(digits.ShapeArray))
            throw new ArgumentException($"report images: expected digits and maps of one shape [n, h, w], got {ShapeUtil.Format(digits.ShapeArray)} and {ShapeUtil.Format(maps.ShapeArray)}");
        int n = maps.Size(0), h = maps.Size(1), w = maps.Size(2);
        var m = maps.To(DType.Float64).ToCpuContiguous().ToDoubleArray();
        var d = digits.To(DType.Float64).ToCpuContiguous().ToDoubleArray();
        double bound = m.Select(Math.Abs).DefaultIfEmpty(0).Max();
        if (!(bound > 0)) bound = 1;
        var panels = Enumerable.Range(0, n).Select(k =>
        {
            var panel = new RgbImage(w * cell, h * cell);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = (k * h + y) * w + x;
                    byte grey = (byte)Math.Round(255 - 90 * Math.Clamp(d[i], 0, 1));
                    var tint = Colormap.Diverging(m[i] / bound);
                    double a = Math.Min(1, Math.Abs(m[i]) / bound * 1.5);   // faint values stay visible over the grey
                    panel.FillRect(x * cell, y * cell, cell, cell, (Mix(grey, tint.R, a), Mix(grey, tint.G, a), Mix(grey, tint.B, a)));
                }
            return panel;
        }).ToList();
        return (Grid(panels, n, pad: 2), bound);
    }

    static byte Mix(byte under, byte over, double a) => (byte)Math.Round(under + (over - under) * a);
}
