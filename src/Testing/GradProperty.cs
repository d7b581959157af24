namespace Interp.Testing;

/// <summary>
/// Property-based gradient testing in one line: <c>GradProperty.Check(x => MyOp(x), Domain.Positive)</c> runs
/// <see cref="GradOptions.Runs"/> random cases (shapes, views, values, dtypes, devices) through <see cref="CaseChecks"/>;
/// on a failure it shrinks the case and throws <see cref="GradPropertyException"/> with the smallest one as runnable C#.
/// </summary>
public static class GradProperty
{
    public static void Check(Func<Tensor, Tensor> op, Domain? domain = null, GradOptions? options = null) =>
        Check(xs => op(xs[0]), [domain ?? Domain.Any], options);

    /// <summary>An op of two tensors; by default their shapes broadcast against each other (see <see cref="CaseOptions.Pairing"/>).</summary>
    public static void Check(Func<Tensor, Tensor, Tensor> op, Domain? first = null, Domain? second = null, GradOptions? options = null) =>
        Check(xs => op(xs[0], xs[1]), [first ?? Domain.Any, second ?? Domain.Any], options);

    public static void Check(Func<Tensor[], Tensor> op, Domain[] domains, GradOptions? options = null)
    {
        var report = Run(op, domains, options);
        if (report.Failure is not null) throw new GradPropertyException(report);
    }

    /// <summary>Runs the cases and, on a failure, shrinks it; the report says what happened (it does not throw).</summary>
    public static GradReport Run(Func<Tensor[], Tensor> op, Domain[] domains, GradOptions? options = null)
    {
        var o = options ?? new GradOptions();
        return CaseSearch.Run(inputs => CaseChecks.All(op, inputs, o), domains, o, "gradient property");
    }

    /// <summary>Shrinks a case that fails <see cref="CaseChecks.All"/> (see <see cref="CaseSearch.Shrink"/>).</summary>
    public static (TensorCase[] Inputs, Failure Failure, int Steps, int Tries) Shrink(
        Func<Tensor[], Tensor> op, TensorCase[] inputs, Failure failure, Domain[] domains, GradOptions options) =>
        CaseSearch.Shrink(candidate => CaseChecks.All(op, candidate, options), inputs, failure, domains, options);
}
