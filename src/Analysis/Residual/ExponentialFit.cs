namespace Interp.Analysis.Residual;

/// <summary>
/// y ≈ A·G^x fitted by ordinary least squares on ln y = ln A + x·ln G:
/// slope m = Σ(x−x̄)(ln y−m̄)/Σ(x−x̄)², intercept c = m̄ − m·x̄, G = e^m, A = e^c.
/// R² = 1 − SS_res/SS_tot of that line on ln y (1 when the points lie on it, also when all ln y are equal).
/// </summary>
public readonly record struct ExponentialFit(double A, double G, double R2)
{
    /// <summary>The fitted value A·G^x.</summary>
    public double At(double x) => A * Math.Pow(G, x);

    public static ExponentialFit Fit(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"exponential fit: {x.Count} x values but {y.Count} y values");
        if (x.Count < 2) throw new ArgumentException($"exponential fit: needs at least 2 points, got {x.Count}");
        for (int i = 0; i < y.Count; i++)
            if (!(y[i] > 0) || !double.IsFinite(y[i]) || !double.IsFinite(x[i]))
                throw new ArgumentException($"exponential fit: point {i} is ({x[i]}, {y[i]}); y must be positive and both finite");
        var ly = y.Select(v => Math.Log(v)).ToArray();
        double mx = x.Average(), my = ly.Average(), sxx = 0, sxy = 0;
        for (int i = 0; i < ly.Length; i++)
        {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (ly[i] - my);
        }
        if (sxx == 0) throw new ArgumentException("exponential fit: all x values are equal");
        double slope = sxy / sxx, intercept = my - slope * mx, ssRes = 0, ssTot = 0;
        for (int i = 0; i < ly.Length; i++)
        {
            double r = ly[i] - (intercept + slope * x[i]);
            ssRes += r * r;
            ssTot += (ly[i] - my) * (ly[i] - my);
        }
        double r2 = ssTot == 0 ? 1 : 1 - ssRes / ssTot;
        return new ExponentialFit(Math.Exp(intercept), Math.Exp(slope), r2);
    }

    /// <summary>Fit over x = 0, 1, 2, ... (e.g. layers).</summary>
    public static ExponentialFit Fit(IReadOnlyList<double> y) => Fit(Enumerable.Range(0, y.Count).Select(i => (double)i).ToArray(), y);
}
