using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Interp.Gpu;

namespace Interp.Bench;

/// <summary>
/// The tiled ILGPU GEMM on a CUDA device: C = A·B for square float32 n×n (2n³ flops per call), kernel already
/// compiled, timed up to the synchronisation. Run on a machine with a GPU: dotnet run -c Release --project bench -- --filter '*GpuMatMul*'
/// </summary>
public class GpuMatMulBench
{
    [Params(1024, 2048, 4096, 8192)] public int N;

    Tensor a = null!, b = null!;
    IlgpuBackend backend = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dev = GpuBenchDevice.Get();
        backend = (IlgpuBackend)dev.Backend;
        a = Tensor.Randn([N, N], new Generator(1), device: dev);
        b = Tensor.Randn([N, N], new Generator(2), device: dev);
        Release(backend.MatMul(a, b));   // compiles the kernel outside the measurement
        backend.Synchronize();
    }

    [Benchmark]
    public void MatMul()
    {
        var c = backend.MatMul(a, b);
        backend.Synchronize();
        Release(c);
    }

    static void Release(Tensor t) => ((IlgpuStorage)t.Storage).Release();
}

/// <summary>
/// The first MatMul in a fresh process: ILGPU compiling the GEMM kernel to PTX plus loading it, reported apart from
/// the steady-state time above (cold start: one invocation per launched process).
/// </summary>
[SimpleJob(RunStrategy.ColdStart, launchCount: 5, warmupCount: 0, iterationCount: 1, invocationCount: 1)]
public class GpuCompileBench
{
    Tensor a = null!, b = null!;
    IlgpuBackend backend = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dev = GpuBenchDevice.Get();
        backend = (IlgpuBackend)dev.Backend;
        a = Tensor.Randn([256, 256], new Generator(1), device: dev);
        b = Tensor.Randn([256, 256], new Generator(2), device: dev);
        backend.Synchronize();
    }

    [Benchmark]
    public void FirstMatMul()
    {
        backend.MatMul(a, b);
        backend.Synchronize();
    }
}

static class GpuBenchDevice
{
    public static Device Get() => Gpu.Gpu.CudaAvailable
        ? Device.Cuda()
        : throw new InvalidOperationException("gpu bench: no CUDA device on this machine; these benchmarks measure the GPU only");
}
