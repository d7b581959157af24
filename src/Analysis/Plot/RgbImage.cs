using Interp.IO;

namespace Interp.Analysis.Plot;

/// <summary>An 8-bit RGB raster, row-major, three bytes a pixel: what the PNG writer encodes.</summary>
public sealed class RgbImage
{
    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public RgbImage(int width, int height, (byte R, byte G, byte B)? background = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"RgbImage: width and height must be positive, got {width}x{height}");
        if ((long)width * height * 3 > Array.MaxLength) throw new ArgumentException($"RgbImage: {width}x{height} is too large");
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        if (background is { } c) FillRect(0, 0, width, height, c);
    }

    public (byte R, byte G, byte B) Get(int x, int y)
    {
        int i = Index(x, y);
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        int i = Index(x, y);
        Pixels[i] = c.R; Pixels[i + 1] = c.G; Pixels[i + 2] = c.B;
    }

    /// <summary>Fills the rectangle clipped to the image.</summary>
    public void FillRect(int x, int y, int w, int h, (byte R, byte G, byte B) c)
    {
        int x0 = Math.Max(0, x), y0 = Math.Max(0, y), x1 = Math.Min(Width, x + w), y1 = Math.Min(Height, y + h);
        for (int yy = y0; yy < y1; yy++)
            for (int xx = x0; xx < x1; xx++) Set(xx, yy, c);
    }

    /// <summary>Copies <paramref name="src"/> with its top-left corner at (x, y), clipped to this image.</summary>
    public void Paste(RgbImage src, int x, int y)
    {
        for (int sy = 0; sy < src.Height; sy++)
        {
            int ty = y + sy;
            if (ty < 0 || ty >= Height) continue;
            for (int sx = 0; sx < src.Width; sx++)
            {
                int tx = x + sx;
                if (tx >= 0 && tx < Width) Set(tx, ty, src.Get(sx, sy));
            }
        }
    }

    public byte[] EncodePng() => Png.Encode(Width, Height, Pixels);

    public void SavePng(string path) => AtomicFile.WriteAllBytes(path, EncodePng());

    int Index(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"RgbImage: pixel ({x}, {y}) is outside the {Width}x{Height} image");
        return (y * Width + x) * 3;
    }
}
