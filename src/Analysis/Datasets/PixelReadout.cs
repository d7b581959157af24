using Interp.Analysis.Linalg;
using Interp.Data;

namespace Interp.Analysis.Datasets;

/// <summary>
/// A scalar of each image read out linearly from its pixels: y ≈ b + Σ_p w[p]·x[p]. <see cref="Weights"/> is the
/// weight map (H·W, row-major); R² is 1 − Σ(y − ŷ)² / Σ(y − ȳ)², on the images it was fitted on and on the held-out
/// ones (every fifth image).
/// </summary>
public sealed record PixelReadout(double[] Weights, double Intercept, double Lambda, double TrainR2, double HeldOutR2, int Height, int Width)
{
    public double Predict(float[] pixels)
    {
        double s = Intercept;
        for (int p = 0; p < Weights.Length; p++) s += Weights[p] * pixels[p];
        return s;
    }

    /// <summary>The weight map as [H, W] for drawing.</summary>
    public Tensor Map => Tensor.FromArray(Weights, [Height, Width]);

    /// <summary>
    /// Ridge regression: with X and y centred, w = (XᵀX + λ·n·I)⁻¹ Xᵀy (λ scaled by the number of images so it means
    /// the same for any dataset size), b = ȳ − x̄·w; solved by Cholesky.
    /// </summary>
    public static PixelReadout Fit(ImageDataset data, double[] y, double lambda = 1e-3)
    {
        if (y.Length != data.Count) throw new ArgumentException($"pixel readout: {y.Length} targets for {data.Count} images");
        if (!(lambda > 0)) throw new ArgumentException($"pixel readout: the ridge penalty must be positive, got {lambda}");
        var train = Enumerable.Range(0, data.Count).Where(i => i % 5 != 4).ToArray();
        var test = Enumerable.Range(0, data.Count).Where(i => i % 5 == 4).ToArray();
        if (train.Length < 2) throw new ArgumentException($"pixel readout: needs at least 3 images, got {data.Count}");
        int d = data.Height * data.Width;
        var x = Tensor.FromArray(Rows(data, train), [train.Length, d]);
        var xMean = x.Mean(0);
        var xc = x - xMean;
        double yMean = train.Average(i => y[i]);
        var yc = Tensor.FromArray(train.Select(i => y[i] - yMean).ToArray(), [train.Length, 1]);
        var gram = xc.T.MatMul(xc).ToDoubleArray();
        for (int p = 0; p < d; p++) gram[p * d + p] += lambda * train.Length;
        var rhs = xc.T.MatMul(yc).ToDoubleArray();
        var w = Cholesky.Solve(gram, rhs, d);
        var mean = xMean.ToDoubleArray();
        double b = yMean - mean.Select((m, p) => m * w[p]).Sum();
        var fit = new PixelReadout(w, b, lambda, 0, 0, data.Height, data.Width);
        return fit with { TrainR2 = fit.R2(data, y, train), HeldOutR2 = test.Length > 1 ? fit.R2(data, y, test) : double.NaN };
    }

    public double R2(ImageDataset data, double[] y, int[] rows)
    {
        double mean = rows.Average(i => y[i]), residual = 0, total = 0;
        foreach (int i in rows)
        {
            double e = y[i] - Predict(ImageFeatures.Pixels(data, i));
            residual += e * e;
            total += (y[i] - mean) * (y[i] - mean);
        }
        return total > 0 ? 1 - residual / total : double.NaN;
    }

    static double[] Rows(ImageDataset data, int[] rows)
    {
        int d = data.Height * data.Width;
        var x = new double[rows.Length * d];
        for (int r = 0; r < rows.Length; r++)
            for (int p = 0; p < d; p++) x[r * d + p] = data.Images[rows[r] * d + p];
        return x;
    }
}
