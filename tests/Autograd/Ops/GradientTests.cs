using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// Every differentiable op of the table against central finite differences in float64 (src/Autograd/GradCheck.cs), on
/// random calls drawn from an FsCheck seed: random shapes (size-1 dims included), broadcast partners and
/// non-contiguous inputs (permuted, strided, expanded), each input from its domain.
/// </summary>
public class GradientTests
{
    public static IEnumerable<object[]> Differentiable() => OpTable.Rows(s => s.Differentiable);

    [Theory, MemberData(nameof(Differentiable))]
    public void MatchesFiniteDifferences(string op)
    {
        var spec = OpTable.Specs[op];
        var property = Prop.ForAll<int>(seed => { CheckOne(spec, seed); return true; });
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(spec.Runs).WithQuietOnSuccess(true), property);
    }

    static void CheckOne(OpSpec spec, int seed)
    {
        var d = new TestData(seed);
        var instance = Instance.Draw(spec, spec.Draw(d), d);
        var floats = instance.FloatIndices.Select(i => instance.Leaves[i]!).ToArray();
        var (atol, rtol) = spec.GradTolerance;
        if (GradCheck.Run(xs => instance.Run(xs), floats, atol: atol, rtol: rtol) is { } worst)
            throw new GradCheckException($"{instance}: {worst}");
    }
}
