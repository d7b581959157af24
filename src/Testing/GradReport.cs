using System.Text;

namespace Interp.Testing;

/// <summary>
/// The outcome of a property run: how many cases ran and how long finding and shrinking took; on a failure, the case
/// first found, the shrunk one and what it failed.
/// </summary>
public sealed record GradReport(
    int CasesRun, TimeSpan FindTime, TimeSpan ShrinkTime,
    TensorCase[]? Original, TensorCase[]? Shrunk, Failure? Failure, int ShrinkSteps, int ShrinkTries,
    string Property = "gradient property")
{
    public bool Passed => Failure is null;

    public override string ToString()
    {
        if (Failure is null) return $"passed {CasesRun} cases in {FindTime.TotalSeconds:F2} s";
        var s = new StringBuilder();
        s.AppendLine($"{Property} failed on case {CasesRun} ({FindTime.TotalSeconds:F2} s); shrunk in {ShrinkSteps} steps ({ShrinkTries} tries, {ShrinkTime.TotalSeconds:F2} s) to:");
        for (int k = 0; k < Shrunk!.Length; k++) s.AppendLine($"  input {k}: {Shrunk[k]}");
        s.AppendLine(Failure.Worst is { } w ? $"  {Failure.Kind}: worst at {w}" : $"  {Failure}");
        s.AppendLine("To reproduce (op is the function under test):");
        s.AppendLine(Failure.Kind switch
        {
            FailureKind.DeviceParity => ParityReproductionCode(Shrunk),
            FailureKind.NotRefused => CallReproductionCode(Shrunk),
            _ => ReproductionCode(Shrunk),
        });
        s.AppendLine("First failing case, before shrinking:");
        for (int k = 0; k < Original!.Length; k++) s.AppendLine($"  input {k}: {Original[k]}");
        return s.ToString();
    }

    /// <summary>C# that rebuilds the inputs and runs GradCheck on them.</summary>
    public static string ReproductionCode(TensorCase[] inputs)
    {
        var s = new StringBuilder();
        for (int k = 0; k < inputs.Length; k++) s.AppendLine(inputs[k].ToCSharp($"x{k}"));
        string views = string.Join(", ", inputs.Select((_, k) => $"x{k}View(xs[{k}])"));
        string leaves = string.Join(", ", inputs.Select((_, k) => $"x{k}Leaf"));
        s.Append($"GradCheck.Assert(xs => op({views}), [{leaves}]);");
        if (inputs[0].DType != DType.Float64 || inputs[0].Device != Device.Cpu)
            s.Append($"   // and the same in {inputs[0].DType.Name()} on {inputs[0].Device} (x0Leaf.To(...)) against float64 on cpu");
        return s.ToString();
    }

    /// <summary>C# that rebuilds the inputs on the CPU and on the failing device, for comparing op's outputs and gradients.</summary>
    public static string ParityReproductionCode(TensorCase[] inputs)
    {
        var s = new StringBuilder();
        for (int k = 0; k < inputs.Length; k++) s.AppendLine(inputs[k].ToCSharp($"x{k}"));
        s.AppendLine($"var onCpu = op({Arguments(inputs, "Device.Cpu")});");
        s.Append($"var onDevice = op({Arguments(inputs, DeviceCSharp(inputs[0].Device))});   // then compare them, and the gradients of Σ op·r");
        return s.ToString();
    }

    /// <summary>C# that rebuilds the inputs in their dtype and calls op, which must refuse them.</summary>
    public static string CallReproductionCode(TensorCase[] inputs)
    {
        var s = new StringBuilder();
        for (int k = 0; k < inputs.Length; k++) s.AppendLine(inputs[k].ToCSharp($"x{k}"));
        s.Append($"op({Arguments(inputs, DeviceCSharp(inputs[0].Device))});   // must throw");
        return s.ToString();
    }

    static string Arguments(TensorCase[] inputs, string device) =>
        string.Join(", ", inputs.Select((c, k) => $"x{k}View(x{k}Leaf.To(DType.{DTypeCSharp(c.DType)}).To({device}))"));

    static string DTypeCSharp(DType dtype) { var n = dtype.Name(); return char.ToUpperInvariant(n[0]) + n[1..]; }

    static string DeviceCSharp(Device device) => device == Device.Cpu ? "Device.Cpu" : device == Device.IlgpuCpu ? "Device.IlgpuCpu" : "Device.Cuda()";
}

/// <summary>Thrown by <see cref="GradProperty.Check(Func{Tensor[], Tensor}, Domain[], GradOptions?)"/> with the shrunk counterexample.</summary>
public sealed class GradPropertyException(GradReport report) : Exception(report.ToString())
{
    public GradReport Report { get; } = report;
}
