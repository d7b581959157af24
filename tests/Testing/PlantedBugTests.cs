using Interp.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Testing;

/// <summary>
/// Each planted gradient bug is found within the default number of cases and shrunk to a case of at most 2 dims of
/// size at most 2 (the strides bug: one view step); each op's correct twin passes the same property.
/// </summary>
public class PlantedBugTests(ITestOutputHelper output)
{
    static readonly GradOptions Defaults = new();

    void AssertSmall(GradReport report, Func<Tensor[], Tensor> op, int maxViews = 0)
    {
        output.WriteLine(report.ToString());   // the numbers docs/testing.md quotes: cases, steps, tries, seconds
        Assert.False(report.Passed, "the property did not find the planted bug");
        Assert.True(report.CasesRun <= Defaults.Runs);
        foreach (var input in report.Shrunk!)
        {
            Assert.True(input.Shape.Length <= 2 && input.Shape.All(d => d <= 2), report.ToString());
            Assert.True(input.Views.Length <= maxViews, report.ToString());
        }
        Assert.NotNull(CaseChecks.All(op, report.Shrunk, Defaults));   // the shrunk case really fails
    }

    [Fact]
    public void MissingBroadcastReductionIsFoundAndShrunk()
    {
        Func<Tensor[], Tensor> op = xs => PlantedBugOps.ScaleMissingReduction(xs[0], xs[1]);
        var report = GradProperty.Run(op, [Domain.Any, Domain.Any]);
        AssertSmall(report, op);
        Assert.Equal(FailureKind.Gradient, report.Failure!.Kind);
        Assert.Contains(1, report.Shrunk![1].Shape);   // s broadcasts along a size-1 dim
        Assert.Contains(2, report.Shrunk[0].Shape);
    }

    [Fact]
    public void BackwardWithoutAnyReductionIsFoundAndShrunk()
    {
        Func<Tensor[], Tensor> op = xs => PlantedBugOps.AddWithoutReduction(xs[0], xs[1]);
        var report = GradProperty.Run(op, [Domain.Any, Domain.Any]);
        AssertSmall(report, op);
        Assert.Equal(FailureKind.Threw, report.Failure!.Kind);
        Assert.Contains("backward gave a gradient of shape", report.Failure.Message);
    }

    [Fact]
    public void WrongSignOnOneElementIsFoundAndShrunk()
    {
        Func<Tensor[], Tensor> op = xs => PlantedBugOps.CubeWrongSign(xs[0]);
        var report = GradProperty.Run(op, [Domain.Any]);
        AssertSmall(report, op);
        Assert.Equal(FailureKind.Gradient, report.Failure!.Kind);
        Assert.Empty(report.Shrunk![0].Shape);
        Assert.Equal(1, Math.Abs(report.Shrunk[0].Values.Single()));
        var worst = report.Failure.Worst!;
        Assert.Equal(-worst.Numerical, worst.Analytical, 1e-6);
    }

    [Fact]
    public void BugOnlyOnNonContiguousInputsShrinksToOneViewStep()
    {
        Func<Tensor[], Tensor> op = xs => PlantedBugOps.SquareIgnoringStrides(xs[0]);
        var report = GradProperty.Run(op, [Domain.Any]);
        AssertSmall(report, op, maxViews: 1);
        Assert.Single(report.Shrunk![0].Views);
    }

    [Fact]
    public void BugOnlyAtSize1DimsIsFoundAndShrunk()
    {
        Func<Tensor[], Tensor> op = xs => PlantedBugOps.ExpSize1FastPath(xs[0]);
        var report = GradProperty.Run(op, [Domain.Any]);
        AssertSmall(report, op);
        Assert.Equal(FailureKind.Gradient, report.Failure!.Kind);
        Assert.Equal([1], report.Shrunk![0].Shape);
    }

    [Fact]
    public void TheCorrectTwinsPass()
    {
        GradProperty.Check((x, s) => PlantedBugOps.ScaleCorrect(x, s), options: Defaults with { Runs = 30 });
        GradProperty.Check(x => PlantedBugOps.CubeCorrect(x), options: Defaults with { Runs = 30 });
        GradProperty.Check(x => PlantedBugOps.SquareCorrect(x), options: Defaults with { Runs = 30 });
        GradProperty.Check(x => PlantedBugOps.ExpCorrect(x), options: Defaults with { Runs = 30 });
    }
}
