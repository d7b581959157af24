using System.Globalization;
using Interp.Data;

namespace Interp.Analysis.Datasets;

/// <summary>
/// A transformation of images (pixels in [0, 1], row-major), named in text: <c>brightness:S</c> (pixels × S,
/// clipped to [0, 1]), <c>invert</c> (1 − x), <c>dilate</c> / <c>erode</c> (3×3 maximum / minimum: strokes thicker /
/// thinner), <c>shift:DX,DY</c> (right and down by whole pixels, zeros coming in) and <c>rotate:DEG</c>
/// (counter-clockwise about the centre, bilinear, zeros outside).
/// </summary>
public sealed class ImageTransform
{
    readonly Func<float[], int, int, float[]> apply;

    ImageTransform(string name, Func<float[], int, int, float[]> apply) => (Name, this.apply) = (name, apply);

    public string Name { get; }

    /// <summary>A standard set to try first: brightness halved and 1.5×, invert, dilate, erode, shifts by 2 and rotations by 15°.</summary>
    public static IReadOnlyList<string> Standard => ["brightness:0.5", "brightness:1.5", "invert", "dilate", "erode", "shift:2,0", "shift:0,2", "rotate:15", "rotate:-15"];

    public static ImageTransform Parse(string spec)
    {
        int colon = spec.IndexOf(':');
        string kind = colon < 0 ? spec : spec[..colon], arg = colon < 0 ? "" : spec[(colon + 1)..];
        var numbers = arg.Length == 0 ? [] : arg.Split(',').Select(a => double.TryParse(a.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v
            : throw new ArgumentException($"transform '{spec}': '{a}' is not a finite number")).ToArray();
        void Need(int count, string form)
        {
            if (numbers.Length != count) throw new ArgumentException($"transform '{spec}': expected {form}");
        }
        switch (kind)
        {
            case "brightness": Need(1, "brightness:S"); return new(spec, (p, _, _) => p.Select(v => Math.Clamp(v * (float)numbers[0], 0f, 1f)).ToArray());
            case "invert": Need(0, "invert"); return new(spec, (p, _, _) => p.Select(v => 1 - v).ToArray());
            case "dilate": Need(0, "dilate"); return new(spec, (p, h, w) => Neighbourhood(p, h, w, Math.Max));
            case "erode": Need(0, "erode"); return new(spec, (p, h, w) => Neighbourhood(p, h, w, Math.Min));
            case "shift": Need(2, "shift:DX,DY"); return new(spec, (p, h, w) => Shift(p, h, w, (int)Math.Round(numbers[0]), (int)Math.Round(numbers[1])));
            case "rotate": Need(1, "rotate:DEG"); return new(spec, (p, h, w) => Rotate(p, h, w, numbers[0]));
            default: throw new ArgumentException($"transform '{spec}': unknown (brightness:S, invert, dilate, erode, shift:DX,DY or rotate:DEG)");
        }
    }

    public float[] Apply(float[] pixels, int height, int width) => apply(pixels, height, width);

    /// <summary>Every image of the dataset transformed, the labels kept.</summary>
    public ImageDataset Apply(ImageDataset data)
    {
        int size = data.Height * data.Width;
        var images = new float[data.Images.Length];
        for (int i = 0; i < data.Count; i++) Apply(ImageFeatures.Pixels(data, i), data.Height, data.Width).CopyTo(images, i * size);
        return new ImageDataset(images, data.Labels, data.Height, data.Width);
    }

    // out[y, x] = f over the 3×3 neighbourhood of (y, x) inside the image
    static float[] Neighbourhood(float[] p, int h, int w, Func<float, float, float> f)
    {
        var r = new float[p.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float v = p[y * w + x];
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        if (yy >= 0 && yy < h && xx >= 0 && xx < w) v = f(v, p[yy * w + xx]);
                    }
                r[y * w + x] = v;
            }
        return r;
    }

    static float[] Shift(float[] p, int h, int w, int dx, int dy)
    {
        var r = new float[p.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int sy = y - dy, sx = x - dx;
                if (sy >= 0 && sy < h && sx >= 0 && sx < w) r[y * w + x] = p[sy * w + sx];
            }
        return r;
    }

    // out(y, x) = in(R⁻¹·((y, x) − c) + c), bilinear; a positive angle turns the picture counter-clockwise
    static float[] Rotate(float[] p, int h, int w, double degrees)
    {
        double t = degrees * Math.PI / 180, cos = Math.Cos(t), sin = Math.Sin(t), cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
        float At(int y, int x) => y >= 0 && y < h && x >= 0 && x < w ? p[y * w + x] : 0;
        var r = new float[p.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double u = x - cx, v = y - cy;
                double sx = cos * u - sin * v + cx, sy = sin * u + cos * v + cy;
                int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                double fx = sx - x0, fy = sy - y0;
                r[y * w + x] = (float)((1 - fy) * ((1 - fx) * At(y0, x0) + fx * At(y0, x0 + 1)) + fy * ((1 - fx) * At(y0 + 1, x0) + fx * At(y0 + 1, x0 + 1)));
            }
        return r;
    }
}
