namespace Interp.Analysis.Linalg;

/// <summary>
/// Principal components of rows x [n, d]: the top eigenvectors of the sample covariance
/// C = (x − μ)ᵀ(x − μ) / (n − 1), by <see cref="SymmetricEigen"/>. Components [k, d] are unit rows, each signed so
/// that its largest-magnitude entry is positive (a deterministic choice; eigenvectors are defined up to sign).
/// </summary>
public sealed record PcaResult(Tensor Mean, Tensor Components, double[] Variances, double[] ExplainedRatio)
{
    /// <summary>Coordinates of rows x [n, d] in the components: (x − μ)·Componentsᵀ, [n, k] float64.</summary>
    public Tensor Project(Tensor x) => (x.To(DType.Float64) - Mean).MatMul(Components.T);
}

public static class Pca
{
    public static PcaResult Fit(Tensor x, int components)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 2 || x.Size(0) < 2)
            throw new ArgumentException($"pca: expected at least 2 rows [n, d], got {ShapeUtil.Format(x.ShapeArray)}");
        int n = x.Size(0), d = x.Size(1);
        if (components < 1 || components > d)
            throw new ArgumentException($"pca: components must lie in [1, {d}], got {components}");
        var xd = x.To(DType.Float64);
        var mean = xd.Mean(0);
        var centered = xd - mean;
        var cov = centered.T.MatMul(centered) / (n - 1);
        var (values, vectors) = SymmetricEigen.Decompose(cov);
        var lambda = values.ToDoubleArray();
        var v = vectors.ToDoubleArray();   // columns are eigenvectors
        var rows = new double[components * d];
        for (int c = 0; c < components; c++)
        {
            int argMax = 0;
            for (int i = 1; i < d; i++)
                if (Math.Abs(v[i * d + c]) > Math.Abs(v[argMax * d + c])) argMax = i;
            double sign = v[argMax * d + c] < 0 ? -1 : 1;
            for (int i = 0; i < d; i++) rows[c * d + i] = sign * v[i * d + c];
        }
        double total = lambda.Sum(l => Math.Max(l, 0));
        var variances = lambda.Take(components).ToArray();
        return new PcaResult(mean, Tensor.FromArray(rows, [components, d]), variances,
            variances.Select(l => total > 0 ? l / total : 0).ToArray());
    }
}
