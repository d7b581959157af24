namespace Interp.Testing;

/// <summary>Which check a case failed; a shrink keeps only candidates that fail the same check.</summary>
public enum FailureKind
{
    /// <summary>Analytical and numerical (central difference) gradients disagree.</summary>
    Gradient,
    /// <summary>The forward or backward pass threw.</summary>
    Threw,
    /// <summary>A gradient does not have its input's shape, dtype or device.</summary>
    GradientType,
    /// <summary>Backward is not linear in the upstream gradient.</summary>
    NotLinear,
    /// <summary>The run in the case's dtype and on its device differs from float64 on the CPU.</summary>
    TypedRun,
    /// <summary>The gradient's own gradient (double backward) disagrees with finite differences.</summary>
    SecondDerivative,
    /// <summary>The output or a gradient on the case's device differs from the CPU's in the same dtype.</summary>
    DeviceParity,
    /// <summary>A bad input was not refused as expected: no exception, another type, or a message without what it must name.</summary>
    NotRefused,
}

/// <summary>The element of a leaf where analytical and numerical gradients differ most.</summary>
public sealed record WorstElement(int Input, int[] Index, double Analytical, double Numerical)
{
    public override string ToString() =>
        $"input {Input} leaf element [{string.Join(", ", Index)}]: analytical {Analytical:G6}, numerical {Numerical:G6}";
}

/// <summary>What went wrong with one case.</summary>
public sealed record Failure(FailureKind Kind, string Message, WorstElement? Worst = null)
{
    /// <summary>
    /// The same kind of failure; for <see cref="FailureKind.Threw"/> also the same exception type in the same check
    /// (for <see cref="FailureKind.NotRefused"/> the same way of not being refused),
    /// so that a shrink does not wander off to a case that throws for another reason (an argument that no longer fits).
    /// </summary>
    public bool SameAs(Failure other) =>
        Kind == other.Kind && (Kind is not (FailureKind.Threw or FailureKind.NotRefused) || Cause(Message) == Cause(other.Message));

    /// <summary>"ArgumentException in the gradient check" of a Threw message, "did not throw" of a NotRefused one.</summary>
    static string Cause(string message) => message.Split(':')[0];

    public override string ToString() => $"{Kind}: {Message}";
}
