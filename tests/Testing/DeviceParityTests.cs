using Interp.Autograd;
using Interp.Testing;
using Xunit;

namespace Interp.Tests.Testing;

/// <summary>With every available device in the options, cases run on ILGPU's CPU accelerator (and CUDA where present) too.</summary>
public class DeviceParityTests
{
    static readonly GradOptions OnEveryDevice = new() { Devices = Devices.Available(), Runs = 30 };

    [Fact]
    public void TheIlgpuCpuAcceleratorIsAvailableToTheTests() => Assert.Contains(Device.IlgpuCpu, Devices.Available());

    [Fact]
    public void RealOpsAgreeAcrossDevices()
    {
        GradProperty.Check((a, b) => a * b, options: OnEveryDevice);
        GradProperty.Check(x => x.Exp().Sum(-1), options: OnEveryDevice with { MinRank = 1 });
    }

    /// <summary>tanh whose backward forgets the factor 1 − y² on every device but the CPU.</summary>
    static Tensor TanhWrongOffCpu(Tensor x)
    {
        var y = x.Detach().Tanh();
        return Graph.Record("tanh", y, [x], g => [x.Device == Device.Cpu ? g * (1.0 - y * y) : g]);
    }

    [Fact]
    public void ABugOnlyOffTheCpuShrinksToAnotherDevice()
    {
        var report = GradProperty.Run(xs => TanhWrongOffCpu(xs[0]), [Domain.Any], OnEveryDevice with { Runs = 100 });
        Assert.False(report.Passed);
        Assert.Equal(FailureKind.TypedRun, report.Failure!.Kind);
        Assert.NotEqual(Device.Cpu, report.Shrunk![0].Device);
        Assert.True(report.Shrunk[0].Shape.Length <= 1, report.ToString());
    }

    [Fact]
    public void ParityPropertyFindsTheBugInTheSameDTypeAndShrinksIt()
    {
        var report = ParityProperty.Run(xs => TanhWrongOffCpu(xs[0]), [Domain.Any], new GradOptions { DTypes = [DType.Float32], Runs = 20 });
        Assert.False(report.Passed);
        Assert.Equal(FailureKind.DeviceParity, report.Failure!.Kind);
        Assert.NotEqual(Device.Cpu, report.Shrunk![0].Device);   // the dtype may shrink to float64: the bug is there too
        Assert.True(report.Shrunk[0].Shape.Length <= 1 && report.Shrunk[0].Views.Length == 0, report.ToString());
        Assert.Contains("device parity failed", report.ToString());
        Assert.Contains("var onDevice = op(", report.ToString());
    }

    [Fact]
    public void ParityPropertyPassesARealOpOnEveryDevice() =>
        ParityProperty.Check((a, b) => (a * b).Softmax(-1), options: new GradOptions { Runs = 10, MinRank = 1 });
}
