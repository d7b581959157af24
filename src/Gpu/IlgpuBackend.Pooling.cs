using ILGPU;
using ILGPU.Runtime;
using Interp.Backends;

namespace Interp.Gpu;

/// <summary>2-d pooling: one thread per pooled element; the backward passes scatter with atomic adds (windows overlap).</summary>
public sealed partial class IlgpuBackend
{
    public (Tensor output, Tensor argmax) MaxPool2d(Tensor x, Window2d w)
    {
        RequireFloat("max_pool2d", x);
        var src = Contig("max_pool2d", x);
        int n = x.shape[0];
        var o = New([n, w.C, w.OH, w.OW], x.DType);
        var arg = New([n, w.C, w.OH, w.OW], DType.Int32);
        if (o.Numel == 0) return (o, arg);
        if (x.DType == DType.Float32) MaxPoolTyped<float, F32>(src, o, arg, w);
        else MaxPoolTyped<double, F64>(src, o, arg, w);
        return (o, arg);
    }

    void MaxPoolTyped<T, E>(Tensor x, Tensor o, Tensor arg, Window2d w) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"max_pool2d/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<int>, Window2d>(MaxPoolKernel<T, E>));
        k(o.Numel, Dense<T>(x), Dense<T>(o), Dense<int>(arg), w);
    }

    /// <summary>Max over the window (padding is −∞; the first NaN wins) and its flat index in the H·W plane.</summary>
    static void MaxPoolKernel<T, E>(Index1D t, ArrayView<T> x, ArrayView<T> o, ArrayView<int> arg, Window2d w) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        int ow = w.OW, ox = t % ow, oy = t / ow % w.OH, plane = t / (ow * w.OH);
        long p = (long)plane * w.H * w.W;
        double best = double.NegativeInfinity;
        int at = -1;
        for (int i = 0; i < w.KH && !double.IsNaN(best); i++)
        {
            int ih = oy * w.SH - w.PH + i * w.DH;
            if (ih < 0 || ih >= w.H) continue;
            for (int j = 0; j < w.KW; j++)
            {
                int iw = ox * w.SW - w.PW + j * w.DW;
                if (iw < 0 || iw >= w.W) continue;
                double v = e.Load(x[p + ih * w.W + iw]);
                if (at < 0 || v > best || double.IsNaN(v)) { best = v; at = ih * w.W + iw; if (double.IsNaN(v)) break; }
            }
        }
        o[t] = e.Store(best);
        arg[t] = at;
    }

    public Tensor MaxPool2dBackward(Tensor g, Tensor argmax, Window2d w)
    {
        var src = Contig("max_pool2d_backward", g);
        var o = New([g.shape[0], w.C, w.H, w.W], g.DType, zeroed: true);
        if (g.Numel == 0) return o;
        var arg = Contig("max_pool2d_backward", argmax);
        if (g.DType == DType.Float32) MaxPoolBackTyped<float, F32>(src, arg, o, w);
        else MaxPoolBackTyped<double, F64>(src, arg, o, w);
        return o;
    }

    void MaxPoolBackTyped<T, E>(Tensor g, Tensor arg, Tensor o, Window2d w) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"max_pool2d_backward/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int>(MaxPoolBackKernel<T, E>));
        k(g.Numel, Dense<T>(g), Dense<int>(arg), Dense<T>(o), w.OH * w.OW, w.H * w.W);
    }

    static void MaxPoolBackKernel<T, E>(Index1D t, ArrayView<T> g, ArrayView<int> arg, ArrayView<T> o, int pooledPlane, int plane)
        where T : unmanaged where E : struct, IElem<T>
    {
        int at = arg[t];
        if (at >= 0) default(E).AtomicAdd(ref o[(long)(t.X / pooledPlane) * plane + at], default(E).Load(g[t]));
    }

    public Tensor AvgPool2d(Tensor x, Window2d w, bool countIncludePad)
    {
        RequireFloat("avg_pool2d", x);
        var src = Contig("avg_pool2d", x);
        var o = New([x.shape[0], w.C, w.OH, w.OW], x.DType);
        if (o.Numel == 0) return o;
        if (x.DType == DType.Float32) AvgPoolTyped<float, F32>(src, o, w, countIncludePad, forward: true);
        else AvgPoolTyped<double, F64>(src, o, w, countIncludePad, forward: true);
        return o;
    }

    public Tensor AvgPool2dBackward(Tensor g, Window2d w, bool countIncludePad)
    {
        var src = Contig("avg_pool2d_backward", g);
        var o = New([g.shape[0], w.C, w.H, w.W], g.DType, zeroed: true);
        if (g.Numel == 0) return o;
        if (g.DType == DType.Float32) AvgPoolTyped<float, F32>(o, src, w, countIncludePad, forward: false);
        else AvgPoolTyped<double, F64>(o, src, w, countIncludePad, forward: false);
        return o;
    }

    void AvgPoolTyped<T, E>(Tensor image, Tensor pooled, Window2d w, bool countIncludePad, bool forward) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"avg_pool2d/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, Window2d, int, int>(AvgPoolKernel<T, E>));
        k(pooled.Numel, Dense<T>(image), Dense<T>(pooled), w, countIncludePad ? 1 : 0, forward ? 1 : 0);
    }

    /// <summary>
    /// Forward: pooled[t] = Σ window / div; backward: every in-bounds window element += pooled[t] / div (atomically).
    /// div = KH·KW with countIncludePad, else the in-bounds count (the window is clipped as on the CPU).
    /// </summary>
    static void AvgPoolKernel<T, E>(Index1D t, ArrayView<T> image, ArrayView<T> pooled, Window2d w, int countIncludePad, int forward)
        where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        int ow = w.OW, ox = t % ow, oy = t / ow % w.OH, plane = t / (ow * w.OH);
        long p = (long)plane * w.H * w.W;
        int h0 = oy * w.SH - w.PH, w0 = ox * w.SW - w.PW;
        int hs = h0 > 0 ? h0 : 0, he = Math.Min(h0 + (w.KH - 1) * w.DH + 1, w.H);
        int ws = w0 > 0 ? w0 : 0, we = Math.Min(w0 + (w.KW - 1) * w.DW + 1, w.W);
        int count = 0;
        double sum = 0;
        for (int ih = h0; ih < he; ih += w.DH)
            for (int iw = w0; iw < we; iw += w.DW)
                if (ih >= hs && iw >= ws) { count++; if (forward != 0) sum += e.Load(image[p + ih * w.W + iw]); }
        double div = countIncludePad != 0 ? w.KH * w.KW : Math.Max(count, 1);
        if (forward != 0) { pooled[t] = e.Store(sum / div); return; }
        double share = e.Load(pooled[t]) / div;
        for (int ih = h0; ih < he; ih += w.DH)
            for (int iw = w0; iw < we; iw += w.DW)
                if (ih >= hs && iw >= ws) e.AtomicAdd(ref image[p + ih * w.W + iw], share);
    }
}
