using Interp.Backends;

namespace Interp;

public enum DeviceKind { Cpu, Cuda, IlgpuCpu }

/// <summary>Where a tensor's storage lives. Every device has one <see cref="IBackend"/> that runs its kernels.</summary>
public sealed record Device(DeviceKind Kind, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceKind.Cpu);

    /// <summary>CUDA GPU n through ILGPU; throws "no CUDA device: ..." when there is none (see Gpu.Gpu.CudaAvailable).</summary>
    public static Device Cuda(int n = 0) => Gpu.Gpu.BackendFor(new Device(DeviceKind.Cuda, n)).Device;

    /// <summary>ILGPU's CPU accelerator: the GPU kernels run on host threads (tests without a GPU).</summary>
    public static Device IlgpuCpu => Gpu.Gpu.BackendFor(new Device(DeviceKind.IlgpuCpu)).Device;

    /// <summary>The kernels for this device; GPU backends register themselves here when they are created.</summary>
    public IBackend Backend => Kind == DeviceKind.Cpu ? CpuBackend.Instance : BackendRegistry.Get(this);

    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"ilgpu-cpu:{Index}",
    };
}

/// <summary>Backends of devices other than the CPU, registered by the assembly that implements them.</summary>
public static class BackendRegistry
{
    static readonly Dictionary<Device, IBackend> backends = new();

    public static void Register(IBackend backend)
    {
        lock (backends) backends[backend.Device] = backend;
    }

    public static IBackend Get(Device device)
    {
        lock (backends)
            return backends.TryGetValue(device, out var b)
                ? b
                : throw new InvalidOperationException($"device {device} is not available: no backend has been created for it");
    }
}
