using Interp.Gpu;
using Interp.Optim;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>Autograd, optimizers and device rules end to end on an ILGPU device: model code unchanged, only the device differs.</summary>
public class IlgpuAutogradTests
{
    [Fact]
    public void Mlp_step_on_ilgpu_cpu_matches_cpu() => MlpStepMatches(Device.IlgpuCpu);

    [CudaFact]
    public void Mlp_step_on_cuda_matches_cpu() => MlpStepMatches(Device.Cuda());

    /// <summary>Two steps of a 2-layer MLP (matmul, bias, gelu, layer norm, cross entropy, Adam) give the same loss and parameters.</summary>
    static void MlpStepMatches(Device dev)
    {
        var (cpuLoss, cpuParams) = TrainMlp(Device.Cpu);
        var (devLoss, devParams) = TrainMlp(dev);
        for (int s = 0; s < cpuLoss.Length; s++) Assert.Equal(cpuLoss[s], devLoss[s], 1e-5);
        for (int i = 0; i < cpuParams.Length; i++)
        {
            Assert.Equal(dev, devParams[i].Device);
            var e = cpuParams[i].ToFloatArray();
            var a = devParams[i].ToFloatArray();
            for (int j = 0; j < e.Length; j++) Assert.True(Math.Abs(e[j] - a[j]) <= 1e-5 * Math.Max(1, Math.Abs(e[j])), $"param {i}[{j}]: {e[j]} vs {a[j]}");
        }
    }

    static (double[] losses, Tensor[] parameters) TrainMlp(Device dev)
    {
        var gen = new Generator(7);
        var w1 = Tensor.Randn([6, 16], gen, device: dev, requiresGrad: true);
        var b1 = Tensor.Zeros([16], device: dev, requiresGrad: true);
        var w2 = Tensor.Randn([16, 4], gen, device: dev, requiresGrad: true);
        var b2 = Tensor.Zeros([4], device: dev, requiresGrad: true);
        var x = Tensor.Randn([10, 6], gen, device: dev);
        var y = Tensor.RandInt(0, 4, [10], gen, device: dev);
        var opt = new Adam([w1, b1, w2, b2], lr: 0.01);
        var losses = new double[2];
        for (int step = 0; step < 2; step++)
        {
            opt.ZeroGrad();
            var h = (x.MatMul(w1) + b1).Gelu("none").LayerNorm([16]);
            var loss = (h.MatMul(w2) + b2).CrossEntropy(y);
            loss.Backward();
            opt.Step();
            losses[step] = loss.Item();
        }
        return (losses, [w1, b1, w2, b2]);
    }

    [Fact]
    public void Gradients_on_ilgpu_cpu_match_cpu_through_views_and_reductions()
    {
        var dev = Device.IlgpuCpu;
        Tensor[] Grads(Device d)
        {
            var a = Tensor.Randn([3, 4, 5], new Generator(3), DType.Float64, d, requiresGrad: true);
            var b = Tensor.Randn([4, 5], new Generator(4), DType.Float64, d, requiresGrad: true);
            var z = a.Permute(0, 2, 1).Softmax(-1).MatMul(b) * a.Sum(-1).Narrow(1, 0, 1).Unsqueeze(-1);
            z.Sum().Backward();
            return [a.Grad!, b.Grad!];
        }
        AssertSameOn(dev, Grads(Device.Cpu), Grads(dev));
    }

    [Fact]
    public void Causal_attention_on_ilgpu_cpu_matches_the_fused_cpu_kernel() => CausalAttentionMatches(Device.IlgpuCpu);

    [CudaFact]
    public void Causal_attention_on_cuda_matches_the_fused_cpu_kernel() => CausalAttentionMatches(Device.Cuda());

    /// <summary>The ILGPU backend's attention (IBackend's composition of its own kernels) against the CPU's fused kernel, values and gradients.</summary>
    static void CausalAttentionMatches(Device dev)
    {
        Tensor[] Run(Device d)
        {
            var gen = new Generator(11);
            var q = Tensor.Randn([2, 3, 2, 4], gen, DType.Float64, d, requiresGrad: true);
            var k = Tensor.Randn([2, 5, 2, 4], gen, DType.Float64, d, requiresGrad: true);
            var v = Tensor.Randn([2, 5, 2, 3], gen, DType.Float64, d, requiresGrad: true);
            var g = Tensor.Randn([2, 3, 2, 3], gen, DType.Float64, d);
            var z = Tensor.CausalAttention(q, k, v, 0.5, offset: 2);
            (z * g).Sum().Backward();
            return [z, q.Grad!, k.Grad!, v.Grad!];
        }
        AssertSameOn(dev, Run(Device.Cpu), Run(dev));
    }

    [Fact]
    public void Causal_attention_with_scores_on_ilgpu_cpu_matches_the_fused_cpu_kernel() => CausalAttentionWithScoresMatches(Device.IlgpuCpu);

    [CudaFact]
    public void Causal_attention_with_scores_on_cuda_matches_the_fused_cpu_kernel() => CausalAttentionWithScoresMatches(Device.Cuda());

    /// <summary>IBackend's composed attention-with-scores against the CPU's fused kernel: z, pattern, masked scores and z's gradients.</summary>
    static void CausalAttentionWithScoresMatches(Device dev)
    {
        Tensor[] Run(Device d)
        {
            var gen = new Generator(12);
            var q = Tensor.Randn([2, 3, 2, 4], gen, DType.Float64, d, requiresGrad: true);
            var k = Tensor.Randn([2, 5, 2, 4], gen, DType.Float64, d, requiresGrad: true);
            var v = Tensor.Randn([2, 5, 2, 3], gen, DType.Float64, d, requiresGrad: true);
            var g = Tensor.Randn([2, 3, 2, 3], gen, DType.Float64, d);
            var (z, pattern, scores) = Tensor.CausalAttentionWithScores(q, k, v, 0.5, offset: 1);
            (z * g).Sum().Backward();
            return [z, pattern, scores, q.Grad!, k.Grad!, v.Grad!];
        }
        AssertSameOn(dev, Run(Device.Cpu), Run(dev));
    }

    [Fact]
    public void Operands_on_different_devices_are_refused_with_a_clear_error()
    {
        var a = Tensor.Ones([2, 3]);
        var b = Tensor.Ones([2, 3], device: Device.IlgpuCpu);
        var e = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("different devices", e.Message);
        Assert.Contains("ilgpu-cpu", e.Message);
        var k = Assert.Throws<ArgumentException>(() => b.Backend.Binary(Backends.BinaryOp.Add, b, a));
        Assert.Contains("expected a tensor on ilgpu-cpu:0, got one on cpu", k.Message);
    }

    [Fact]
    public void To_moves_values_between_devices_and_back()
    {
        var x = Tensor.Arange(12, DType.Float64).Reshape(3, 4);
        var d = x.To(Device.IlgpuCpu);
        Assert.Equal(Device.IlgpuCpu, d.Device);
        Assert.Equal(x.ToDoubleArray(), d.MT.To(Device.Cpu).MT.ToDoubleArray());
        Assert.Equal(7.0, d.GetValue(1, 3));
        Assert.Contains("ilgpu-cpu", d.ToString());
    }

    [Fact]
    public void Grouped_conv2d_gradients_on_ilgpu_cpu_match_cpu()
    {
        Tensor[] Grads(Device d)
        {
            var x = Tensor.Randn([2, 4, 6, 5], new Generator(5), DType.Float64, d, requiresGrad: true);
            var w = Tensor.Randn([6, 2, 3, 2], new Generator(6), DType.Float64, d, requiresGrad: true);
            var b = Tensor.Randn([6], new Generator(7), DType.Float64, d, requiresGrad: true);
            x.Conv2d(w, b, (2, 1), (1, 1), (1, 1), groups: 2).Square().Sum().Backward();
            return [x.Grad!, w.Grad!, b.Grad!];
        }
        AssertSameOn(Device.IlgpuCpu, Grads(Device.Cpu), Grads(Device.IlgpuCpu));
    }

    // both gradients wanted: the backends' Conv2dGrads (on the CPU the Winograd path, which makes them together; on
    // ILGPU the interface's default, one after the other)
    [Fact]
    public void Conv2d_input_and_weight_gradients_together_on_ilgpu_cpu_match_cpu()
    {
        Tensor[] Grads(Device d)
        {
            var x = Tensor.Randn([2, 8, 9, 7], new Generator(5), DType.Float64, d, requiresGrad: true);
            var w = Tensor.Randn([8, 8, 3, 3], new Generator(6), DType.Float64, d, requiresGrad: true);
            x.Conv2d(w, null, 1, 1).Square().Sum().Backward();
            return [x.Grad!, w.Grad!];
        }
        AssertSameOn(Device.IlgpuCpu, Grads(Device.Cpu), Grads(Device.IlgpuCpu));
    }

    [Fact]
    public void Gradients_flow_through_device_moves()
    {
        // y = Σ (3·x on the device, back on the CPU)²: ∂y/∂x = 18·x, computed on the device and moved back
        var x = Tensor.Arange(6, DType.Float64).Reshape(2, 3).RequiresGrad_();
        var y = ((x.To(Device.IlgpuCpu) * 3).To(Device.Cpu)).Square().Sum();
        y.Backward();
        Assert.NotNull(x.Grad);
        Assert.Equal(Device.Cpu, x.Grad!.Device);
        Assert.Equal(x.ToDoubleArray().Select(v => 18 * v), x.Grad.ToDoubleArray());
    }

    [Fact]
    public void Freed_buffers_are_reused_by_size_class()
    {
        // a pool of its own: the backend's pool is shared with the ILGPU tests that run in parallel
        var pool = new BufferPool(((IlgpuBackend)Device.IlgpuCpu.Backend).Accelerator);
        var first = pool.Rent(4000);
        pool.Return(first);
        for (int i = 0; i < 5; i++)
        {
            var again = pool.Rent(3996);   // the same 4096-byte class
            Assert.Same(first, again);
            pool.Return(again);
        }
        Assert.Equal(1, pool.DeviceAllocations);
        Assert.Equal(4096, BufferPool.SizeClass(4000));
        Assert.Equal(5120, BufferPool.SizeClass(4097));
    }

    [NoCudaFact]
    public void Cuda_reports_a_clear_error_when_there_is_no_gpu()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Device.Cuda());
        Assert.StartsWith("no CUDA device", e.Message);
    }

    /// <summary>Each tensor computed on <paramref name="dev"/> lives there and equals the CPU's to 1e-10.</summary>
    static void AssertSameOn(Device dev, Tensor[] expected, Tensor[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(dev, actual[i].Device);
            var e = expected[i].ToDoubleArray(); var a = actual[i].ToDoubleArray();
            for (int j = 0; j < e.Length; j++) Assert.Equal(e[j], a[j], 1e-10);
        }
    }
}
