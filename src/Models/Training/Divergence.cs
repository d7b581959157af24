using Interp.Autograd;

namespace Interp.Training;

/// <summary>
/// The checks that stop an optimisation at its first NaN or infinity, with a <see cref="NonFiniteException"/> that
/// names who and the step: the loss before the update (so the weights stay those of the previous step), the
/// parameters after it (a huge learning rate can overflow a weight while the loss of that step was still finite).
/// An anomaly-mode error raised inside a step gets the step added.
/// </summary>
public static class Divergence
{
    /// <summary>Throws when <paramref name="loss"/> is NaN or infinite; call it before the backward pass and the update.</summary>
    public static double CheckLoss(string who, int step, double loss) => double.IsFinite(loss) ? loss
        : throw new NonFiniteException($"{who}: the loss is {Describe(loss)} at step {step}; stopped before the update " +
            "(the weights are those of the previous step; anomaly detection names the op that made it)");

    /// <summary>Throws when a parameter holds a NaN or an infinity after the update of <paramref name="step"/>.</summary>
    public static void CheckParameters(string who, int step, IEnumerable<(string Name, Tensor Value)> parameters)
    {
        using var _ = GradMode.NoGrad();
        var all = parameters.ToList();
        if (all.Count == 0) return;
        // one reduction and one read for all of them (a GPU syncs once a step): the sum is NaN or infinite when an
        // element is (or when it overflows, itself a divergence); only then is the culprit looked for
        if (double.IsFinite(all.Select(p => p.Value.Sum().To(DType.Float64)).Aggregate((a, b) => a + b).Item())) return;
        foreach (var (name, value) in all)
            if (!double.IsFinite(value.Sum().Item()))
                throw new NonFiniteException($"{who}: parameter {name} {ShapeUtil.Format(value.ShapeArray)} holds NaN or Inf at step {step}, after the update; " +
                    "stopped (lower the learning rate; anomaly detection names the op that made it)");
        throw new NonFiniteException($"{who}: the parameters' sum overflows at step {step}, after the update; stopped (lower the learning rate)");
    }

    /// <summary>Runs one step; an anomaly-mode error from it is rethrown naming <paramref name="who"/> and the step.</summary>
    public static T AtStep<T>(string who, int step, Func<T> body)
    {
        try { return body(); }
        catch (NonFiniteException e) when (e.Message.StartsWith("anomaly:"))
        {
            throw new NonFiniteException($"{who}: at step {step}, {e.Message}");
        }
    }

    static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "Inf" : "-Inf";
}
