using Interp.Gpu;
using Interp.Optim;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>
/// A training step on a device, after warm-up, moves nothing between host and device and never waits for the device,
/// except where the caller asks (reading the loss): on a GPU each such copy stalls the pipeline.
/// </summary>
public class HostTrafficTests
{
    [Fact]
    public void A_transformer_training_step_has_no_host_traffic_but_reading_the_loss()
    {
        var device = Device.IlgpuCpu;
        var cfg = new TransformerConfig { NLayers = 1, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, DVocab = 11, NCtx = 6, ActFn = "gelu", Normalization = "LN", UseAttnResult = false, Seed = 1 };
        var model = new HookedTransformer(cfg);
        model.To(device);
        var opt = new AdamW(model.Parameters(), lr: 1e-3);
        var tokens = Tensor.RandInt(0, cfg.DVocab, [2, cfg.NCtx + 1], new Generator(2));
        var input = tokens.Narrow(1, 0, cfg.NCtx).Contiguous().To(device);
        var target = tokens.Narrow(1, 1, cfg.NCtx).Contiguous().Reshape(-1).To(device);
        Tensor Step()
        {
            opt.ZeroGrad();
            var loss = model.Forward(input).Reshape(-1, cfg.DVocab).CrossEntropy(target);
            loss.Backward();
            opt.Step();
            return loss;
        }
        Step();                                       // warm-up: kernels compiled, masks made and cached
        var before = IlgpuBackend.TrafficOnThisThread;   // other tests may use the device meanwhile
        var loss = Step();
        var during = IlgpuBackend.TrafficOnThisThread - before;
        Assert.True(during == default, $"one step: {during}");
        double value = loss.Item();                   // the one copy the caller asks for
        Assert.True(double.IsFinite(value));
        Assert.Equal(new DeviceTraffic(0, 1, 1), IlgpuBackend.TrafficOnThisThread - before);
    }
}
