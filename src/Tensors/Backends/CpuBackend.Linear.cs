using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
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
    public (Tensor Grad, Tensor BiasGrad) ReluBackwardWithBiasGrad(Tensor g, Tensor y) => ReluBackward(g, null, null, y);

    /// <summary>As above for g = g1 + g2, the two parts added in the same pass (one read of each, no sum written out).</summary>
    public (Tensor Grad, Tensor BiasGrad) ReluBackwardWithBiasGrad(Tensor g1, Tensor g2, Tensor y)
    {
        ReluBackwardShapes.Check(g1, y);
        ReluBackwardShapes.Check(g2, y);
        return ReluBackward(g1, g2, null, y);
    }

    /// <summary>
    /// As above for g [+] s·sign(y), s broadcast to y: a scale constant along the last dim (Σ|y| over it: one value
    /// per row) is read as one value per row, any other is made dense first. No part s·sign(y) is written out.
    /// </summary>
    public (Tensor Grad, Tensor BiasGrad) ReluBackwardOfSignScaled(Tensor? g, Tensor scale, Tensor y)
    {
        var s = ReluBackwardShapes.Spread(scale, y);
        if (g is not null) ReluBackwardShapes.Check(g, y);
        RequireCpu("relu_backward", scale);
        bool perRow = s.strides[^1] == 0;
        int[] rowShape = [.. y.ShapeArray[..^1], 1];
        var sd = perRow ? Dense(new Tensor(s.Storage, rowShape, s.strides, s.Offset)) : Dense(s);
        return ReluBackward(g, null, new SignScale(sd, perRow), y);
    }

    /// <summary>A sign-scaled gradient part's scale, dense: one value per row of y, or one per element.</summary>
    readonly record struct SignScale(Tensor Values, bool PerRow);

    // g is null only with a scale (a gradient given by its sign-scaled part alone)
    (Tensor Grad, Tensor BiasGrad) ReluBackward(Tensor? g, Tensor? g2, SignScale? scale, Tensor y)
    {
        var shapeOf = g ?? y;
        if (g is not null) ReluBackwardShapes.Check(g, y);
        RequireCpu("relu_backward", shapeOf); RequireCpu("relu_backward", y);
        if (g2 is not null) RequireCpu("relu_backward", g2);
        var gd = g is null ? null : Dense(g); var yd = Dense(y);
        var g2d = g2 is null ? null : Dense(g2);
        var d = Tensor.Empty(y.ShapeArray, y.DType);
        var bias = Tensor.Empty([y.shape[^1]], y.DType);
        if (y.DType == DType.Float32) ReluBackwardTyped<float>(gd, g2d, scale, yd, d, bias);
        else ReluBackwardTyped<double>(gd, g2d, scale, yd, d, bias);
        return (d, bias);
    }

    static void ReluBackwardTyped<T>(Tensor? g, Tensor? g2, SignScale? scale, Tensor y, Tensor d, Tensor bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cols = bias.Numel, rows = cols == 0 ? 0 : (int)(d.Numel / cols);
        int blocks = (rows + ReluBackwardBlock - 1) / ReluBackwardBlock;
        T* pg = g is null ? null : Ptr<T>(g) + g.Offset, pg2 = g2 is null ? null : Ptr<T>(g2) + g2.Offset, py = Ptr<T>(y) + y.Offset, pd = Ptr<T>(d), pb = Ptr<T>(bias);
        var sv = scale?.Values;
        T* ps = sv is null ? null : Ptr<T>(sv) + sv.Offset;
        bool perRow = scale?.PerRow == true;
        using var alive = new KeepAlive(y, d, bias, g, g2, sv);
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
                        var row = new ReluBackwardRowParts<T>(pg is null ? null : pg + at, pg2 is null ? null : pg2 + at,
                                                              ps is null ? null : perRow ? ps + r : ps + at, perRow);
                        ReluBackwardRow(row, py + at, pd + at, sum, cols);
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
    /// One row's gradient parts: g1, g1 + g2, or [g1 +] s·sign(y) with s one value for the row (S points at it) or a row
    /// of values. Null pointers are absent parts.
    /// </summary>
    readonly struct ReluBackwardRowParts<T>(T* g1, T* g2, T* s, bool sIsOneValue) where T : unmanaged
    {
        public readonly T* G1 = g1, G2 = g2, S = s;
        public readonly bool SIsOneValue = sIsOneValue;
    }

    /// <summary>
    /// d[j] = g[j]·sign(y[j]) (as <see cref="BinaryFns.MulSign"/>) and sum[j] += d[j], where g = g1 + g2 or
    /// [g1 +] s·sign(y) (each part rounded to T first, as writing it out and adding it beforehand would).
    /// sign(y) is made once per vector and used for both products.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ReluBackwardRow<T>(ReluBackwardRowParts<T> p, T* y, T* d, T* sum, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0, w = Vector256<T>.Count;
        T* g1 = p.G1, g2 = p.G2, s = p.S;
        bool one = p.SIsOneValue;
        if (Vector256.IsHardwareAccelerated)
        {
            var sRow = s is not null && one ? Vector256.Create(*s) : default;
            for (; j <= n - w; j += w)
            {
                var yv = Vector256.Load(y + j);
                var step = UnaryFns.Sign.Apply(yv, yv, yv);
                Vector256<T> g;
                if (s is null) g = g2 is null ? Vector256.Load(g1 + j) : Vector256.Load(g1 + j) + Vector256.Load(g2 + j);
                else
                {
                    var part = (one ? sRow : Vector256.Load(s + j)) * step;
                    g = g1 is null ? part : Vector256.Load(g1 + j) + part;
                }
                var v = g * step;
                Vector256.Store(v, d + j);
                Vector256.Store(Vector256.Load(sum + j) + v, sum + j);
            }
        }
        for (; j < n; j++)
        {
            T g;
            if (s is null) g = g2 is null ? g1[j] : g1[j] + g2[j];
            else
            {
                T part = BinaryFns.MulSign.Apply(one ? *s : s[j], y[j]);
                g = g1 is null ? part : g1[j] + part;
            }
            T v = BinaryFns.MulSign.Apply(g, y[j]);
            d[j] = v;
            sum[j] += v;
        }
    }
}
