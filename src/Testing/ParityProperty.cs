namespace Interp.Testing;

/// <summary>
/// Device parity in one line: <c>ParityProperty.Check(x => MyOp(x))</c> runs random cases on every device but the CPU
/// (<see cref="Testing.Devices.Available"/>: ILGPU's CPU accelerator, CUDA where present) and compares the output and
/// the input gradients with the CPU's in the same dtype (<see cref="CaseChecks.DeviceParity"/>). On a failure it
/// shrinks the case and throws <see cref="GradPropertyException"/> with the smallest one as C#.
/// </summary>
public static class ParityProperty
{
    public static void Check(Func<Tensor, Tensor> op, Domain? domain = null, GradOptions? options = null) =>
        Check(xs => op(xs[0]), [domain ?? Domain.Any], options);

    public static void Check(Func<Tensor, Tensor, Tensor> op, Domain? first = null, Domain? second = null, GradOptions? options = null) =>
        Check(xs => op(xs[0], xs[1]), [first ?? Domain.Any, second ?? Domain.Any], options);

    public static void Check(Func<Tensor[], Tensor> op, Domain[] domains, GradOptions? options = null)
    {
        var report = Run(op, domains, options);
        if (report.Failure is not null) throw new GradPropertyException(report);
    }

    /// <summary>The cases on the options' devices other than the CPU (all available ones when it names only the CPU).</summary>
    public static GradReport Run(Func<Tensor[], Tensor> op, Domain[] domains, GradOptions? options = null)
    {
        var o = OffTheCpu(options ?? new GradOptions());
        return CaseSearch.Run(inputs => CaseChecks.DeviceParity(op, inputs, o), domains, o, "device parity");
    }

    static GradOptions OffTheCpu(GradOptions o)
    {
        var devices = o.Devices.Where(d => d != Device.Cpu).ToArray();
        if (devices.Length == 0) devices = Devices.Available().Where(d => d != Device.Cpu).ToArray();
        if (devices.Length == 0) throw new InvalidOperationException("device parity: no device other than the CPU is available (reference Interp.Gpu)");
        return o with { Devices = devices };
    }
}
