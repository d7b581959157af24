using Interp.Nn;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>module.To(device): the same model object computes the same logits on another device.</summary>
public class ModuleToDeviceTests
{
    [Fact]
    public void A_transformer_moved_to_ilgpu_cpu_gives_the_cpu_logits() => SameLogits(Device.IlgpuCpu);

    [CudaFact]
    public void A_transformer_moved_to_cuda_gives_the_cpu_logits() => SameLogits(Device.Cuda());

    static void SameLogits(Device dev)
    {
        var cfg = new TransformerConfig { NLayers = 2, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, DVocab = 11, NCtx = 8, Seed = 3 };
        var model = new HookedTransformer(cfg);
        var tokens = Tensor.FromArray(new[] { 1, 5, 2, 9, 3, 3, 0, 7 }, [2, 4]);
        var expected = model.Forward(tokens).ToFloatArray();
        var w = model.Parameters().First();
        model.To(dev);
        Assert.Same(w, model.Parameters().First());
        Assert.All(model.Parameters(), p => Assert.Equal(dev, p.Device));
        var actual = model.Forward(tokens.To(dev));
        Assert.Equal(dev, actual.Device);
        var a = actual.ToFloatArray();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - expected[i]) <= 1e-4, $"logit {i}: {a[i]} vs {expected[i]}");
        model.To(Device.Cpu);
        Assert.Equal(expected, model.Forward(tokens).ToFloatArray());
    }

    /// <summary>A loaded GPT-2's W_Q/W_K/W_V are strided views of c_attn: they arrive on the device dense, same logits.</summary>
    [Fact]
    public void A_loaded_gpt2_with_strided_qkv_moves_to_ilgpu_cpu()
    {
        var model = Pretrained.LoadGpt2(FixtureFiles.PathOf("tiny_gpt2.safetensors"), nHeads: 4);
        Assert.False(model.Blocks[0].Attn.W_Q.IsContiguous);
        var tokens = Tensor.FromArray(new[] { 1, 5, 2, 9, 3, 3, 0, 7 }, [2, 4]);
        var expected = model.Forward(tokens).ToFloatArray();
        model.To(Device.IlgpuCpu);
        Assert.True(model.Blocks[0].Attn.W_Q.IsContiguous);
        var a = model.Forward(tokens.To(Device.IlgpuCpu)).ToFloatArray();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - expected[i]) <= 1e-4, $"logit {i}: {a[i]} vs {expected[i]}");
    }

    [Fact]
    public void Only_leaves_move_in_place()
    {
        var x = Tensor.Randn([3, 4], requiresGrad: true);
        var y = x * 2.0;
        Assert.Contains("leaf", Assert.Throws<InvalidOperationException>(() => y.MoveDataTo(Device.IlgpuCpu)).Message);
        Assert.Contains("non-contiguous", Assert.Throws<InvalidOperationException>(() => x.Detach().T.MoveDataTo(Device.IlgpuCpu)).Message);
    }

    [Fact]
    public void RunWithCacheKeepsTheCacheOnTheDeviceAskedFor()
    {
        var cfg = new Interp.Transformers.TransformerConfig { NLayers = 1, DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, DVocab = 11, NCtx = 6, Seed = 3 };
        var model = new Interp.Transformers.HookedTransformer(cfg);
        var tokens = Tensor.FromArray([1, 2, 3, 4], [1, 4]);
        // the same filter for both: caching hook_scale too would make the norms run op by op (equal only up to rounding)
        var (onCpu, cpuCache) = model.RunWithCache(tokens, n => n.EndsWith("hook_resid_post"));
        var (_, deviceCache) = model.RunWithCache(tokens, n => n.EndsWith("hook_resid_post"), device: Device.IlgpuCpu);
        var resid = deviceCache["blocks.0.hook_resid_post"];
        Assert.Equal(Device.IlgpuCpu, resid.Device);
        Assert.Equal(cpuCache["blocks.0.hook_resid_post"].ToDoubleArray(), resid.ToDoubleArray());
        Assert.Equal(Device.Cpu, onCpu.Device);
    }
}
