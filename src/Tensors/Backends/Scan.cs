using System.Numerics;

namespace Interp.Backends;

public partial interface IBackend
{
    /// <summary>The running sum along a (normalised) dim: y[…, i, …] = Σ_{j ≤ i} x[…, j, …]; float dtypes.</summary>
    Tensor CumSum(Tensor x, int dim);
}

// The scan's CPU kernel sits beside its contract: a kernel-backed op then adds one backend file here, one in src/Gpu.
public sealed unsafe partial class CpuBackend
{
    public Tensor CumSum(Tensor x, int dim)
    {
        RequireFloat("cumsum", x);
        var rows = RowsAlong(x, dim);
        var y = Tensor.Empty(rows.ShapeArray, x.DType);
        int len = x.shape[dim], rowCount = len == 0 ? 0 : x.Numel / len;
        if (x.DType == DType.Float32) CumSumRows<float>(rows, y, rowCount, len);
        else CumSumRows<double>(rows, y, rowCount, len);
        return FromRows(y, x.shape, dim);
    }

    /// <summary>Each row's running sum, accumulated in double (float32 rows too, as the ILGPU kernel does).</summary>
    static void CumSumRows<T>(Tensor rows, Tensor y, int rowCount, int len) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* src = Ptr<T>(rows) + rows.Offset, dst = Ptr<T>(y);
        using var alive = new KeepAlive(rows, y);
        ForRows(rowCount, len, r =>
        {
            T* xr = src + (long)r * len, yr = dst + (long)r * len;
            double acc = 0;
            for (int i = 0; i < len; i++) yr[i] = T.CreateTruncating(acc += double.CreateTruncating(xr[i]));
        });
    }
}
