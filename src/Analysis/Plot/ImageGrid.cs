namespace Interp.Analysis.Plot;

/// <summary>
/// A batch of images laid out in a grid on a white background: [n, h, w] or [n, 1, h, w] as grey, [n, 3, h, w] as RGB.
/// Each image is scaled to [0, 255] by its own min and max unless a fixed range is given.
/// </summary>
public static class ImageGrid
{
    public static RgbImage Render(Tensor images, int columns = 0, int scale = 1, int pad = 2, (double Min, double Max)? range = null)
    {
        var (n, channels, h, w) = Layout(images);
        if (scale < 1 || pad < 0) throw new ArgumentException($"ImageGrid: scale must be >= 1 and pad >= 0, got scale {scale}, pad {pad}");
        int cols = columns > 0 ? Math.Min(columns, n) : (int)Math.Ceiling(Math.Sqrt(n));
        int rows = (n + cols - 1) / cols;
        var grid = new RgbImage(pad + cols * (w * scale + pad), pad + rows * (h * scale + pad), (255, 255, 255));
        double[] v = images.ToDoubleArray();
        int size = channels * h * w;
        for (int i = 0; i < n; i++)
        {
            int offset = i * size;
            var (lo, hi) = range ?? MinMax(v.AsSpan(offset, size));
            double span = hi > lo ? hi - lo : 1;
            int x0 = pad + i % cols * (w * scale + pad), y0 = pad + i / cols * (h * scale + pad);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    byte Channel(int c) => (byte)Math.Round(255 * Math.Clamp((v[offset + c * h * w + y * w + x] - lo) / span, 0, 1));
                    var color = channels == 3 ? (Channel(0), Channel(1), Channel(2)) : (Channel(0), Channel(0), Channel(0));
                    grid.FillRect(x0 + x * scale, y0 + y * scale, scale, scale, color);
                }
        }
        return grid;
    }

    public static void Save(string path, Tensor images, int columns = 0, int scale = 1, int pad = 2, (double Min, double Max)? range = null) =>
        Render(images, columns, scale, pad, range).SavePng(path);

    static (int N, int Channels, int H, int W) Layout(Tensor t)
    {
        string Shape() => $"[{string.Join(", ", t.Shape)}]";
        if (t.Rank == 3) return (t.Size(0), 1, t.Size(1), t.Size(2));
        if (t.Rank == 4 && (t.Size(1) == 1 || t.Size(1) == 3)) return (t.Size(0), t.Size(1), t.Size(2), t.Size(3));
        if (t.Rank == 4) throw new ArgumentException($"ImageGrid: images [n, c, h, w] need 1 or 3 channels, got shape {Shape()}");
        throw new ArgumentException($"ImageGrid: needs images [n, h, w] or [n, c, h, w], got shape {Shape()}");
    }

    static (double, double) MinMax(ReadOnlySpan<double> xs)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (double x in xs)
            if (double.IsFinite(x)) { lo = Math.Min(lo, x); hi = Math.Max(hi, x); }
        return lo <= hi ? (lo, hi) : (0, 1);
    }
}
