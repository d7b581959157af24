namespace Interp.Testing;

/// <summary>How <see cref="GradProperty"/> checks an op: how many cases, which checks, the tolerances, and (inherited) what cases look like.</summary>
public record GradOptions : CaseOptions
{
    /// <summary>Random cases tried before the property passes.</summary>
    public int Runs { get; init; } = 100;
    /// <summary>Case i is drawn from seed Seed + i, so a run is the same every time.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Shrink candidates tried at most, over the whole shrink.</summary>
    public int MaxShrinkTries { get; init; } = 2000;

    public double Eps { get; init; } = 1e-6;
    public double Atol { get; init; } = 1e-5;
    public double Rtol { get; init; } = 1e-4;

    /// <summary>Backward must be linear in the upstream gradient: grad(a·g1 + b·g2) = a·grad(g1) + b·grad(g2).</summary>
    public bool CheckLinearity { get; init; } = true;
    /// <summary>Device parity: how far a float32 result on another device may be from the CPU's, relative to max(1, |cpu|).</summary>
    public double Float32DeviceTolerance { get; init; } = 1e-4;
    /// <summary>Device parity in float64: kernels differ only in the order of their sums.</summary>
    public double Float64DeviceTolerance { get; init; } = 1e-10;

    /// <summary>Also gradcheck the gradient itself (double backward through createGraph). Off by default: fused kernels refuse it.</summary>
    public bool SecondDerivative { get; init; }
}
