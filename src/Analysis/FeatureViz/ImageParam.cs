namespace Interp.Analysis.FeatureViz;

/// <summary>
/// How an optimised image batch [N, C, H, W] is made from learnable tensors (Lucid's parameterizations). The image
/// lies in (0, 1) — a sigmoid of the raw value, as Lucid's to_valid_rgb — so it is always a valid input.
/// </summary>
public interface IImageParam
{
    /// <summary>The leaves the optimiser updates.</summary>
    IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The current images [N, C, H, W], recorded in the graph of <see cref="Parameters"/>.</summary>
    Tensor Image();
}

/// <summary>Shared sizes and the last step of every parameterization: colour decorrelation and the sigmoid.</summary>
public abstract class ImageParamBase : IImageParam
{
    protected ImageParamBase(int batch, int channels, int height, int width, bool decorrelate)
    {
        if (batch <= 0 || channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"image param: sizes must be positive, got [{batch}, {channels}, {height}, {width}]");
        (Batch, Channels, Height, Width, Decorrelate) = (batch, channels, height, width, decorrelate);
    }

    public int Batch { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>For RGB (3 channels): mix the channels by Lucid's ImageNet colour-correlation square root.</summary>
    public bool Decorrelate { get; }

    public abstract IReadOnlyList<Tensor> Parameters { get; }
    public abstract Tensor Image();

    // Lucid's color_correlation_svd_sqrt; divided by its largest column norm (max_norm_svd_sqrt) below.
    static readonly double[,] ColorCorrelationSvdSqrt = { { 0.26, 0.09, 0.02 }, { 0.27, 0.00, -0.05 }, { 0.27, -0.09, 0.03 } };

    /// <summary>Raw values [N, C, H, W] → image in (0, 1): decorrelated colours (RGB only), then a sigmoid.</summary>
    protected Tensor ToValidImage(Tensor raw)
    {
        if (Decorrelate && Channels == 3)
        {
            var m = new double[9];
            double maxNorm = Enumerable.Range(0, 3).Max(j => Math.Sqrt(Enumerable.Range(0, 3).Sum(i => ColorCorrelationSvdSqrt[i, j] * ColorCorrelationSvdSqrt[i, j])));
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) m[i * 3 + j] = ColorCorrelationSvdSqrt[i, j] / maxNorm;
            var mix = Tensor.FromDoubles(m, [3, 3], raw.DType, raw.Device);
            // out[n, i, y, x] = Σ_j M[i, j]·raw[n, j, y, x]
            raw = mix.MatMul(raw.Reshape(Batch, 3, Height * Width)).Reshape(Batch, 3, Height, Width);
        }
        return raw.Sigmoid();
    }
}

/// <summary>Lucid's pixel_image: one free value per pixel, initialised N(0, sd²), so the start is a grey 0.5 ± noise.</summary>
public sealed class PixelImage : ImageParamBase
{
    readonly Tensor pixels;

    public PixelImage(int batch, int channels, int height, int width, double sd = 0.01, Generator? gen = null,
        DType dtype = DType.Float32, Device? device = null, bool decorrelate = true) : base(batch, channels, height, width, decorrelate)
    {
        pixels = Tensor.Randn([batch, channels, height, width], gen, dtype, device) * sd;
        pixels.RequiresGrad = true;
    }

    public override IReadOnlyList<Tensor> Parameters => [pixels];
    public override Tensor Image() => ToValidImage(pixels);
}

/// <summary>
/// Lucid's fft_image: learnable real and imaginary spectrum coefficients [N·C, 2·H·(W/2+1)], scaled by
/// √(HW)/max(|f|, 1/max(H, W))^decay (<see cref="FourierBasis.Scale"/>) and mapped to pixels by the inverse real DFT
/// (one MatMul with <see cref="FourierBasis.InverseMatrix"/>), divided by 4, then decorrelated and squashed. Gradient
/// steps then change low and high frequencies about equally in the image, which avoids the high-frequency noise
/// plain pixel optimisation produces.
/// </summary>
public sealed class FourierImage : ImageParamBase
{
    readonly Tensor spectrum;
    readonly Tensor basis;   // scale folded in: [coefficients, H·W]

    public FourierImage(int batch, int channels, int height, int width, double sd = 0.01, double decayPower = 1,
        Generator? gen = null, DType dtype = DType.Float32, Device? device = null, bool decorrelate = true) : base(batch, channels, height, width, decorrelate)
    {
        int coeffs = FourierBasis.Coefficients(height, width), pixels = height * width;
        spectrum = Tensor.Randn([batch * channels, coeffs], gen, dtype, device) * sd;
        spectrum.RequiresGrad = true;
        var inverse = FourierBasis.InverseMatrix(height, width);
        var scale = FourierBasis.Scale(height, width, decayPower);
        for (int p = 0; p < coeffs; p++)
        {
            double s = scale[p % scale.Length] / 4;   // real and imaginary halves share the cell's scale; /4 as Lucid
            for (int q = 0; q < pixels; q++) inverse[p * pixels + q] *= s;
        }
        basis = Tensor.FromDoubles(inverse, [coeffs, pixels], dtype, device);
    }

    public override IReadOnlyList<Tensor> Parameters => [spectrum];

    /// <summary>The coefficients [N·C, 2·H·(W/2+1)] (real part first, then imaginary), as <see cref="FourierBasis"/> lays them out.</summary>
    public Tensor Spectrum => spectrum;

    public override Tensor Image() => ToValidImage(spectrum.MatMul(basis).Reshape(Batch, Channels, Height, Width));
}
