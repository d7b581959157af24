using Interp.Autograd;

namespace Interp.Analysis.Sae;

/// <summary>The geometric median argmin_m Σ_i ‖x_i − m‖ of points x [n, d], by Weiszfeld's iteration (as SAELens).</summary>
public static class GeometricMedian
{
    /// <param name="eps">lower bound on the distances, so that a point that coincides with the estimate does not divide by 0</param>
    /// <param name="ftol">stop once the objective improves by at most ftol times its value</param>
    public static (Tensor Median, int Iterations, double Objective) Compute(Tensor points, int maxIterations = 100, double ftol = 1e-20, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Rank != 2 || points.Size(0) == 0)
            throw new ArgumentException($"geometric_median: expected points [n, d] with n >= 1, got {ShapeUtil.Format(points.ShapeArray)}");
        if (maxIterations < 1) throw new ArgumentException($"geometric_median: max iterations must be >= 1, got {maxIterations}");
        using var _ = GradMode.NoGrad();
        var x = points.Detach();
        var median = x.Mean(0);
        double objective = Distances(x, median).Sum().Item();
        int it = 0;
        while (it < maxIterations)
        {
            it++;
            // m ← Σ w_i x_i / Σ w_i with w_i = 1 / max(eps, ‖x_i − m‖)
            var w = Distances(x, median).Clamp(min: eps).Reciprocal().Unsqueeze(1);
            median = (w * x).Sum(0) / w.Sum();
            double previous = objective;
            objective = Distances(x, median).Sum().Item();
            if (Math.Abs(previous - objective) <= ftol * objective) break;
        }
        return (median, it, objective);
    }

    static Tensor Distances(Tensor x, Tensor m) => (x - m).Norm(2, 1);
}
