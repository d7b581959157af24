using System.Numerics;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    public (Tensor output, Tensor argmax) MaxPool2d(Tensor x, Window2d w)
    {
        RequireFloat("max_pool2d", x);
        var src = Contig(x);
        int n = x.shape[0];
        var o = Tensor.Empty([n, w.C, w.OH, w.OW], x.DType);
        var arg = Tensor.Empty([n, w.C, w.OH, w.OW], DType.Int32);
        if (x.DType == DType.Float32) MaxPoolTyped<float>(src, o, arg, n * w.C, w);
        else MaxPoolTyped<double>(src, o, arg, n * w.C, w);
        return (o, arg);
    }

    static void MaxPoolTyped<T>(Tensor x, Tensor o, Tensor arg, int planes, Window2d w) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* px = Ptr<T>(x) + x.Offset, po = Ptr<T>(o);
        int* pa = Ptr<int>(arg);
        using var alive = new KeepAlive(x, o, arg);
        int oh = w.OH, ow = w.OW;
        void Plane(int nc)
        {
            T* p = px + (long)nc * w.H * w.W;
            long ob = (long)nc * oh * ow;
            for (int y = 0; y < oh; y++)
                for (int xo = 0; xo < ow; xo++)
                {
                    T best = T.NegativeInfinity;
                    int at = -1;
                    for (int i = 0; i < w.KH; i++)
                    {
                        int ih = y * w.SH - w.PH + i * w.DH;
                        if ((uint)ih >= (uint)w.H) continue;
                        for (int j = 0; j < w.KW; j++)
                        {
                            int iw = xo * w.SW - w.PW + j * w.DW;
                            if ((uint)iw >= (uint)w.W) continue;
                            T v = p[ih * w.W + iw];
                            if (at < 0 || v > best || T.IsNaN(v)) { best = v; at = ih * w.W + iw; if (T.IsNaN(v)) goto done; }
                        }
                    }
                done:
                    po[ob + y * ow + xo] = best;
                    pa[ob + y * ow + xo] = at;
                }
        }
        if ((long)planes * oh * ow * w.KH * w.KW < 1 << 15) for (int t = 0; t < planes; t++) Plane(t);
        else Parallel.For(0, planes, Plane);
    }

    public Tensor MaxPool2dBackward(Tensor g, Tensor argmax, Window2d w)
    {
        var src = Contig(g);
        int n = g.shape[0];
        var o = Tensor.Empty([n, w.C, w.H, w.W], g.DType, zeroed: true);
        if (g.DType == DType.Float32) MaxPoolBackTyped<float>(src, Contig(argmax), o, n * w.C, w);
        else MaxPoolBackTyped<double>(src, Contig(argmax), o, n * w.C, w);
        return o;
    }

    static void MaxPoolBackTyped<T>(Tensor g, Tensor arg, Tensor o, int planes, Window2d w) where T : unmanaged, INumberBase<T>
    {
        T* pg = Ptr<T>(g) + g.Offset, po = Ptr<T>(o);
        int* pa = Ptr<int>(arg) + arg.Offset;
        using var alive = new KeepAlive(g, o, arg);
        int l = w.OH * w.OW;
        void Plane(int nc)
        {
            T* dst = po + (long)nc * w.H * w.W;
            for (long k = (long)nc * l; k < (long)(nc + 1) * l; k++)
                if (pa[k] >= 0) dst[pa[k]] += pg[k];
        }
        if ((long)planes * l < 1 << 15) for (int t = 0; t < planes; t++) Plane(t);
        else Parallel.For(0, planes, Plane);
    }

    public Tensor AvgPool2d(Tensor x, Window2d w, bool countIncludePad)
    {
        RequireFloat("avg_pool2d", x);
        var src = Contig(x);
        int n = x.shape[0];
        var o = Tensor.Empty([n, w.C, w.OH, w.OW], x.DType);
        if (x.DType == DType.Float32) AvgPoolTyped<float>(src, o, n * w.C, w, countIncludePad, forward: true);
        else AvgPoolTyped<double>(src, o, n * w.C, w, countIncludePad, forward: true);
        return o;
    }

    public Tensor AvgPool2dBackward(Tensor g, Window2d w, bool countIncludePad)
    {
        var src = Contig(g);
        int n = g.shape[0];
        var o = Tensor.Empty([n, w.C, w.H, w.W], g.DType, zeroed: true);
        if (g.DType == DType.Float32) AvgPoolTyped<float>(o, src, n * w.C, w, countIncludePad, forward: false);
        else AvgPoolTyped<double>(o, src, n * w.C, w, countIncludePad, forward: false);
        return o;
    }

    /// <summary>Forward: pooled[k] = Σ window / divisor. Backward (the adjoint): image[window] += pooled[k] / divisor.</summary>
    static void AvgPoolTyped<T>(Tensor image, Tensor pooled, int planes, Window2d w, bool countIncludePad, bool forward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* pi = Ptr<T>(image) + image.Offset, pp = Ptr<T>(pooled) + pooled.Offset;
        using var alive = new KeepAlive(image, pooled);
        int oh = w.OH, ow = w.OW;
        void Plane(int nc)
        {
            T* p = pi + (long)nc * w.H * w.W;
            T* q = pp + (long)nc * oh * ow;
            for (int y = 0; y < oh; y++)
                for (int xo = 0; xo < ow; xo++)
                {
                    int h0 = y * w.SH - w.PH, w0 = xo * w.SW - w.PW;
                    int hs = Math.Max(h0, 0), he = Math.Min(h0 + (w.KH - 1) * w.DH + 1, w.H);
                    int ws = Math.Max(w0, 0), we = Math.Min(w0 + (w.KW - 1) * w.DW + 1, w.W);
                    int count = 0;
                    T sum = T.Zero;
                    for (int ih = h0; ih < he; ih += w.DH)
                        for (int iw = w0; iw < we; iw += w.DW)
                            if (ih >= hs && iw >= ws) { count++; if (forward) sum += p[ih * w.W + iw]; }
                    T div = T.CreateChecked(countIncludePad ? w.KH * w.KW : Math.Max(count, 1));
                    if (forward) { q[y * ow + xo] = sum / div; continue; }
                    T share = q[y * ow + xo] / div;
                    for (int ih = h0; ih < he; ih += w.DH)
                        for (int iw = w0; iw < we; iw += w.DW)
                            if (ih >= hs && iw >= ws) p[ih * w.W + iw] += share;
                }
        }
        if ((long)planes * oh * ow * w.KH * w.KW < 1 << 15) for (int t = 0; t < planes; t++) Plane(t);
        else Parallel.For(0, planes, Plane);
    }
}
