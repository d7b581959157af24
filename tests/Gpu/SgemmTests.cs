using Interp.Gpu;
using Xunit;
using Kind = Interp.Gpu.IlgpuBackend.GemmKernelKind;

namespace Interp.Tests.Gpu;

/// <summary>
/// The register-tiled float32 GEMM (IlgpuBackend.Sgemm.cs), forced on ILGPU's CPU accelerator (and CUDA where there is
/// one), equals the CPU's float64 product within float32 rounding on random shapes: m and n past one 128-block so edge
/// blocks are partial, k not a multiple of the 8-slab, m, n or k of 1, every transpose combination, strided and
/// broadcast batches. The bound per element is k·2⁻²³·(|A|·|B|)ᵢⱼ, the worst case of k float32 multiply-adds.
/// </summary>
public class SgemmTests
{
    public static TheoryData<string> Cases => new(Shapes.Keys);

    [Theory, MemberData(nameof(Cases))]
    public void IlgpuCpu_sgemm_matches_cpu(string name) => Shapes[name](Device.IlgpuCpu);

    [CudaTheory, MemberData(nameof(Cases))]
    public void Cuda_sgemm_matches_cpu(string name) => Shapes[name](Device.Cuda());

    static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, new Generator((ulong)seed));

    static readonly Dictionary<string, Action<Device>> Shapes = new()
    {
        ["edges 130x129x20"] = dev => Same(dev, (a, b) => (a, b), R(1, 130, 20), R(2, 20, 129)),
        ["full blocks 128x128x16"] = dev => Same(dev, (a, b) => (a, b), R(3, 128, 16), R(4, 16, 128)),
        ["k 1"] = dev => Same(dev, (a, b) => (a, b), R(5, 131, 1), R(6, 1, 3)),
        ["m 1, k 3"] = dev => Same(dev, (a, b) => (a, b), R(7, 1, 3), R(8, 3, 140)),
        ["a transposed"] = dev => Same(dev, (a, b) => (a.MT, b), R(9, 13, 129), R(10, 13, 5)),
        ["b transposed"] = dev => Same(dev, (a, b) => (a, b.MT), R(11, 3, 11), R(12, 133, 11)),
        ["both transposed"] = dev => Same(dev, (a, b) => (a.MT, b.MT), R(13, 9, 130), R(14, 129, 9)),
        ["batched, b broadcast"] = dev => Same(dev, (a, b) => (a, b), R(15, 3, 129, 10), R(16, 10, 7)),
        ["broadcast and strided batch"] = dev => Same(dev, (a, b) => (a.Expand(2, 3, 129, 5), b.Permute(1, 0, 2, 3)),
            R(17, 1, 3, 129, 5), R(18, 3, 2, 5, 6)),
        ["sliced rows (offset, row stride)"] = dev => Same(dev, (a, b) => (a.Narrow(1, 3, 17), b.Narrow(0, 3, 17)), R(19, 130, 24), R(20, 24, 9)),
        // float4 loads: A along k and B along n (the usual layout), then both transposed, then a batch of each
        ["float4 loads, plain 132x136x20"] = dev => Same(dev, (a, b) => (a, b), R(21, 132, 20), R(22, 20, 136)),
        ["float4 loads, both transposed"] = dev => Same(dev, (a, b) => (a.MT, b.MT), R(23, 12, 132), R(24, 256, 12)),
        ["float4 loads, batched"] = dev => Same(dev, (a, b) => (a, b.Expand(3, 8, 132)), R(25, 3, 129, 8), R(26, 1, 8, 132)),
        ["offsets not on 4 floats fall back to scalar"] = dev => Same(dev, (a, b) => (a.Narrow(1, 1, 16), b.Narrow(1, 2, 132)),
            R(27, 130, 24), R(28, 16, 140)),
    };

    /// <summary>
    /// Which of the cases above load float4s: each mode is reached by some case, and a float4 is never chosen where one
    /// could straddle a row end or an unaligned address (odd offset, stride or length).
    /// </summary>
    [Fact]
    public void Float4_loads_are_chosen_only_where_aligned()
    {
        var flat = Layout.Of([], [], 0);
        Assert.Equal(IlgpuBackend.SlabMode.VectorK, IlgpuBackend.ChooseSlabMode(so: 20, sk: 1, outer: 132, k: 20, flat));
        Assert.Equal(IlgpuBackend.SlabMode.VectorOuter, IlgpuBackend.ChooseSlabMode(so: 1, sk: 136, outer: 136, k: 20, flat));
        Assert.Equal(IlgpuBackend.SlabMode.ScalarK, IlgpuBackend.ChooseSlabMode(so: 20, sk: 1, outer: 130, k: 17, flat));      // k % 4
        Assert.Equal(IlgpuBackend.SlabMode.ScalarK, IlgpuBackend.ChooseSlabMode(so: 18, sk: 1, outer: 130, k: 16, flat));      // row stride
        Assert.Equal(IlgpuBackend.SlabMode.ScalarOuter, IlgpuBackend.ChooseSlabMode(so: 1, sk: 129, outer: 129, k: 20, flat)); // n % 4
        Assert.Equal(IlgpuBackend.SlabMode.ScalarOuter, IlgpuBackend.ChooseSlabMode(so: 12, sk: 3, outer: 132, k: 12, flat));  // neither dim contiguous
        Assert.Equal(IlgpuBackend.SlabMode.ScalarK, IlgpuBackend.ChooseSlabMode(so: 24, sk: 1, outer: 130, k: 16, Layout.Of([], [], 1)));     // offset
        Assert.Equal(IlgpuBackend.SlabMode.ScalarK, IlgpuBackend.ChooseSlabMode(so: 24, sk: 1, outer: 130, k: 16, Layout.Of([3], [6], 0)));  // batch stride
        Assert.Equal(IlgpuBackend.SlabMode.VectorK, IlgpuBackend.ChooseSlabMode(so: 24, sk: 1, outer: 130, k: 16, Layout.Of([3], [3120], 8)));
    }

    /// <summary>The product of <paramref name="views"/> of the inputs: on the device with the tiled kernel forced, and on the CPU in float64.</summary>
    static void Same(Device dev, Func<Tensor, Tensor, (Tensor, Tensor)> views, Tensor a, Tensor b)
    {
        var backend = (IlgpuBackend)dev.Backend;
        var (da, db) = views(a.To(dev), b.To(dev));
        var result = backend.MatMul(da, db, Kind.Sgemm128);
        var (ca, cb) = views(a.To(DType.Float64), b.To(DType.Float64));
        var expected = ca.MatMul(cb);
        Assert.Equal(expected.ShapeArray, result.ShapeArray);
        var (e, actual) = (expected.ToDoubleArray(), result.ToDoubleArray());
        var bound = ca.Abs().MatMul(cb.Abs()).ToDoubleArray();
        int k = ca.shape[^1];
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(actual[i] - e[i]) <= k * Math.Pow(2, -23) * bound[i] + 1e-30,
                $"[{i}] of {ShapeUtil.Format(expected.shape)}: float64 {e[i]:G17}, sgemm {actual[i]:G17}");
    }

    [Fact]
    public void Kernel_is_chosen_by_dtype_and_shape()
    {
        Assert.Equal(Kind.Sgemm128, IlgpuBackend.ChooseGemm(DType.Float32, 4096, 4096, 1, 132));
        Assert.Equal(Kind.Sgemm128, IlgpuBackend.ChooseGemm(DType.Float32, 256, 256, 96, 132));   // attention scores: many small heads
        Assert.Equal(Kind.Simple16, IlgpuBackend.ChooseGemm(DType.Float64, 4096, 4096, 1, 132));  // float64 keeps the simple kernel
        Assert.Equal(Kind.Simple16, IlgpuBackend.ChooseGemm(DType.Float32, 4096, 64, 1, 132));    // thinner than a block
        Assert.Equal(Kind.Simple16, IlgpuBackend.ChooseGemm(DType.Float32, 256, 256, 1, 132));    // 4 blocks would leave most SMs idle
    }

    [Fact]
    public void Forcing_the_tiled_kernel_on_float64_is_refused()
    {
        var a = Tensor.Randn([2, 2], new Generator(1), DType.Float64).To(Device.IlgpuCpu);
        var e = Assert.Throws<ArgumentException>(() => ((IlgpuBackend)Device.IlgpuCpu.Backend).MatMul(a, a, Kind.Sgemm128));
        Assert.Contains("float64", e.Message);
    }
}
