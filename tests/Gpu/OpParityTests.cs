using Interp.Tests.Autograd.Ops;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>
/// Every op of the table that runs on ILGPU gives the CPU's output and input gradients on random calls (broadcast and
/// non-contiguous inputs included), in float64 (relative error ≤ 1e-10) and float32 (the spec's, 1e-4 by default): on ILGPU's CPU
/// accelerator here, and on CUDA where a GPU exists. The kernels no op reaches directly (copies, optimizer updates,
/// im2col) keep their own cases in IlgpuBackendTests.
/// </summary>
public class OpParityTests
{
    /// <summary>One random call in float64 and one in float32 per op: ILGPU's CPU accelerator is slow.</summary>
    static readonly DType[] CallDTypes = [DType.Float64, DType.Float32];

    public static IEnumerable<object[]> Ops() => OpTable.Rows(s => s.OnGpu);

    [Theory, MemberData(nameof(Ops))]
    public void IlgpuCpu_matches_cpu(string op) => Matches(OpTable.Specs[op], Device.IlgpuCpu);

    [CudaTheory, MemberData(nameof(Ops))]
    public void Cuda_matches_cpu(string op) => Matches(OpTable.Specs[op], Device.Cuda());

    static void Matches(OpSpec spec, Device device)
    {
        for (int seed = 0; seed < CallDTypes.Length; seed++)
        {
            var (d, dtype) = (new TestData(seed), CallDTypes[seed]);
            var instance = Instance.Draw(spec, spec.Draw(d), d);
            var expected = OutputAndGradients(instance.To(dtype, Device.Cpu), Device.Cpu);
            var actual = OutputAndGradients(instance.To(dtype, device), device);
            for (int i = 0; i < expected.Length; i++)
                AssertClose($"{instance} {dtype.Name()} {(i == 0 ? "output" : $"gradient {i}")}", expected[i], actual[i], device, spec.Float32Tolerance);
        }
    }

    /// <summary>The output and, for a differentiable op, the gradients of Σ output·r for a fixed random r.</summary>
    static Tensor[] OutputAndGradients(Instance instance, Device device)
    {
        var floats = instance.FloatIndices.Select(i => instance.Leaves[i]!).ToArray();
        if (instance.Spec.Differentiable) foreach (var x in floats) x.RequiresGrad = true;
        var y = instance.Run(floats);
        if (!instance.Spec.Differentiable) return [y];
        var r = Tensor.Randn(y.ShapeArray, new Generator(5), y.DType).To(device);
        (y * r).Sum().Backward();
        return [y, .. floats.Select(x => x.Grad ?? Tensor.ZerosLike(x))];
    }

    static void AssertClose(string what, Tensor expected, Tensor actual, Device device, double float32Tolerance)
    {
        Assert.Equal(device, actual.Device);
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        double tol = expected.DType == DType.Float32 ? float32Tolerance : 1e-10;
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        for (int i = 0; i < e.Length; i++)
        {
            bool same = e[i].Equals(a[i]) || Math.Abs(e[i] - a[i]) <= tol * Math.Max(1, Math.Abs(e[i]));
            Assert.True(same, $"{what} [{i}]: cpu {e[i]:G17}, {device} {a[i]:G17}");
        }
    }
}
