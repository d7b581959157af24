using Interp.Testing;
using Xunit;

namespace Interp.Tests.Testing;

/// <summary>BadInputProperty: cases of shapes that do not broadcast, and what it reports when an op takes one badly.</summary>
public class RefusalTests
{
    static readonly GradOptions Clashing = new() { Pairing = Pairing.Clashing, Runs = 30 };

    static readonly ExpectedError NamesBothShapes = new(typeof(ArgumentException),
        xs => ["myop", ShapeUtil.Format(xs[0].Shape), ShapeUtil.Format(xs[1].Shape)]);

    [Fact]
    public void ClashingShapesNeverBroadcast()
    {
        var report = BadInputProperty.Run(xs => xs[0] + xs[1], [Domain.Any, Domain.Any],
            NamesBothShapes with { Fragments = xs => ["add", ShapeUtil.Format(xs[0].Shape), ShapeUtil.Format(xs[1].Shape)] }, Clashing with { Runs = 100 });
        Assert.True(report.Passed, report.ToString());
    }

    [Fact]
    public void AMessageThatNamesOneShapeShrinksToTheSmallestClash()
    {
        Tensor MyOp(Tensor a, Tensor b) =>
            Shrinkers.Related([Case(a), Case(b)], Pairing.Broadcast) ? a * b
                : throw new ArgumentException($"myop: cannot combine {ShapeUtil.Format(a.ShapeArray)}");
        var report = BadInputProperty.Run(xs => MyOp(xs[0], xs[1]), [Domain.Any, Domain.Any], NamesBothShapes, Clashing);
        Assert.False(report.Passed);
        Assert.Equal(FailureKind.NotRefused, report.Failure!.Kind);
        Assert.StartsWith("message lacks a fragment", report.Failure.Message);
        Assert.All(report.Shrunk!, x => Assert.True(x.Shape.Length == 1 && x.Views.Length == 0, report.ToString()));
        Assert.Contains("// must throw", report.ToString());
    }

    [Fact]
    public void AnOpThatAcceptsEverythingIsReported()
    {
        var report = BadInputProperty.Run(xs => xs[0].Sum() + xs[1].Sum(), [Domain.Any, Domain.Any], NamesBothShapes, Clashing);
        Assert.False(report.Passed);
        Assert.StartsWith("did not throw", report.Failure!.Message);
    }

    [Fact]
    public void AnotherExceptionTypeIsReported()
    {
        var report = BadInputProperty.Run(xs => throw new IndexOutOfRangeException("deep inside a kernel"), [Domain.Any, Domain.Any], NamesBothShapes, Clashing);
        Assert.StartsWith("wrong exception: IndexOutOfRangeException", report.Failure!.Message);
    }

    static TensorCase Case(Tensor t) => new(t.ShapeArray, [], new double[t.Numel], DType.Float64, Device.Cpu);
}
