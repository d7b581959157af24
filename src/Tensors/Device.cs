using System.Reflection;
using System.Runtime.CompilerServices;
using Interp.Backends;

namespace Interp;

public enum DeviceKind { Cpu, Cuda, IlgpuCpu }

/// <summary>Where a tensor's storage lives. Every device has one <see cref="IBackend"/> that runs its kernels.</summary>
public sealed record Device(DeviceKind Kind, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceKind.Cpu);

    /// <summary>
    /// CUDA GPU n through ILGPU (the Interp.Gpu assembly); throws "no CUDA device: ..." when there is none (see
    /// Interp.Gpu.Gpu.CudaAvailable).
    /// </summary>
    public static Device Cuda(int n = 0) => BackendRegistry.GetOrCreate(new Device(DeviceKind.Cuda, n)).Device;

    /// <summary>ILGPU's CPU accelerator: the GPU kernels run on host threads (tests without a GPU).</summary>
    public static Device IlgpuCpu => BackendRegistry.GetOrCreate(new Device(DeviceKind.IlgpuCpu)).Device;

    /// <summary>The kernels for this device; GPU backends register themselves here when they are created.</summary>
    public IBackend Backend => Kind == DeviceKind.Cpu ? CpuBackend.Instance : BackendRegistry.Get(this);

    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"ilgpu-cpu:{Index}",
    };
}

/// <summary>
/// Backends of devices other than the CPU, registered by the assembly that implements them. The GPU backend is its own
/// assembly (Interp.Gpu, on ILGPU), which this core does not reference: the first request for a GPU device loads it
/// by name, and its module initializer registers the factory that creates a device's backend.
/// </summary>
public static class BackendRegistry
{
    /// <summary>The assembly of the GPU backend (src/Gpu/Interp.Gpu.csproj).</summary>
    public const string GpuAssembly = "Interp.Gpu";

    static readonly Dictionary<Device, IBackend> backends = new();
    static Func<Device, IBackend>? gpuFactory;

    public static void Register(IBackend backend)
    {
        lock (backends) backends[backend.Device] = backend;
    }

    /// <summary>Called by the GPU assembly as it loads: how to create the backend of a GPU device (which registers it).</summary>
    public static void RegisterGpuFactory(Func<Device, IBackend> create)
    {
        lock (backends) gpuFactory = create;
    }

    /// <summary>
    /// The backend of a GPU device, created on first request: loads the GPU assembly if no factory is registered yet,
    /// and says so clearly when the program does not ship it.
    /// </summary>
    public static IBackend GetOrCreate(Device device)
    {
        if (device.Kind == DeviceKind.Cpu) return CpuBackend.Instance;
        Func<Device, IBackend>? create;
        lock (backends)
        {
            if (backends.TryGetValue(device, out var b)) return b;
            create = gpuFactory;
        }
        return (create ?? LoadGpuFactory(GpuAssembly))(device);
    }

    /// <summary>Loads <paramref name="assemblyName"/> and runs its module initializer, which registers the GPU factory.</summary>
    internal static Func<Device, IBackend> LoadGpuFactory(string assemblyName)
    {
        Assembly assembly;
        try { assembly = Assembly.Load(new AssemblyName(assemblyName)); }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InvalidOperationException(
                $"GPU devices need the {assemblyName} assembly (the ILGPU backend), which this program does not ship: " +
                $"add a reference to src/Gpu/Interp.Gpu.csproj ({e.Message})", e);
        }
        RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        lock (backends)
            return gpuFactory ?? throw new InvalidOperationException($"{assemblyName} loaded but registered no GPU backend factory");
    }

    public static IBackend Get(Device device)
    {
        lock (backends)
            return backends.TryGetValue(device, out var b)
                ? b
                : throw new InvalidOperationException($"device {device} is not available: no backend has been created for it");
    }
}
