using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;

using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Rows whose bias-gradient sums are kept in T before they go into double totals (as <see cref="SumColumns"/>).</summary>
    const int ReluBackwardBlock = 256;

    /// <summary>
    /// d = g·sign(y) and Σ_rows d in one pass: blocks of 256 rows each write their rows of d and their column sums (in T),
    /// the blocks' sums are then added in block order in double, so the result does not depend on the threads.
    /// </summary>
    public (Tensor Grad, Tensor BiasGrad) ReluBackwardWithBiasGrad(Tensor g, Tensor y) => ReluBackward(g, null, y);

    /// <summary>As above for g = g1 + g2, the two parts added in the same pass (one read of each, no sum written out).</summary>
    public (Tensor Grad, Tensor BiasGrad) ReluBackwardWithBiasGrad(Tensor g1, Tensor g2, Tensor y)
    {
        ReluBackwardShapes.Check(g2, y);
        return ReluBackward(g1, g2, y);
    }

    (Tensor Grad, Tensor BiasGrad) ReluBackward(Tensor g, Tensor? g2, Tensor y)
    {
        ReluBackwardShapes.Check(g, y);
        RequireCpu("relu_backward", g); RequireCpu("relu_backward", y);
        if (g2 is not null) RequireCpu("relu_backward", g2);
        var gd = Dense(g); var yd = Dense(y);
        var g2d = g2 is null ? null : Dense(g2);
        var d = Tensor.Empty(g.ShapeArray, g.DType);
        var bias = Tensor.Empty([g.shape[^1]], g.DType);
        if (g.DType == DType.Float32) ReluBackwardTyped<float>(gd, g2d, yd, d, bias);
        else ReluBackwardTyped<double>(gd, g2d, yd, d, bias);
        return (d, bias);
    }

    static void ReluBackwardTyped<T>(Tensor g, Tensor? g2, Tensor y, Tensor d, Tensor bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cols = bias.Numel, rows = cols == 0 ? 0 : (int)(d.Numel / cols);
        int blocks = (rows + ReluBackwardBlock - 1) / ReluBackwardBlock;
        T* pg = Ptr<T>(g) + g.Offset, pg2 = g2 is null ? null : Ptr<T>(g2) + g2.Offset, py = Ptr<T>(y) + y.Offset, pd = Ptr<T>(d), pb = Ptr<T>(bias);
        using var alive = new KeepAlive(g, y, d, bias, g2);
        var sums = ArrayPool<T>.Shared.Rent(Math.Max(1, blocks * cols));
        try
        {
            fixed (T* s = sums)
            {
                T* blockSums = s;
                void Block(int blk)
                {
                    int r0 = blk * ReluBackwardBlock, r1 = Math.Min(rows, r0 + ReluBackwardBlock);
                    T* sum = blockSums + (long)blk * cols;
                    new Span<T>(sum, cols).Clear();
                    for (int r = r0; r < r1; r++)
                    {
                        long at = (long)r * cols;
                        ReluBackwardRow(pg + at, pg2 is null ? null : pg2 + at, py + at, pd + at, sum, cols);
                    }
                }
                if ((long)rows * cols < 1 << 15 || blocks == 1) for (int b = 0; b < blocks; b++) Block(b);
                else CpuParallel.For(blocks, Block);
                for (int j = 0; j < cols; j++)
                {
                    double total = 0;
                    for (int b = 0; b < blocks; b++) total += double.CreateChecked(blockSums[(long)b * cols + j]);
                    pb[j] = T.CreateChecked(total);
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(sums);
        }
    }

    /// <summary>
    /// d[j] = g[j]·sign(y[j]) (as <see cref="BinaryFns.MulSign"/>) and sum[j] += d[j], where g = g1 + g2 when g2 is given
    /// (the sum rounded to T first, as adding the parts beforehand would).
    /// </summary>
    static void ReluBackwardRow<T>(T* g1, T* g2, T* y, T* d, T* sum, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0, w = Vector256<T>.Count;
        if (Vector256.IsHardwareAccelerated)
            for (; j <= n - w; j += w)
            {
                var g = g2 is null ? Vector256.Load(g1 + j) : Vector256.Load(g1 + j) + Vector256.Load(g2 + j);
                var v = BinaryFns.MulSign.Apply(g, Vector256.Load(y + j));
                Vector256.Store(v, d + j);
                Vector256.Store(Vector256.Load(sum + j) + v, sum + j);
            }
        for (; j < n; j++)
        {
            T v = BinaryFns.MulSign.Apply(g2 is null ? g1[j] : g1[j] + g2[j], y[j]);
            d[j] = v;
            sum[j] += v;
        }
    }
}
