namespace Interp.Analysis.FeatureViz;

/// <summary>
/// The inverse real 2-D DFT (numpy's irfft2 for an h×w image) written as a fixed real matrix, so an image made from
/// learnable spectrum coefficients is one MatMul — differentiable through existing ops. Coefficients are laid out
/// [part (0 = real, 1 = imaginary), k (0..h−1), l (0..w/2)], i.e. index (part·h + k)·(w/2+1) + l.
/// </summary>
public static class FourierBasis
{
    /// <summary>Columns of the half spectrum: w/2 + 1.</summary>
    public static int HalfWidth(int w) => w / 2 + 1;

    /// <summary>Number of real coefficients: 2·h·(w/2 + 1).</summary>
    public static int Coefficients(int h, int w) => 2 * h * HalfWidth(w);

    /// <summary>
    /// The basis [2·h·(w/2+1), h·w]: row p is the image irfft2 makes from a spectrum whose only non-zero is coefficient
    /// p = 1. x[m, n] = 1/(h·w)·Σ_k Σ_l c_l·(Re X[k,l]·cos φ − Im X[k,l]·sin φ), φ = 2π(k·m/h + l·n/w), where c_l = 2
    /// for the columns whose mirror image (w − l) is implied by Hermitian symmetry and c_l = 1 for l = 0 and, for even
    /// w, the Nyquist column l = w/2 (whose imaginary part, like the DC column's, irfft along the rows discards after the
    /// column transform — which the cos/sin form reproduces).
    /// </summary>
    public static double[] InverseMatrix(int h, int w)
    {
        if (h <= 0 || w <= 0) throw new ArgumentException($"fourier basis: image size must be positive, got {h}x{w}");
        int wf = HalfWidth(w), pixels = h * w;
        var basis = new double[Coefficients(h, w) * pixels];
        for (int k = 0; k < h; k++)
            for (int l = 0; l < wf; l++)
            {
                double c = l == 0 || (w % 2 == 0 && l == w / 2) ? 1 : 2;
                int re = (k * wf + l) * pixels, im = ((h + k) * wf + l) * pixels;
                for (int m = 0; m < h; m++)
                    for (int n = 0; n < w; n++)
                    {
                        double phi = 2 * Math.PI * ((double)(k * m % h) / h + (double)(l * n % w) / w);
                        basis[re + m * w + n] = c * Math.Cos(phi) / pixels;
                        basis[im + m * w + n] = -c * Math.Sin(phi) / pixels;
                    }
            }
        return basis;
    }

    /// <summary>
    /// |f| of every half-spectrum cell [h, w/2+1] in cycles per pixel, with numpy's fftfreq signs (k ≥ h/2 is negative).
    /// For odd w, Lucid keeps one extra column and crops a pixel; here the w/2+1 columns are exactly irfft's, no crop.
    /// </summary>
    public static double[] Frequencies(int h, int w)
    {
        int wf = HalfWidth(w);
        var f = new double[h * wf];
        for (int k = 0; k < h; k++)
        {
            double fy = (k < (h + 1) / 2 ? k : k - h) / (double)h;
            for (int l = 0; l < wf; l++)
            {
                double fx = l / (double)w;
                f[k * wf + l] = Math.Sqrt(fy * fy + fx * fx);
            }
        }
        return f;
    }

    /// <summary>
    /// Lucid's spectrum scale per cell: √(h·w) / max(|f|, 1/max(h, w))^decay — the 1/f fall-off of natural images, so
    /// equal coefficient steps move all frequencies equally in image terms; √(h·w) makes the map about unitary.
    /// </summary>
    public static double[] Scale(int h, int w, double decayPower = 1)
    {
        var f = Frequencies(h, w);
        double floor = 1.0 / Math.Max(h, w), unit = Math.Sqrt(h * w);
        return f.Select(v => unit / Math.Pow(Math.Max(v, floor), decayPower)).ToArray();
    }
}
