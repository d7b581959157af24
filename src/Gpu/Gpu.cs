using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Interp.Gpu;

/// <summary>
/// The one ILGPU context of the process and the backends created on it. Algorithms are enabled so that
/// System.Math calls inside kernels (Exp, Log, Tanh, Pow, ...) compile for CUDA as well.
/// </summary>
public static class Gpu
{
    static readonly Lazy<Context> context = new(() => Context.Create(b => b.Default().EnableAlgorithms()));
    static readonly Dictionary<Device, IlgpuBackend> backends = new();

    internal static Context Context => context.Value;

    /// <summary>
    /// Registers this backend with the core as the assembly loads: the core does not reference ILGPU, and
    /// <see cref="Device.Cuda"/> and <see cref="Device.IlgpuCpu"/> reach this assembly through <see cref="BackendRegistry"/>.
    /// </summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "self-registration by design: it only stores a delegate, and the core loads this assembly for exactly that")]
    internal static void RegisterWithCore() => BackendRegistry.RegisterGpuFactory(BackendFor);

    /// <summary>Whether at least one CUDA device exists (false, without throwing, when no driver is installed).</summary>
    public static bool CudaAvailable => CudaDeviceCount > 0;

    public static int CudaDeviceCount
    {
        get
        {
            try { return Context.GetCudaDevices().Count; }
            catch (Exception) { return 0; }
        }
    }

    /// <summary>The backend of a GPU device, created (and registered with <see cref="BackendRegistry"/>) on first use.</summary>
    internal static IlgpuBackend BackendFor(Device device)
    {
        lock (backends)
        {
            if (backends.TryGetValue(device, out var b)) return b;
            b = new IlgpuBackend(device, CreateAccelerator(device));
            backends[device] = b;
            BackendRegistry.Register(b);
            return b;
        }
    }

    static Accelerator CreateAccelerator(Device device)
    {
        if (device.Kind == DeviceKind.IlgpuCpu)
            // groups of 256 threads so the tiled GEMM runs with the same 16×16 tiles as on CUDA
            return new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 64, numMultiprocessors: 1)
                .CreateCPUAccelerator(Context, CPUAcceleratorMode.Parallel);
        int count = CudaDeviceCount;
        if (device.Index < 0 || device.Index >= count)
            throw new InvalidOperationException(count == 0
                ? $"no CUDA device: cannot create {device} (ILGPU found no CUDA driver or GPU on this machine)"
                : $"no CUDA device: cannot create {device}, this machine has {count} CUDA device(s)");
        return Context.GetCudaDevice(device.Index).CreateCudaAccelerator(Context);
    }
}
