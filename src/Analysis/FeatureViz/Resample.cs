namespace Interp.Analysis.FeatureViz;

/// <summary>
/// Spatial transforms of an image batch [N, C, H, W] by bilinear resampling. Resampling is linear in the pixels, so
/// each transform is a fixed [H·W, H·W] interpolation matrix applied with MatMul — differentiable through existing
/// ops (applied sparsely, see <see cref="Apply"/>). Samples falling outside the image read <c>fill</c>. Coordinates are pixel centres; the image centre
/// ((H−1)/2, (W−1)/2) is the fixed point of scaling and rotation.
/// </summary>
public static class Resample
{
    /// <summary>Moves the content by (<paramref name="dy"/>, <paramref name="dx"/>) pixels: out[y, x] = in[y − dy, x − dx].</summary>
    public static Tensor Shift(Tensor images, double dy, double dx, double fill = 0) =>
        Apply(images, (y, x) => (y - dy, x - dx), fill);

    /// <summary>Magnifies the content by <paramref name="factor"/> about the centre (factor &lt; 1 shrinks it).</summary>
    public static Tensor Scale(Tensor images, double factor, double fill = 0)
    {
        if (!(factor > 0) || !double.IsFinite(factor)) throw new ArgumentException($"resample scale: factor must be positive and finite, got {factor}");
        var (cy, cx) = Centre(images);
        return Apply(images, (y, x) => (cy + (y - cy) / factor, cx + (x - cx) / factor), fill);
    }

    /// <summary>
    /// Rotates the content counter-clockwise (as displayed, y down) by <paramref name="degrees"/> about the centre;
    /// +90° on a square image is torch.rot90(x, 1, dims=(-2, -1)): out[i, j] = in[j, W−1−i].
    /// </summary>
    public static Tensor Rotate(Tensor images, double degrees, double fill = 0)
    {
        if (!double.IsFinite(degrees)) throw new ArgumentException($"resample rotate: angle must be finite, got {degrees}");
        double t = degrees * Math.PI / 180, cos = Math.Cos(t), sin = Math.Sin(t);
        var (cy, cx) = Centre(images);
        return Apply(images, (y, x) => (cy + cos * (y - cy) + sin * (x - cx), cx - sin * (y - cy) + cos * (x - cx)), fill);
    }

    /// <summary>
    /// Resamples every image: output pixel (y, x) is the bilinear interpolation of the input at
    /// <paramref name="source"/>(y, x), or <paramref name="fill"/> for the share of it outside the image. The
    /// interpolation matrix (<see cref="SamplingMatrix"/>) has at most 4 non-zeros per row, so it is applied as one
    /// gather of those 4 taps per output pixel and a weighted sum — the same linear map at O(H·W) instead of
    /// O((H·W)²) memory and work; its gradient is the gather's (a scatter-add).
    /// </summary>
    public static Tensor Apply(Tensor images, Func<double, double, (double Y, double X)> source, double fill = 0)
    {
        if (images.Rank != 4)
            throw new ArgumentException($"resample: expected images [N, C, H, W], got {ShapeUtil.Format(images.ShapeArray)}");
        int n = images.Size(0), c = images.Size(1), h = images.Size(2), w = images.Size(3), pixels = h * w;
        var (index, weight, inside) = SamplingTaps(h, w, source);
        var taps = images.Reshape(n * c, pixels).IndexSelect(1, Tensor.FromArray(index, [Taps * pixels], images.Device));
        var weights = Tensor.FromDoubles(weight, [Taps, pixels], images.DType, images.Device);
        var output = (taps.Reshape(n * c, Taps, pixels) * weights).Sum(1);
        if (fill != 0)
        {
            // out = M·x + fill·(1 − Σ_q M[p, q]): the missing weight of each sample reads the fill value
            var rest = Tensor.FromDoubles(inside.Select(s => fill * (1 - s)).ToArray(), [pixels], images.DType, images.Device);
            output += rest;
        }
        return output.Reshape(n, c, h, w);
    }

    const int Taps = 4;

    /// <summary>
    /// The interpolation as taps: for tap t (0..3) and output pixel p, the input pixel Index[t·HW + p] and its weight
    /// Weight[t·HW + p] (0 with index 0 where the tap falls outside), and per output pixel the total weight inside the
    /// image. Coordinates within 1e-9 of a whole pixel are snapped to it, so rotations by multiples of 90° and whole
    /// shifts permute pixels exactly.
    /// </summary>
    public static (int[] Index, double[] Weight, double[] Inside) SamplingTaps(int h, int w, Func<double, double, (double Y, double X)> source)
    {
        int pixels = h * w;
        var index = new int[Taps * pixels];
        var weight = new double[Taps * pixels];
        var inside = new double[pixels];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                var (sy, sx) = source(y, x);
                if (!double.IsFinite(sy) || !double.IsFinite(sx)) continue;
                sy = Snap(sy); sx = Snap(sx);
                int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx);
                double fy = sy - y0, fx = sx - x0;
                for (int t = 0; t < Taps; t++)
                {
                    int dy = t / 2, dx = t % 2, yy = y0 + dy, xx = x0 + dx;
                    double wt = (dy == 0 ? 1 - fy : fy) * (dx == 0 ? 1 - fx : fx);
                    if (wt == 0 || yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                    index[t * pixels + p] = yy * w + xx;
                    weight[t * pixels + p] = wt;
                    inside[p] += wt;
                }
            }
        return (index, weight, inside);
    }

    /// <summary>The same map as a dense matrix [input pixel, output pixel] (so flattened images·M resamples).</summary>
    public static double[] SamplingMatrix(int h, int w, Func<double, double, (double Y, double X)> source)
    {
        int pixels = h * w;
        var (index, weight, _) = SamplingTaps(h, w, source);
        var matrix = new double[pixels * pixels];
        for (int t = 0; t < Taps; t++)
            for (int p = 0; p < pixels; p++) matrix[index[t * pixels + p] * pixels + p] += weight[t * pixels + p];
        return matrix;
    }

    static double Snap(double v)
    {
        double r = Math.Round(v);
        return Math.Abs(v - r) < 1e-9 ? r : v;
    }

    static (double Y, double X) Centre(Tensor images)
    {
        if (images.Rank != 4)
            throw new ArgumentException($"resample: expected images [N, C, H, W], got {ShapeUtil.Format(images.ShapeArray)}");
        return ((images.Size(2) - 1) / 2.0, (images.Size(3) - 1) / 2.0);
    }
}
