using System.Reflection;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Interp.Gpu;

/// <summary>
/// The backend's kernels compiled to PTX without a device (ILGPU stops before the driver), and what the PTX text
/// declares per kernel: virtual registers by type, shared and local (stack) memory, and functions left un-inlined.
/// Declared registers are an upper bound from ILGPU's code generator, not ptxas's allocation (no ptxas here); local
/// memory in the PTX means an array or a spill ILGPU placed on the stack, which on the device is slow memory.
/// </summary>
public static partial class PtxReport
{
    /// <summary>One kernel for one element type.</summary>
    public sealed record Kernel(string Name, string ElementType, MethodInfo Method);

    /// <summary>
    /// What one kernel's PTX declares, and its 128-bit loads: from global memory (ILGPU writes them as generic
    /// `ld.v4`, or `ld.global.v4`) and from shared memory (`ld.shared.v4`).
    /// </summary>
    public sealed record Usage(IReadOnlyDictionary<string, int> Registers, int Registers32, long SharedBytes, long LocalBytes, int Functions,
        int VectorLoads = 0, int SharedVectorLoads = 0);

    /// <summary>
    /// Every kernel of <see cref="IlgpuBackend"/> (static void methods named *Kernel), instantiated for each element type
    /// it runs with: float32 and float64 for generic ones (a source dtype's kernels with a float32 destination).
    /// </summary>
    public static IEnumerable<Kernel> Kernels()
    {
        var methods = typeof(IlgpuBackend).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(m => m.Name.EndsWith("Kernel") && m.ReturnType == typeof(void));
        Type[][] elements = [[typeof(float), typeof(F32)], [typeof(double), typeof(F64)]];
        foreach (var m in methods.OrderBy(m => m.Name))
        {
            int generic = m.GetGenericArguments().Length;
            if (generic == 0) { yield return new(m.Name, "float32", m); continue; }
            foreach (var types in elements)
            {
                Type[] args = generic == 4 ? [.. types, typeof(float), typeof(F32)] : types;
                yield return new(m.Name, types[0] == typeof(float) ? "float32" : "float64", m.MakeGenericMethod(args));
            }
        }
    }

    /// <summary>
    /// A kernel whose first parameter is an index is implicitly grouped (one thread per index, ILGPU picks the group);
    /// the others take a KernelConfig and use Group/Grid themselves.
    /// </summary>
    public static bool ExplicitlyGrouped(MethodInfo kernel)
    {
        var first = kernel.GetParameters().FirstOrDefault()?.ParameterType;
        return first != typeof(Index1D) && first != typeof(Index2D) && first != typeof(Index3D);
    }

    /// <summary>
    /// The PTX of <paramref name="kernel"/> for <paramref name="architecture"/> (sm_90 is the H100 and H200; ILGPU 1.5.3
    /// still writes `.target sm_80` for it, which the driver JIT-compiles for the device).
    /// </summary>
    public static string Compile(MethodInfo kernel, CudaArchitecture architecture, CudaInstructionSet instructionSet)
    {
        using var backend = new PTXBackend(Gpu.Context, architecture, instructionSet, null!);
        var entry = ExplicitlyGrouped(kernel)
            ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel)
            : EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
        return ((PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization))).PTXAssembly;
    }

    [GeneratedRegex(@"\.reg\s+\.(\w+)\s+%\w+<(\d+)>;")] private static partial Regex RegDecl();
    [GeneratedRegex(@"\.(shared|local)\s+(?:\.align\s+\d+\s+)?\.(\w+)\s+[\w$]+\[(\d+)\]")] private static partial Regex ArrayDecl();
    [GeneratedRegex(@"^\s*\.func\b", RegexOptions.Multiline)] private static partial Regex FuncDecl();
    [GeneratedRegex(@"\bld\.(?:global\.)?v4\.")] private static partial Regex VectorLoad();
    [GeneratedRegex(@"\bld\.shared\.v4\.")] private static partial Regex SharedVectorLoad();

    /// <summary>
    /// Sums the declarations of the whole PTX module: `.reg .T %x&lt;n&gt;` (n registers of type T; 64-bit ones count
    /// twice in <see cref="Usage.Registers32"/>, predicates not at all), `.shared`/`.local` arrays in bytes, `.func`s,
    /// and the 128-bit loads.
    /// </summary>
    public static Usage Parse(string ptx)
    {
        var regs = new SortedDictionary<string, int>();
        int regs32 = 0;
        foreach (Match m in RegDecl().Matches(ptx))
        {
            string type = m.Groups[1].Value;
            int n = int.Parse(m.Groups[2].Value);
            regs[type] = regs.GetValueOrDefault(type) + n;
            regs32 += type == "pred" ? 0 : type.EndsWith("64") ? 2 * n : n;
        }
        long shared = 0, local = 0;
        foreach (Match m in ArrayDecl().Matches(ptx))
        {
            long bytes = long.Parse(m.Groups[3].Value) * ElementBytes(m.Groups[2].Value);
            if (m.Groups[1].Value == "shared") shared += bytes; else local += bytes;
        }
        return new(regs, regs32, shared, local, FuncDecl().Matches(ptx).Count, VectorLoad().Matches(ptx).Count, SharedVectorLoad().Matches(ptx).Count);
    }

    static int ElementBytes(string type) => type switch
    {
        "b8" or "u8" or "s8" => 1,
        "b16" or "u16" or "s16" or "f16" => 2,
        "b64" or "u64" or "s64" or "f64" => 8,
        _ => 4,
    };
}
