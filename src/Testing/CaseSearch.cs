using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;

namespace Interp.Testing;

/// <summary>
/// The loop every property shares: draw cases until one fails a check, then shrink it greedily. A check returns null
/// when a case passes; <see cref="GradProperty"/> and <see cref="ParityProperty"/> differ only in the check.
/// </summary>
public static class CaseSearch
{
    public static GradReport Run(Func<TensorCase[], Failure?> check, Domain[] domains, GradOptions o, string property)
    {
        var gen = Generators.Inputs(domains, o);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < o.Runs; i++)
        {
            var inputs = Gen.Sample(gen, 10, new Rnd(o.Seed + (ulong)i), 1)[0];
            if (check(inputs) is not { } failure) continue;
            var found = clock.Elapsed;
            var shrunk = Shrink(check, inputs, failure, domains, o);
            return new GradReport(i + 1, found, clock.Elapsed - found, inputs, shrunk.Inputs, shrunk.Failure, shrunk.Steps, shrunk.Tries, property);
        }
        return new GradReport(o.Runs, clock.Elapsed, TimeSpan.Zero, null, null, null, 0, 0, property);
    }

    /// <summary>
    /// Greedy shrinking: take the first simpler candidate that fails the same check (for a throw: the same exception
    /// type in the same check), and start again from it, until no candidate fails or
    /// <see cref="GradOptions.MaxShrinkTries"/> candidates have been tried.
    /// </summary>
    public static (TensorCase[] Inputs, Failure Failure, int Steps, int Tries) Shrink(
        Func<TensorCase[], Failure?> check, TensorCase[] inputs, Failure failure, Domain[] domains, GradOptions options)
    {
        int steps = 0, tries = 0;
        bool progressed = true;
        while (progressed && tries < options.MaxShrinkTries)
        {
            progressed = false;
            foreach (var candidate in Shrinkers.Inputs(inputs, domains, options))
            {
                if (++tries > options.MaxShrinkTries) break;
                if (check(candidate) is { } f && f.SameAs(failure))
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
