using Interp.Testing;
using Xunit;

namespace Interp.Tests.Testing;

/// <summary>Real ops pass GradProperty with the default options (100 cases, views, float32 runs, linearity).</summary>
public class CorrectOpsTests
{
    [Fact] public void Mul() => GradProperty.Check((a, b) => a * b);

    [Fact] public void Exp() => GradProperty.Check(x => x.Exp());

    [Fact] public void Sum() => GradProperty.Check(x => x.Sum() + x.Sum(-1).Sum(), options: new() { MinRank = 1 });

    [Fact]
    public void MatMul() => GradProperty.Check((a, b) => a.MatMul(b.MT), options: new() { MinRank = 2, Pairing = Pairing.SameShape });

    [Fact]
    public void EmptyDims()
    {
        var withEmpty = new GradOptions { EmptyDims = true, Runs = 50 };
        GradProperty.Check((a, b) => a * b, options: withEmpty);
        GradProperty.Check(x => x.Exp().Sum(), options: withEmpty);
    }

    [Fact] public void MaxOfDistinctValues() => GradProperty.Check(x => x.Max(), Domain.Distinct, new() { MinRank = 1 });

    [Fact] public void LogOnPositiveValues() => GradProperty.Check(x => x.Log(), Domain.Positive);

    [Fact]
    public void SecondDerivativesOfMulAndSquare()
    {
        // views on: slice's backward is recorded, so second derivatives through the drawn views are checked too
        var twice = new GradOptions { SecondDerivative = true, Runs = 30 };
        GradProperty.Check((a, b) => a * b, options: twice);
        GradProperty.Check(x => x.Square(), options: twice);
    }

    [Fact]
    public void SecondDerivativeCheckFailsOnAFusedBackward()
    {
        // softmax's backward is one fused kernel; differentiating it again is refused, which the opt-in check reports
        var options = new GradOptions { SecondDerivative = true, Runs = 10, MinRank = 1, MaxViews = 0 };
        var report = GradProperty.Run(xs => xs[0].Softmax(-1), [Domain.Any], options);
        Assert.False(report.Passed);
        Assert.Equal(FailureKind.Threw, report.Failure!.Kind);
        Assert.Contains("cannot be differentiated again", report.Failure.Message);
        Assert.True(GradProperty.Run(xs => xs[0].Softmax(-1), [Domain.Any], options with { SecondDerivative = false }).Passed);
    }
}
