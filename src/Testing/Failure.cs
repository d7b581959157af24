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
    public override string ToString() => $"{Kind}: {Message}";
}
