using System.Diagnostics;
using System.Text.Json;
using Interp.Gpu;
using Interp.Optim;
using Interp.Transformers;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench gpu [--dry]`: the Interp half of bench/gpu/run.sh (bench/peers/torch_gpu.py is PyTorch's). On the CUDA
/// device: the first float32 matmul (ILGPU compiling and loading the kernel) timed apart, then C = A·B at n = 1024, 2048,
/// 4096, 8192 (TFLOP/s, median of timed calls, each up to the device's synchronisation), and a GPT-2-small-sized model
/// (12 layers, d_model 768, 12 heads, d_mlp 3072, vocabulary 50,257, context 256, batch 8, LayerNorm, GELU, AdamW):
/// its first training step (compiling every kernel it uses) apart, then forward with the loss, and a whole training
/// step (ms), with the kernel launches and host copies of one step. Prints the results as one JSON line after each
/// part, every line holding all so far (the last is the whole), so a run cut short by its time limit still reports
/// what it measured. With --dry the same on ILGPU's CPU accelerator at tiny sizes, so the script is known to work
/// before the day a GPU is lent.
/// </summary>
public static class GpuSideBySide
{
    public static void Run(string[] args)
    {
        bool dry = args.Contains("--dry");
        var device = dry ? Device.IlgpuCpu : Gpu.Gpu.CudaAvailable ? Device.Cuda() : throw new InvalidOperationException("gpu: no CUDA device here (Interp.Gpu.Gpu.CudaAvailable is false); use --dry for the CPU accelerator");
        var backend = (IlgpuBackend)device.Backend;
        var result = new Dictionary<string, object> { ["side"] = "interp", ["device"] = backend.AcceleratorName };

        var gen = new Generator(1);
        int first = dry ? 16 : 256;
        var a0 = Tensor.Randn([first, first], gen, device: device);
        long t0 = Stopwatch.GetTimestamp();
        a0.MatMul(a0);
        backend.Synchronize();
        result["first_matmul_ms"] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        Emit(result);

        var tflops = new Dictionary<string, double>();
        foreach (int n in dry ? new[] { 16, 32 } : [1024, 2048, 4096, 8192])
        {
            var a = Tensor.Randn([n, n], gen, device: device);
            var b = Tensor.Randn([n, n], gen, device: device);
            double ms = Timing.Median(dry ? 1 : 10, () => a.MatMul(b), warmup: 2, sync: backend.Synchronize).WallMs;
            tflops[n.ToString()] = 2.0 * n * n * n / (ms * 1e-3) / 1e12;
            result["matmul_tflops"] = tflops;
            Emit(result);
        }

        var cfg = dry
            ? new TransformerConfig { NLayers = 1, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, DVocab = 32, NCtx = 8, ActFn = "gelu", Normalization = "LN", UseAttnResult = false, Seed = 1 }
            : new TransformerConfig { NLayers = 12, DModel = 768, NHeads = 12, DHead = 64, DMlp = 3072, DVocab = 50257, NCtx = 256, ActFn = "gelu", Normalization = "LN", UseAttnResult = false, Seed = 1 };
        int batch = dry ? 1 : 8;
        var model = new HookedTransformer(cfg);
        model.To(device);
        var opt = new AdamW(model.Parameters(), lr: 1e-4);
        var tokens = Tensor.RandInt(0, cfg.DVocab, [batch, cfg.NCtx + 1], gen);
        var input = tokens.Narrow(1, 0, cfg.NCtx).Contiguous().To(device);
        var target = tokens.Narrow(1, 1, cfg.NCtx).Contiguous().Reshape(-1).To(device);
        Tensor Loss() => model.Forward(input).Reshape(-1, cfg.DVocab).CrossEntropy(target);
        void Step()
        {
            opt.ZeroGrad();
            Loss().Backward();
            opt.Step();
        }
        t0 = Stopwatch.GetTimestamp();
        Step();
        backend.Synchronize();
        result["gpt_first_step_ms"] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;   // mostly compiling kernels
        Emit(result);
        result["gpt_forward_ms"] = Timing.Median(dry ? 1 : 10, () => Loss(), warmup: 1, sync: backend.Synchronize).WallMs;
        Emit(result);
        result["gpt_step_ms"] = Timing.Median(dry ? 1 : 10, Step, warmup: 1, sync: backend.Synchronize).WallMs;
        var (launches, traffic) = (IlgpuBackend.LaunchesOnThisThread, IlgpuBackend.TrafficOnThisThread);
        Step();
        result["gpt_step_launches"] = IlgpuBackend.LaunchesOnThisThread - launches;
        result["gpt_step_host_copies"] = (IlgpuBackend.TrafficOnThisThread - traffic).ToString();
        Emit(result);
    }

    static void Emit(Dictionary<string, object> result)
    {
        Console.WriteLine(JsonSerializer.Serialize(result));
        Console.Out.Flush();
    }
}
