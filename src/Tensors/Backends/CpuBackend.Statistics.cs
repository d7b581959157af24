using System.Numerics;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    public Tensor Var(Tensor x, int[] dims, int correction, bool keepDim)
    {
        RequireFloat("var", x);
        var reduced = new bool[x.Rank];
        foreach (var d in dims) reduced[d] = true;
        var (outShape, rowLen) = ShapeUtil.ReducedShape(x.shape, reduced, keepDim);
        var rows = AsRows(x, reduced, out int rowCount);
        var o = Tensor.Empty(outShape, x.DType);
        if (x.DType == DType.Float32) VarRows<float>(rows, o, rowCount, rowLen, correction);
        else VarRows<double>(rows, o, rowCount, rowLen, correction);
        return o;
    }

    /// <summary>Two passes per row: μ = Σx/N, then Σ(x − μ)² / max(0, N − correction) (as torch.var).</summary>
    static void VarRows<T>(Tensor rows, Tensor o, int rowCount, int n, int correction) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* src = Ptr<T>(rows) + rows.Offset, dst = Ptr<T>(o);
        using var alive = new KeepAlive(rows, o);
        T count = T.CreateChecked(n), dof = T.CreateChecked(Math.Max(0, n - correction));
        ForRows(rowCount, n, r =>
        {
            T* row = src + (long)r * n;
            dst[r] = SumSqDevRow(row, n, SumRow(row, n) / count) / dof;
        });
    }
}
