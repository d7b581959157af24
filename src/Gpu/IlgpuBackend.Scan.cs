using ILGPU;
using ILGPU.Runtime;

namespace Interp.Gpu;

/// <summary>The running sum along a dim: one thread per row (rows contiguous after AsRows), accumulating in double.</summary>
public sealed partial class IlgpuBackend
{
    public Tensor CumSum(Tensor x, int dim)
    {
        RequireFloat("cumsum", x);
        StorageOf("cumsum", x);
        if (x.Numel == 0) return New(x.ShapeArray, x.DType);
        var rows = AsRows(x, [dim], out int rowCount);
        var y = New(rows.ShapeArray, x.DType);
        if (x.DType == DType.Float32) CumSumTyped<float, F32>(rows, y, rowCount, x.shape[dim]);
        else CumSumTyped<double, F64>(rows, y, rowCount, x.shape[dim]);
        return FromRows(y, x.shape, dim);
    }

    void CumSumTyped<T, E>(Tensor rows, Tensor y, int rowCount, int len) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"cumsum/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int>(CumSumKernel<T, E>));
        k(rowCount, Dense<T>(rows), Dense<T>(y), len);
    }

    static void CumSumKernel<T, E>(Index1D row, ArrayView<T> x, ArrayView<T> y, int len) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        long start = (long)(int)row * len;
        double acc = 0;
        for (int i = 0; i < len; i++)
        {
            acc += e.Load(x[start + i]);
            y[start + i] = e.Store(acc);
        }
    }
}
