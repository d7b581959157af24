using Interp.Testing;
using Xunit;

namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// Every differentiable op of the table against central finite differences in float64, through Interp.Testing's
/// GradProperty (see <see cref="SpecProperty"/>): random shapes (size-1 dims included), broadcast partners and
/// non-contiguous inputs (permuted, strided, expanded), each input from its domain. A failure shrinks to the smallest
/// case that still fails and prints it as C#.
/// </summary>
public class GradientTests
{
    public static IEnumerable<object[]> Differentiable() => OpTable.Rows(s => s.Differentiable);

    [Theory, MemberData(nameof(Differentiable))]
    public void MatchesFiniteDifferences(string op)
    {
        var (report, what) = SpecProperty.Run(OpTable.Specs[op]);
        if (!report.Passed) throw new GradCheckException($"{op}: {report}where {what}");
    }
}
