using System.Diagnostics;
using ILGPU.Runtime.Cuda;
using Interp.Gpu;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench ptx-info [--arch sm_80|sm_90] [--dump DIR] [name ...]`: compiles the ILGPU backend's kernels (all, or those whose
/// name contains one of the names) to PTX for the architecture (default sm_90, the H100/H200) without a device, and
/// prints per kernel and element type the registers the PTX declares by type, their 32-bit total (64-bit ones count
/// twice, predicates not at all), shared and local memory bytes the functions left un-inlined and the 128-bit loads, so spills and
/// occupancy can be judged before a GPU is lent; --dump writes each kernel's PTX to DIR. Declared registers are an upper bound: ptxas allocates the real ones.
/// </summary>
public static class PtxInfo
{
    public static int Run(string[] args)
    {
        var arch = CudaArchitecture.SM_90;
        var names = new List<string>();
        string? dump = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--arch" && i + 1 < args.Length)
                arch = args[++i] switch
                {
                    "sm_80" => CudaArchitecture.SM_80,
                    "sm_90" => CudaArchitecture.SM_90,
                    var other => throw new ArgumentException($"ptx-info: --arch must be sm_80 or sm_90, got '{other}'"),
                };
            else if (args[i] == "--dump" && i + 1 < args.Length) dump = args[++i];
            else names.Add(args[i]);
        }
        var kernels = PtxReport.Kernels().Where(k => names.Count == 0 || names.Any(n => k.Name.Contains(n, StringComparison.OrdinalIgnoreCase))).ToList();
        if (kernels.Count == 0)
            throw new ArgumentException($"ptx-info: no kernel name contains {string.Join(" or ", names)}");
        Console.WriteLine($"PTX compiled by ILGPU for {arch}, ISA 8.0 (ILGPU 1.5.3 writes `.target sm_80` for sm_90 as well: the driver JIT-compiles it for the device);");
        Console.WriteLine("registers as declared in the PTX, where ILGPU numbers values without reuse: an upper bound, not ptxas's allocation.");
        Console.WriteLine("Local bytes are stack arrays or spills ILGPU placed in local memory; .func counts helpers left un-inlined;");
        Console.WriteLine("v4 ld: 128-bit loads from global memory (ILGPU writes them as generic ld.v4) / from shared memory (ld.shared.v4).");
        Console.WriteLine();
        Console.WriteLine("| kernel | dtype | registers declared | 32-bit regs | shared B | local B | .func | v4 ld global/shared | compile ms |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var k in kernels)
        {
            Console.Error.Write($"\r{k.Name} {k.ElementType}...".PadRight(60));
            long t0 = Stopwatch.GetTimestamp();
            string ptx = PtxReport.Compile(k.Method, arch, CudaInstructionSet.ISA_80);
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            var u = PtxReport.Parse(ptx);
            if (dump is not null)
            {
                Directory.CreateDirectory(dump);
                File.WriteAllText(Path.Combine(dump, $"{k.Name}.{k.ElementType}.ptx"), ptx);
            }
            string regs = string.Join(" ", u.Registers.Select(r => $"{r.Key}:{r.Value}"));
            Console.WriteLine($"| {k.Name} | {k.ElementType} | {regs} | {u.Registers32} | {u.SharedBytes} | {u.LocalBytes} | {u.Functions} | {u.VectorLoads}/{u.SharedVectorLoads} | {ms:F0} |");
        }
        Console.Error.WriteLine();
        return 0;
    }
}
