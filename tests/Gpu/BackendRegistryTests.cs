using System.Reflection;
using System.Runtime.Loader;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>The GPU backend is its own assembly, which the core reaches only through BackendRegistry.</summary>
public class BackendRegistryTests
{
    [Fact]
    public void The_core_does_not_reference_ilgpu_or_the_gpu_assembly()
    {
        var names = typeof(Tensor).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.DoesNotContain(names, n => n.StartsWith("ILGPU", StringComparison.Ordinal) || n == BackendRegistry.GpuAssembly);
    }

    [Fact]
    public void A_gpu_device_loads_the_gpu_assembly_by_name_on_first_request()
    {
        // a fresh copy of the core in its own load context: its registry has no GPU factory, and nothing there has
        // touched Interp.Gpu, so Device.IlgpuCpu must load that assembly and let it register itself
        var context = new IsolatedContext();
        var core = context.LoadFromAssemblyName(new AssemblyName("Interp.Tensors"));
        Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name == BackendRegistry.GpuAssembly);

        var device = core.GetType("Interp.Device")!.GetProperty("IlgpuCpu")!.GetValue(null)!;
        Assert.Equal("ilgpu-cpu:0", device.ToString());
        var backend = device.GetType().GetProperty("Backend")!.GetValue(device)!;
        Assert.Equal(BackendRegistry.GpuAssembly, backend.GetType().Assembly.GetName().Name);
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(backend.GetType().Assembly));
    }

    [Fact]
    public void A_missing_gpu_assembly_is_reported_clearly()
    {
        var e = Assert.Throws<InvalidOperationException>(() => BackendRegistry.LoadGpuFactory("Interp.NoSuchGpuBackend"));
        Assert.Contains("GPU devices need the Interp.NoSuchGpuBackend assembly", e.Message);
        Assert.Contains("src/Gpu/Interp.Gpu.csproj", e.Message);
    }

    /// <summary>Loads Interp's own assemblies afresh from the test's folder; everything else (ILGPU, the runtime) is shared.</summary>
    sealed class IsolatedContext() : AssemblyLoadContext("isolated core")
    {
        protected override Assembly? Load(AssemblyName name) =>
            name.Name is "Interp.Tensors" or "Interp.Gpu"
                ? LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, name.Name + ".dll"))
                : null;
    }
}
