using Interp.Training;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>
/// The toy trainers on another device (ILGPU's CPU accelerator here, CUDA where there is one) follow the CPU run: same
/// initialisation, same data, so the same held-out losses up to float32 rounding.
/// </summary>
public class ToyTrainingOnDeviceTests
{
    [Fact]
    public void Modular_addition_on_ilgpu_cpu_tracks_the_cpu_run() => ModAddTracks(Device.IlgpuCpu);

    [CudaFact]
    public void Modular_addition_on_cuda_tracks_the_cpu_run() => ModAddTracks(Device.Cuda());

    [Fact]
    public void Induction_on_ilgpu_cpu_tracks_the_cpu_run()
    {
        var options = new InductionOptions(Steps: 4, VocabSize: 16, Length: 6, DModel: 16, NHeads: 2, DHead: 8, BatchSize: 4,
            LearningRate: 1e-2, EvalEvery: 2, EvalBatch: 8);
        var cpu = ToyModels.TrainInduction(options);
        var dev = ToyModels.TrainInduction(options, device: Device.IlgpuCpu);
        Assert.Equal(Device.IlgpuCpu, dev.Model.Parameters().First().Device);
        Assert.Equal(cpu.Curve.Count, dev.Curve.Count);
        for (int i = 0; i < cpu.Curve.Count; i++)
        {
            Close(cpu.Curve[i].FirstHalfLoss, dev.Curve[i].FirstHalfLoss);
            Close(cpu.Curve[i].SecondHalfLoss, dev.Curve[i].SecondHalfLoss);
        }
    }

    static void ModAddTracks(Device device)
    {
        var options = new ModAddOptions(MaxSteps: 4, P: 7, TrainFraction: 0.6, DModel: 16, NHeads: 2, DHead: 8, DMlp: 32,
            LearningRate: 1e-2, EvalEvery: 2);
        var cpu = ToyModels.TrainModularAddition(options);
        var dev = ToyModels.TrainModularAddition(options, device: device);
        Assert.All(dev.Model.Parameters(), p => Assert.Equal(device, p.Device));
        Assert.Equal(cpu.Curve.Count, dev.Curve.Count);
        for (int i = 0; i < cpu.Curve.Count; i++)
        {
            Close(cpu.Curve[i].TrainLoss, dev.Curve[i].TrainLoss);
            Close(cpu.Curve[i].TestLoss, dev.Curve[i].TestLoss);
        }
        Assert.NotEqual(cpu.Curve[0].TrainLoss, cpu.Curve[^1].TrainLoss);   // the runs did train
    }

    static void Close(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-3 * Math.Max(1, Math.Abs(expected)), $"loss {actual} on the device, {expected} on the CPU");
}
