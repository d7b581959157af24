using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        RequireFloat(log ? "log_softmax" : "softmax", x);
        var rows = RowsAlong(x, dim);
        var y = Tensor.Empty(rows.ShapeArray, x.DType);
        int len = x.shape[dim], rowCount = len == 0 ? 0 : x.Numel / len;
        if (x.DType == DType.Float32) SoftmaxRows<float>(rows, y, rowCount, len, log);
        else SoftmaxRows<double>(rows, y, rowCount, len, log);
        return FromRows(y, x.shape, dim);
    }

    public Tensor SoftmaxBackward(Tensor y, Tensor g, int dim, bool log)
    {
        RequireFloat(log ? "log_softmax_backward" : "softmax_backward", y);
        var yr = RowsAlong(y, dim);
        var gr = RowsAlong(g.DType == y.DType ? g : ToDType(g, y.DType), dim);
        var gx = Tensor.Empty(yr.ShapeArray, y.DType);
        int len = y.shape[dim], rowCount = len == 0 ? 0 : y.Numel / len;
        if (y.DType == DType.Float32) SoftmaxBackwardRows<float>(yr, gr, gx, rowCount, len, log);
        else SoftmaxBackwardRows<double>(yr, gr, gx, rowCount, len, log);
        return FromRows(gx, y.shape, dim);
    }

    static void SoftmaxRows<T>(Tensor rows, Tensor y, int rowCount, int len, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* src = Ptr<T>(rows) + rows.Offset, dst = Ptr<T>(y);
        using var alive = new KeepAlive(rows, y);
        ForRows(rowCount, len, r =>
        {
            T* xr = src + (long)r * len, yr = dst + (long)r * len;
            if (log) LogSoftmaxRow(xr, yr, len); else SoftmaxRow(xr, yr, len);
        });
    }

    /// <summary>y = exp(x − m) / Σ exp(x − m) with m = max x, so no exp overflows (two passes over the row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SoftmaxRow<T>(T* x, T* y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = MaxRow(x, n);
        T sum = ExpSumRow(x, y, n, max);
        T inv = T.One / sum;
        int i = 0, w = Vector256<T>.Count;
        var vi = Vector256.Create(inv);
        for (; i <= n - w; i += w) (Vector256.Load(y + i) * vi).Store(y + i);
        for (; i < n; i++) y[i] *= inv;
    }

    /// <summary>
    /// log_softmax: y = (x − m) − log Σ exp(x − m). In this order: x − m is exact near the max, whereas x − (m + log Σ)
    /// rounds m + log Σ to m's precision first (float32 [1e7, 1e7, 0] would give −1 instead of −log 2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void LogSoftmaxRow<T>(T* x, T* y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = MaxRow(x, n);
        T logSum = T.Log(ExpSumRow(x, null, n, max));
        int i = 0, w = Vector256<T>.Count;
        var vm = Vector256.Create(max);
        var vl = Vector256.Create(logSum);
        for (; i <= n - w; i += w) (Vector256.Load(x + i) - vm - vl).Store(y + i);
        for (; i < n; i++) y[i] = x[i] - max - logSum;
    }

    /// <summary>Σ exp(x − m), storing the terms in e when it is not null; blocks of 4096 added in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static T ExpSumRow<T>(T* x, T* e, int n, T m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && WideElementwise) return T.CreateTruncating(ExpSumRowWide((float*)x, (float*)e, n, float.CreateTruncating(m)));
        double total = 0;
        int w = Vector256<T>.Count;
        var vm = Vector256.Create(m);
        for (int start = 0; start < n; start += 4096)
        {
            int end = Math.Min(n, start + 4096), i = start;
            var acc = Vector256<T>.Zero;
            for (; i <= end - w; i += w)
            {
                var v = VMath.Exp(Vector256.Load(x + i) - vm);
                if (e != null) v.Store(e + i);
                acc += v;
            }
            T block = Vector256.Sum(acc);
            for (; i < end; i++)
            {
                T v = T.Exp(x[i] - m);
                if (e != null) e[i] = v;
                block += v;
            }
            total += double.CreateChecked(block);
        }
        return T.CreateChecked(total);
    }

    /// <summary>
    /// <see cref="ExpSumRow"/> for float rows on 512-bit lanes with <see cref="VMath512.ExpOfNonPositive"/> (x − m ≤ 0,
    /// m being the row's max): the library's float exp widens to double, three times the time of the whole row's sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float ExpSumRowWide(float* x, float* e, int n, float m)
    {
        double total = 0;
        int w = Vector512<float>.Count;
        var vm = Vector512.Create(m);
        for (int start = 0; start < n; start += 4096)
        {
            int end = Math.Min(n, start + 4096), i = start;
            var acc = Vector512<float>.Zero;
            for (; i <= end - w; i += w)
            {
                var v = VMath512.ExpOfNonPositive(Vector512.Load(x + i) - vm);
                if (e != null) v.Store(e + i);
                acc += v;
            }
            float block = Vector512.Sum(acc);
            for (; i < end; i++)
            {
                float v = MathF.Exp(x[i] - m);
                if (e != null) e[i] = v;
                block += v;
            }
            total += block;
        }
        return (float)total;
    }

    static void SoftmaxBackwardRows<T>(Tensor yRows, Tensor gRows, Tensor gx, int rowCount, int len, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* py = Ptr<T>(yRows) + yRows.Offset, pg = Ptr<T>(gRows) + gRows.Offset, po = Ptr<T>(gx);
        using var alive = new KeepAlive(yRows, gRows, gx);
        int w = Vector256<T>.Count;
        ForRows(rowCount, len, r =>
        {
            long at = (long)r * len;
            T* y = py + at, g = pg + at, o = po + at;
            int i = 0;
            if (log)
            {
                // gx = g − exp(y)·Σg
                var s = Vector256.Create(SumRow(g, len));
                for (; i <= len - w; i += w) (Vector256.Load(g + i) - VMath.Exp(Vector256.Load(y + i)) * s).Store(o + i);
                for (; i < len; i++) o[i] = g[i] - T.Exp(y[i]) * s[0];
            }
            else SoftmaxBackwardRow(y, g, o, len);
        });
    }

    /// <summary>gx = y ⊙ (g − Σ g⊙y) for one row (o may be g: each element is read before it is written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SoftmaxBackwardRow<T>(T* y, T* g, T* o, int len) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, w = Vector256<T>.Count;
        var d = Vector256.Create(DotRow(g, y, len));
        for (; i <= len - w; i += w) (Vector256.Load(y + i) * (Vector256.Load(g + i) - d)).Store(o + i);
        for (; i < len; i++) o[i] = y[i] * (g[i] - d[0]);
    }
}
