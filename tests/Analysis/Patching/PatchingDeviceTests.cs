using Interp.Analysis.Patching;
using Interp.Tests.Gpu;
using Interp.Transformers;
using Xunit;
using static Interp.Tests.Analysis.Patching.PatchingTestModels;

namespace Interp.Tests.Analysis.Patching;

/// <summary>
/// The patching tools on CUDA give the CPU's numbers: no tool assumes where the model lives. (Path patching alone on
/// ILGPU's CPU accelerator also matched, but takes ~40 s there, too slow for the suite.)
/// </summary>
public class PatchingDeviceTests
{
    static (HookedTransformer Cpu, HookedTransformer Device) Models(Device device)
    {
        var cfg = Config(layers: 2, dMlp: 0) with { Dtype = DType.Float32 };
        var dev = Random(cfg);
        dev.To(device);
        return (Random(cfg), dev);
    }

    [CudaFact]
    public void ActivationAttributionAndPathPatchingMatchTheCpuOnCuda()
    {
        var (cpu, dev) = Models(Device.Cuda());
        var (clean, corrupted, answers, wrong) = Prompts();
        (Tensor Heads, Tensor Attribution, double Path) Run(HookedTransformer model)
        {
            var metric = PatchMetrics.NormalizedLogitDiff(model, clean, corrupted, answers, wrong);
            return (ActivationPatching.HeadsByPosition(model, clean, corrupted, metric, PatchDirection.Noising),
                    AttributionPatching.Run(model, clean, corrupted, metric).HeadsByPosition.To(Device.Cpu),
                    PathPatching.Run(model, clean, corrupted, (0, 1), [(1, 0, "k"), (1, 1, "v")], metric));
        }
        var (h0, a0, p0) = Run(cpu);
        var (h1, a1, p1) = Run(dev);
        Assert.True(PatchStats.MaxAbsDifference(h0, h1) < 1e-4, $"activation patching differs by {PatchStats.MaxAbsDifference(h0, h1):G3}");
        Assert.True(PatchStats.MaxAbsDifference(a0, a1) < 1e-4, $"attribution patching differs by {PatchStats.MaxAbsDifference(a0, a1):G3}");
        Assert.Equal(p0, p1, 4);
    }
}
