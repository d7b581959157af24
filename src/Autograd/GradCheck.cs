using Interp.Autograd;

namespace Interp;

/// <summary>
/// Compares autograd's gradients with central finite differences, (f(x+ε) − f(x−ε)) / 2ε, in float64.
/// The output is projected on a fixed random vector first, so every output element's gradient is exercised.
/// </summary>
public static class GradCheck
{
    /// <summary>Throws with the worst element when the analytical and numerical gradients disagree.</summary>
    public static void Assert(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-4, ulong seed = 1)
    {
        if (Run(f, inputs, eps, atol, rtol, seed) is { } worst) throw new GradCheckException(worst);
    }

    /// <summary>Null when every gradient element agrees within atol + rtol·|numerical|, else the worst mismatch.</summary>
    public static string? Run(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-4, ulong seed = 1)
    {
        foreach (var x in inputs)
            if (x.DType != DType.Float64 || !x.IsLeaf || !x.IsContiguous)
                throw new ArgumentException("gradcheck: inputs must be contiguous float64 leaves (take views inside f)");
        foreach (var x in inputs) { x.RequiresGrad = true; x.Grad = null; }

        var y0 = f(inputs);
        var proj = Tensor.Randn(y0.ShapeArray, new Generator(seed), DType.Float64);
        (y0 * proj).Sum().Backward();
        var analytical = inputs.Select(x => x.Grad?.ToArray<double>() ?? new double[x.Numel]).ToArray();

        using var _ = GradMode.NoGrad();
        string? worst = null;
        double worstExcess = 0;
        for (int k = 0; k < inputs.Length; k++)
        {
            var data = ((CpuStorage)inputs[k].Storage).As<double>();
            for (int i = 0; i < inputs[k].Numel; i++)
            {
                int at = inputs[k].Offset + i;
                double saved = data[at];
                data[at] = saved + eps; double plus = (f(inputs) * proj).Sum().Item();
                data[at] = saved - eps; double minus = (f(inputs) * proj).Sum().Item();
                data[at] = saved;
                double numerical = (plus - minus) / (2 * eps);
                double err = Math.Abs(numerical - analytical[k][i]);
                double excess = err - (atol + rtol * Math.Abs(numerical));
                if (excess > worstExcess || double.IsNaN(err))
                {
                    worstExcess = double.IsNaN(err) ? double.PositiveInfinity : excess;
                    worst = $"input {k} {ShapeUtil.Format(inputs[k].shape)} element {i}: analytical {analytical[k][i]:G10}, numerical {numerical:G10}";
                }
            }
        }
        return worst;
    }
}

public sealed class GradCheckException(string message) : Exception("gradcheck failed: " + message);
