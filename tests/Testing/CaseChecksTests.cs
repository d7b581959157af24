using Interp.Autograd;
using Interp.Testing;
using Xunit;

namespace Interp.Tests.Testing;

/// <summary>The checks beyond finite differences each catch the bug they are for, on a fixed case.</summary>
public class CaseChecksTests
{
    static readonly TensorCase[] Matrix = [new([2, 2], [], [1, -2, 0.5, 3], DType.Float64, Device.Cpu)];
    static readonly GradOptions Options = new();

    /// <summary>y = x whose backward hands back a float32 gradient for a float64 input (values right to float32 precision).</summary>
    static Tensor IdentityWithFloat32Gradient(Tensor x) => Graph.Record("identity", x.Detach().Clone(), [x], g => [g.To(DType.Float32)]);

    /// <summary>y = 2x whose backward is 2·g·|g|/mean|g|: right in direction for one g, not linear in g.</summary>
    static Tensor DoubleNonLinearBackward(Tensor x) =>
        Graph.Record("double", x.Detach() * 2.0, [x], g => [g * 2.0 * g.Abs() / g.Abs().Mean()]);

    [Fact]
    public void GradientTypeCatchesAWrongDtype()
    {
        Func<Tensor[], Tensor> op = xs => IdentityWithFloat32Gradient(xs[0]);
        Assert.Null(CaseChecks.Gradient(op, Matrix, Options));
        var failure = CaseChecks.GradientType(op, Matrix);
        Assert.Equal(FailureKind.GradientType, failure!.Kind);
        Assert.Contains("float32", failure.Message);
    }

    [Fact]
    public void LinearityCatchesABackwardThatIsNotLinearInTheUpstreamGradient()
    {
        Func<Tensor[], Tensor> op = xs => DoubleNonLinearBackward(xs[0]);
        Assert.Equal(FailureKind.NotLinear, CaseChecks.Linearity(op, Matrix, Options)!.Kind);
        Assert.Null(CaseChecks.Linearity(xs => xs[0] * 2.0, Matrix, Options));
    }

    [Fact]
    public void TypedRunComparesFloat32WithFloat64()
    {
        var float32 = Matrix.Select(c => c with { DType = DType.Float32 }).ToArray();
        Assert.Null(CaseChecks.TypedRun(xs => xs[0].Exp(), float32));
        // an op that adds 0.25 only in its float32 run differs from its float64 run
        var failure = CaseChecks.TypedRun(xs => xs[0].DType == DType.Float32 ? xs[0] + 0.25 : xs[0], float32);
        Assert.Equal(FailureKind.TypedRun, failure!.Kind);
    }

    [Fact]
    public void AnExceptionIsAFailureOfItsOwnKind()
    {
        var failure = CaseChecks.All(_ => throw new ArgumentException("bad shape"), Matrix, Options);
        Assert.Equal(FailureKind.Threw, failure!.Kind);
        Assert.Contains("bad shape", failure.Message);
    }
}
