using System.Reflection;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Interp.Gpu;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>
/// Every kernel of the ILGPU backend compiles to PTX, for each element type it is used with. This needs no GPU (it
/// stops before the driver), so kernels that would only fail on CUDA (an unmapped Math function, an unsupported
/// atomic, shared memory of a generic type) fail here too.
/// </summary>
public class PtxCompileTests
{
    public static TheoryData<string> Kernels => new(typeof(IlgpuBackend)
        .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
        .Where(m => m.Name.EndsWith("Kernel") && m.ReturnType == typeof(void))
        .Select(m => m.Name));

    static readonly Type[][] ElementTypes =
    [
        [typeof(float), typeof(F32)],
        [typeof(double), typeof(F64)],
    ];

    [Theory, MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_ptx(string name)
    {
        var method = typeof(IlgpuBackend).GetMethod(name, BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)!;
        using var backend = new PTXBackend(Interp.Gpu.Gpu.Context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, null!);
        foreach (var types in ElementTypes)
        {
            var args = method.GetGenericArguments().Length == 4 ? [.. types, typeof(float), typeof(F32)] : types;
            var kernel = method.MakeGenericMethod(args);
            var entry = name is "GemmKernel" or "SoftmaxKernel" or "SoftmaxBackKernel" or "LayerNormKernel" or "LayerNormBackKernel" or "CrossEntropyKernel" or "ReduceKernel" or "VarKernel"
                ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel)
                : EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
            var compiled = (PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization));
            Assert.Contains(".entry", compiled.PTXAssembly);
            if (name == "GemmKernel") Assert.Contains("bar.sync", compiled.PTXAssembly);          // the tile barriers
            if (name is "IndexAddKernel" or "ScatterAddKernel") Assert.Matches(@"(red|atom)\.(global\.)?add", compiled.PTXAssembly);   // atomic adds
        }
    }
}
