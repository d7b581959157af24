using Interp.Testing;
using Xunit;

namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// The bad inputs the op table implies, as properties over Interp.Testing's generators (views included): a broadcasting
/// op given two shapes that do not broadcast names itself and both shapes; a float-only op given int32 names itself,
/// int32 and the shape (ops with samplers of their own: the sampler's calls with int32 inputs). A failure shrinks to the
/// smallest case. The broadcasting ops with masks (where, masked_fill) keep a generated row in <see cref="GeneratedBadInputs"/>.
/// </summary>
public class BadInputPropertyTests
{
    const int Cases = 25;

    public static IEnumerable<object[]> Broadcasting() =>
        OpTable.Rows(s => s.Shapes == Shapes.Broadcast && SpecProperty.GeneratedByTheLibrary(s));

    public static IEnumerable<object[]> FloatOnly() => OpTable.Rows(s => s.FloatOnly);

    /// <summary>The ops these properties cover.</summary>
    public static IEnumerable<string> Covered() => Broadcasting().Concat(FloatOnly()).Select(row => (string)row[0]).Distinct();

    [Theory, MemberData(nameof(Broadcasting))]
    public void ShapesThatDoNotBroadcastAreRefused(string op)
    {
        var spec = OpTable.Specs[op];
        var expected = new ExpectedError(typeof(ArgumentException),
            xs => [spec.ErrorName, ShapeUtil.Format(xs[0].Shape), ShapeUtil.Format(xs[1].Shape)]);
        Assert(spec, expected, Options(spec) with { Pairing = Pairing.Clashing });
    }

    [Theory, MemberData(nameof(FloatOnly))]
    public void Int32IsRefused(string op)
    {
        var spec = OpTable.Specs[op];
        var expected = new ExpectedError(typeof(ArgumentException),
            xs => [spec.ErrorName, "int32", ShapeUtil.Format(xs[0].Shape)]);
        var options = Options(spec) with { DTypes = [DType.Int32], Pairing = Pairing.SameShape };
        if (SpecProperty.GeneratedByTheLibrary(spec)) Assert(spec, expected, options);
        else AssertSampled(spec, expected, options);
    }

    /// <summary>The spec's own calls with every float input made int32 (views kept), shrunk as in SpecProperty.</summary>
    static void AssertSampled(OpSpec spec, ExpectedError expected, GradOptions options)
    {
        var (report, what) = SpecProperty.RunSampled(spec, options, "bad-input property",
            call => xs => BadInputProperty.Refused(call.Op, xs, expected), c => c with { DType = DType.Int32 });
        if (!report.Passed) throw new Xunit.Sdk.XunitException($"{spec.Name}: {report}where {what}");
    }

    static GradOptions Options(OpSpec spec) => SpecProperty.Options(spec) with { Runs = Cases, Seed = 7 };

    static void Assert(OpSpec spec, ExpectedError expected, GradOptions options)
    {
        var kwargs = SpecProperty.KeywordVariants(spec)[0];
        var report = BadInputProperty.Run(xs => spec.Forward(new OpArgs(spec.Inputs, xs, kwargs)),
            spec.Inputs.Select(i => i.Domain).ToArray(), expected, options);
        if (!report.Passed) throw new Xunit.Sdk.XunitException($"{spec.Name}: {report}");
    }
}
