using Interp.Testing;
using Interp.Tests.Autograd.Ops;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>
/// Every op of the table that runs on ILGPU gives the CPU's output and input gradients, through Interp.Testing's
/// device-parity property: random shapes, broadcast partners and view chains (or the spec's own sampler), in float64
/// (within 1e-10 of the CPU, relative to max(1, |cpu|)) and float32 (the spec's tolerance, 1e-4 by default); on ILGPU's
/// CPU accelerator here, and on CUDA where a GPU exists. A failure shrinks to the smallest case and prints it as C#.
/// The kernels no op reaches directly (copies, optimizer updates, im2col) keep their own cases in IlgpuBackendTests.
/// </summary>
public class OpParityTests
{
    /// <summary>Cases per dtype: ILGPU's CPU accelerator is slow.</summary>
    const int CasesPerDType = 2;
    static readonly DType[] DTypes = [DType.Float64, DType.Float32];

    public static IEnumerable<object[]> Ops() => OpTable.Rows(s => s.OnGpu);

    [Theory, MemberData(nameof(Ops))]
    public void IlgpuCpu_matches_cpu(string op) => Matches(OpTable.Specs[op], Device.IlgpuCpu);

    [CudaTheory, MemberData(nameof(Ops))]
    public void Cuda_matches_cpu(string op) => Matches(OpTable.Specs[op], Device.Cuda());

    static void Matches(OpSpec spec, Device device)
    {
        for (int k = 0; k < DTypes.Length; k++)
        {
            var dtype = DTypes[k];
            var options = SpecProperty.Options(spec) with
            {
                Runs = CasesPerDType, DTypes = [dtype], Devices = [device], Float32DeviceTolerance = spec.Float32Tolerance,
            };
            var (report, what) = SpecProperty.GeneratedByTheLibrary(spec) ? Generated(spec, k, options) : Sampled(spec, options with { Seed = (ulong)k });
            if (!report.Passed) throw new GradCheckException($"{spec.Name}: {report}where {what}");
        }
    }

    /// <summary>The library's cases with the k-th keyword variant (variants take turns over the dtypes).</summary>
    static (GradReport, string) Generated(OpSpec spec, int k, GradOptions options)
    {
        var variants = SpecProperty.KeywordVariants(spec);
        var kwargs = variants[k % variants.Length];
        var report = ParityProperty.Run(xs => spec.Forward(new OpArgs(spec.Inputs, xs, kwargs)), spec.Inputs.Select(i => i.Domain).ToArray(), options with { Seed = (ulong)(1 + 1000 * k) });
        return (report, $"op is {spec.Name}'s forward from the op table{(kwargs.Values.Count > 0 ? $" with {kwargs}" : "")}");
    }

    /// <summary>The spec's own calls, their float inputs moved to the device in the dtype (the constants follow them).</summary>
    static (GradReport, string) Sampled(OpSpec spec, GradOptions options) =>
        SpecProperty.RunSampled(spec, options, "device parity", call => xs => CaseChecks.DeviceParity(call.Op, xs, options),
            c => c with { DType = options.DTypes[0], Device = options.Devices[0] }, firstSeed: (int)options.Seed * options.Runs);
}
