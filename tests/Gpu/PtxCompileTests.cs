using ILGPU.Runtime.Cuda;
using Interp.Gpu;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>
/// Every kernel of the ILGPU backend compiles to PTX with ILGPU's backend for sm_90 (H100, H200), for each element type
/// it is used with.
/// This needs no GPU (it stops before the driver), so kernels that would only fail on CUDA (an unmapped Math function,
/// an unsupported atomic, shared memory of a generic type) fail here too.
/// </summary>
public class PtxCompileTests
{
    public static TheoryData<string> Kernels => new(PtxReport.Kernels().Select(k => k.Name).Distinct());

    static string Ptx(PtxReport.Kernel k) => PtxReport.Compile(k.Method, CudaArchitecture.SM_90, CudaInstructionSet.ISA_80);

    [Theory, MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_ptx(string name)
    {
        foreach (var kernel in PtxReport.Kernels().Where(k => k.Name == name))
        {
            string ptx = Ptx(kernel);
            Assert.Contains(".version 8.0", ptx);   // the ISA asked for (ILGPU 1.5.3 writes .target sm_80 for sm_90 too; the driver JIT-compiles it)
            Assert.Contains(".entry", ptx);
            if (name is "GemmKernel" or "SgemmKernel") Assert.Contains("bar.sync", ptx);          // the tile barriers
            if (name is "IndexAddKernel" or "ScatterAddKernel") Assert.Matches(@"(red|atom)\.(global\.)?add", ptx);   // atomic adds
        }
    }

    /// <summary>
    /// The register-tiled SGEMM keeps its 8×8 block and fragments in registers: no local (stack) memory, every helper
    /// inlined, at least 64 + 16 float registers declared, and its two double-buffered 8×132 slabs in shared memory.
    /// Its loads are 128-bit where they can be: the two float4 slab loads from global memory, and 2 + 2 float4 fragment
    /// loads from shared memory for each of the 8 unrolled k's of a slab.
    /// </summary>
    [Fact]
    public void Sgemm_keeps_its_block_in_registers()
    {
        var usage = PtxReport.Parse(Ptx(PtxReport.Kernels().Single(k => k.Name == "SgemmKernel")));
        Assert.Equal(0, usage.LocalBytes);
        Assert.Equal(0, usage.Functions);
        Assert.True(usage.Registers.GetValueOrDefault("f32") >= 64 + 16, $"f32 registers: {usage.Registers.GetValueOrDefault("f32")}");
        Assert.Equal(2 * 2 * IlgpuBackend.SgemmSlab * IlgpuBackend.SgemmLd * sizeof(float), usage.SharedBytes);
        Assert.True(usage.VectorLoads >= 2, $"128-bit global loads: {usage.VectorLoads}");
        Assert.True(usage.SharedVectorLoads >= 4 * IlgpuBackend.SgemmSlab, $"128-bit shared loads: {usage.SharedVectorLoads}");
    }

    [Fact]
    public void Parse_reads_register_shared_and_local_declarations()
    {
        const string ptx = """
            .visible .entry k(
            ) {
                .reg .pred %p<3>;
                .reg .b32 %r<10>;
                .reg .f32 %f<20>;
                .reg .b64 %rd<4>;
                .shared .align 4 .b8 s0[1024];
                .local .align 8 .b8 depot[16];
            }
            .func helper() { .reg .f32 %f<2>; }
            ld.v4.f32 {%f1, %f2, %f3, %f4}, [%rd1];
            ld.global.v4.f32 {%f1, %f2, %f3, %f4}, [%rd1];
            ld.shared.v4.f32 {%f1, %f2, %f3, %f4}, [%rd2];
            ld.shared.f32 %f5, [%rd2];
            """;
        var u = PtxReport.Parse(ptx);
        Assert.Equal(22, u.Registers["f32"]);
        Assert.Equal(3, u.Registers["pred"]);
        Assert.Equal(10 + 22 + 2 * 4, u.Registers32);
        Assert.Equal(1024, u.SharedBytes);
        Assert.Equal(16, u.LocalBytes);
        Assert.Equal(1, u.Functions);
        Assert.Equal(2, u.VectorLoads);
        Assert.Equal(1, u.SharedVectorLoads);
    }
}
