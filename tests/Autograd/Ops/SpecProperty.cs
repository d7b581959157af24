using System.Diagnostics;
using Interp.Testing;

namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// An op's gradient property run through Interp.Testing. A spec of float inputs with no sampler of its own gets the
/// library's generators (shapes, broadcast partners, view chains, values of each input's domain) once per keyword
/// variant; a spec with its own <see cref="OpSpec.Sample"/> (dims, kernels, indices) draws its calls from seeds, recast
/// as <see cref="SampledCall"/>s. Either way a failure shrinks structurally and reports the smallest case as C#.
/// </summary>
public static class SpecProperty
{
    /// <summary>The spec's cases, checked in float64 on the CPU with the spec's tolerances.</summary>
    public static (GradReport Report, string Op) Run(OpSpec spec) =>
        GeneratedByTheLibrary(spec) ? RunGenerated(spec) : RunSampled(spec);

    /// <summary>The options of a spec's run: its number of cases and tolerances; rank 0–3, sizes 1–4 as the samplers draw.</summary>
    public static GradOptions Options(OpSpec spec) => new()
    {
        Runs = spec.Runs,
        MaxRank = 3,
        Atol = spec.GradTolerance.atol,
        Rtol = spec.GradTolerance.rtol,
        DTypes = [DType.Float64],
        Pairing = spec.Shapes == Shapes.Broadcast ? Pairing.Broadcast : Pairing.SameShape,
    };

    public static bool GeneratedByTheLibrary(OpSpec spec) => spec.Sample is null && spec.Inputs.All(i => i.IsFloat);

    static (GradReport, string) RunGenerated(OpSpec spec)
    {
        var variants = KeywordVariants(spec);
        var domains = spec.Inputs.Select(i => i.Domain).ToArray();
        var options = Options(spec) with { Runs = Math.Max(5, spec.Runs / variants.Length) };
        for (int k = 0; k < variants.Length; k++)
        {
            var kwargs = variants[k];
            var report = GradProperty.Run(xs => spec.Forward(new OpArgs(spec.Inputs, xs, kwargs)), domains, options with { Seed = (ulong)(1 + 1000 * k) });
            var op = $"op is {spec.Name}'s forward from the op table{(kwargs.Values.Count > 0 ? $" with {kwargs}" : "")}";
            if (!report.Passed || k == variants.Length - 1) return (report, op);
        }
        throw new UnreachableException();
    }

    /// <summary>The distinct keyword arguments <see cref="OpSpec.RandomArgs"/> draws (one empty set when it has none).</summary>
    public static Kwargs[] KeywordVariants(OpSpec spec) => spec.RandomArgs is null ? [new Kwargs()]
        : Enumerable.Range(0, 50).Select(seed => spec.RandomArgs(new TestData(seed)))
            .DistinctBy(kw => kw.ToString()).ToArray();

    static (GradReport, string) RunSampled(OpSpec spec)
    {
        var options = Options(spec);
        return RunSampled(spec, options, "gradient property", call => xs => CaseChecks.All(call.Op, xs, options));
    }

    /// <summary>
    /// The spec's own calls from seeds <paramref name="firstSeed"/> on, each float input recast (e.g. to a dtype and
    /// device) and checked; the first failing call is shrunk with the library's shrinkers.
    /// </summary>
    public static (GradReport Report, string Op) RunSampled(OpSpec spec, GradOptions options, string property,
        Func<SampledCall, Func<TensorCase[], Failure?>> checkOf, Func<TensorCase, TensorCase>? recast = null, int firstSeed = 0)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < options.Runs; i++)
        {
            var call = SampledCall.Draw(spec, firstSeed + i);
            var inputs = recast is null ? call.Inputs : call.Inputs.Select(recast).ToArray();
            var check = checkOf(call);
            if (check(inputs) is not { } failure) continue;
            var found = clock.Elapsed;
            var (shrunk, shrunkFailure, steps, tries) = CaseSearch.Shrink(check, inputs, failure, call.Domains, options);
            return (new GradReport(i + 1, found, clock.Elapsed - found, inputs, shrunk, shrunkFailure, steps, tries, property), call.Describe());
        }
        return (new GradReport(options.Runs, clock.Elapsed, TimeSpan.Zero, null, null, null, 0, 0, property), spec.Name);
    }
}
