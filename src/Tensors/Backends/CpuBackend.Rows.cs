using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;

using Interp.Cpu;

namespace Interp.Backends;

/// <summary>Helpers of the row kernels (softmax, layer norm, variance): moving a dim innermost and SIMD row reductions.</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>x with <paramref name="dim"/> moved innermost, as contiguous rows (a copy only when needed).</summary>
    Tensor RowsAlong(Tensor x, int dim)
    {
        var reduced = new bool[x.Rank];
        reduced[dim] = true;
        return AsRows(x, reduced, out _);
    }

    /// <summary>The inverse of <see cref="RowsAlong"/>: rows laid out [other dims..., dim] back to x's dim order, contiguous.</summary>
    Tensor FromRows(Tensor rows, int[] shape, int dim)
    {
        if (dim == shape.Length - 1) return rows;
        var rowStrides = rows.strides;
        var strides = new int[shape.Length];
        for (int d = 0, k = 0; d < shape.Length; d++) if (d != dim) strides[d] = rowStrides[k++];
        strides[dim] = rowStrides[^1];
        return ToCpu(new Tensor(rows.Storage, (int[])shape.Clone(), strides, rows.Offset));
    }

    /// <summary>Runs body(r) for every row, over all cores once there is enough work.</summary>
    static void ForRows(int rowCount, int rowLen, Action<int> body)
    {
        if ((long)rowCount * rowLen < 1 << 15 || rowCount == 1) for (int r = 0; r < rowCount; r++) body(r);
        else CpuParallel.For(rowCount, body);
    }

    /// <summary>max of a row (NaN if any element is NaN); −∞ for an empty row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T MaxRow<T>(T* p, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, w = Vector256<T>.Count;
        T best = T.NegativeInfinity;
        if (n >= w)
        {
            var m = Vector256.Load(p);
            for (i = w; i <= n - w; i += w) m = Vector256.Max(m, Vector256.Load(p + i));
            for (int j = 0; j < w; j++) best = T.Max(best, m[j]);
        }
        for (; i < n; i++) best = T.Max(best, p[i]);
        return best;
    }

    /// <summary>Σ a⊙b over a row; SIMD within blocks of 4096, blocks added in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T DotRow<T>(T* a, T* b, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        int w = Vector256<T>.Count;
        for (int start = 0; start < n; start += 4096)
        {
            int len = Math.Min(4096, n - start), i = 0;
            T* pa = a + start, pb = b + start;
            var s0 = Vector256<T>.Zero; var s1 = s0;
            for (; i <= len - 2 * w; i += 2 * w)
            {
                s0 += Vector256.Load(pa + i) * Vector256.Load(pb + i);
                s1 += Vector256.Load(pa + i + w) * Vector256.Load(pb + i + w);
            }
            for (; i <= len - w; i += w) s0 += Vector256.Load(pa + i) * Vector256.Load(pb + i);
            T block = Vector256.Sum(s0 + s1);
            for (; i < len; i++) block += pa[i] * pb[i];
            total += double.CreateChecked(block);
        }
        return T.CreateChecked(total);
    }

    /// <summary>Σ (x − c)² over a row (the second pass of a two-pass variance); blocks added in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T SumSqDevRow<T>(T* p, int n, T c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        int w = Vector256<T>.Count;
        var vc = Vector256.Create(c);
        for (int start = 0; start < n; start += 4096)
        {
            int len = Math.Min(4096, n - start), i = 0;
            T* q = p + start;
            var s0 = Vector256<T>.Zero; var s1 = s0;
            for (; i <= len - 2 * w; i += 2 * w)
            {
                var d0 = Vector256.Load(q + i) - vc; var d1 = Vector256.Load(q + i + w) - vc;
                s0 += d0 * d0; s1 += d1 * d1;
            }
            for (; i <= len - w; i += w) { var d = Vector256.Load(q + i) - vc; s0 += d * d; }
            T block = Vector256.Sum(s0 + s1);
            for (; i < len; i++) { T d = q[i] - c; block += d * d; }
            total += double.CreateChecked(block);
        }
        return T.CreateChecked(total);
    }

    /// <summary>x itself when contiguous, else a contiguous copy.</summary>
    Tensor Dense(Tensor x) => x.IsContiguous ? x : ToCpu(x);
}
