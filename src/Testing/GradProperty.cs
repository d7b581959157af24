using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;

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
        var gen = Generators.Inputs(domains, o);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < o.Runs; i++)
        {
            var inputs = Gen.Sample(gen, 10, new Rnd(o.Seed + (ulong)i), 1)[0];
            if (CaseChecks.All(op, inputs, o) is not { } failure) continue;
            var found = clock.Elapsed;
            var shrunk = Shrink(op, inputs, failure, domains, o);
            return new GradReport(i + 1, found, clock.Elapsed - found, inputs, shrunk.Inputs, shrunk.Failure, shrunk.Steps, shrunk.Tries);
        }
        return new GradReport(o.Runs, clock.Elapsed, TimeSpan.Zero, null, null, null, 0, 0);
    }

    /// <summary>
    /// Greedy shrinking: take the first simpler candidate that fails the same check (for a throw: the same exception
    /// type in the same check), and start again from it, until
    /// no candidate fails or <see cref="GradOptions.MaxShrinkTries"/> candidates have been tried.
    /// </summary>
    public static (TensorCase[] Inputs, Failure Failure, int Steps, int Tries) Shrink(
        Func<Tensor[], Tensor> op, TensorCase[] inputs, Failure failure, Domain[] domains, GradOptions options)
    {
        int steps = 0, tries = 0;
        bool progressed = true;
        while (progressed && tries < options.MaxShrinkTries)
        {
            progressed = false;
            foreach (var candidate in Shrinkers.Inputs(inputs, domains, options))
            {
                if (++tries > options.MaxShrinkTries) break;
                if (CaseChecks.All(op, candidate, options) is { } f && f.SameAs(failure))
                {
                    (inputs, failure, progressed) = (candidate, f, true);
                    steps++;
                    break;
                }
            }
        }
        return (inputs, failure, steps, Math.Min(tries, options.MaxShrinkTries));
    }
}
