namespace Interp.Analysis.Plot;

/// <param name="CellSize">pixels per cell; 0 picks one so the longer side is about 400 pixels (at least 1)</param>
/// <param name="Diverging">blue-white-red centred on 0; null chooses it when the values have both signs</param>
/// <param name="Min">colour-scale bounds; null takes them from the data (symmetric around 0 when diverging)</param>
public sealed record HeatmapOptions(int CellSize = 0, bool? Diverging = null, double? Min = null, double? Max = null);

/// <summary>A 2-D tensor drawn as a grid of coloured cells, row 0 at the top (as matplotlib's imshow).</summary>
public static class Heatmap
{
    public static RgbImage Render(Tensor values2d, HeatmapOptions? o = null)
    {
        if (values2d.Rank != 2)
            throw new ArgumentException($"Heatmap: needs a 2-D tensor [rows, columns], got shape [{string.Join(", ", values2d.Shape)}]");
        o ??= new HeatmapOptions();
        int rows = values2d.Size(0), cols = values2d.Size(1);
        if (rows == 0 || cols == 0) throw new ArgumentException($"Heatmap: the tensor is empty, shape [{rows}, {cols}]");
        double[] v = values2d.ToDoubleArray();
        var finite = v.Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double lo = finite.Min(), hi = finite.Max();
        bool diverging = o.Diverging ?? (lo < 0 && hi > 0);
        int cell = o.CellSize > 0 ? o.CellSize : Math.Max(1, 400 / Math.Max(rows, cols));
        var image = new RgbImage(cols * cell, rows * cell);
        if (diverging)
        {
            double bound = o.Max ?? Math.Max(Math.Abs(o.Min ?? lo), Math.Abs(hi));
            if (o.Min is { } m && o.Max is null) bound = Math.Abs(m);
            bound = bound > 0 ? bound : 1;
            Fill(image, v, rows, cols, cell, x => Colormap.Diverging(x / bound));
        }
        else
        {
            double min = o.Min ?? lo, max = o.Max ?? hi, span = max > min ? max - min : 1;
            Fill(image, v, rows, cols, cell, x => Colormap.Viridis((x - min) / span));
        }
        return image;
    }

    public static void Save(string path, Tensor values2d, HeatmapOptions? o = null) => Render(values2d, o).SavePng(path);

    static void Fill(RgbImage image, double[] v, int rows, int cols, int cell, Func<double, (byte, byte, byte)> color)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                image.FillRect(c * cell, r * cell, cell, cell, color(v[r * cols + c]));
    }
}
