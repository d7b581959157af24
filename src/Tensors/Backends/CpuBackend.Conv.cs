using System.Runtime.Intrinsics;

using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    public Tensor Im2Col(Tensor x, Window2d w)
    {
        RequireFloat("im2col", x);
        var src = Contig(x);
        int n = x.shape[0];
        var o = Tensor.Empty([n, w.C * w.KH * w.KW, w.OH * w.OW], x.DType);
        if (x.DType == DType.Float32) Im2ColTyped<float>(src, o, n, w, toCols: true);
        else Im2ColTyped<double>(src, o, n, w, toCols: true);
        return o;
    }

    public Tensor Col2Im(Tensor cols, Window2d w)
    {
        RequireFloat("col2im", cols);
        var src = Contig(cols);
        int n = cols.shape[0];
        var o = Tensor.Empty([n, w.C, w.H, w.W], cols.DType, zeroed: true);
        if (cols.DType == DType.Float32) Im2ColTyped<float>(o, src, n, w, toCols: false);
        else Im2ColTyped<double>(o, src, n, w, toCols: false);
        return o;
    }

    /// <summary>
    /// Walks every (n, c) plane against its KH·KW rows of cols: copies image → cols, or adds cols → image (col2im).
    /// Each (n, c) task touches only its own plane and rows, so the planes run in parallel without races.
    /// </summary>
    static void Im2ColTyped<T>(Tensor image, Tensor cols, int n, Window2d w, bool toCols) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        T* img = Ptr<T>(image) + image.Offset, col = Ptr<T>(cols) + cols.Offset;
        using var alive = new KeepAlive(image, cols);
        int plane = w.H * w.W, rows = w.KH * w.KW, l = w.OH * w.OW;
        // (n, c) rows are contiguous: index n·C·rows + c·rows = nc·rows
        void Plane(int nc) => WindowRows(img + (long)nc * plane, col + (long)nc * rows * l, l, w, 0, w.OH, toCols);
        int planes = n * w.C;
        if ((long)planes * rows * l < 1 << 15) for (int t = 0; t < planes; t++) Plane(t);
        else CpuParallel.For(planes, Plane);
    }

    /// <summary>
    /// One image plane against its KH·KW rows of columns for the output rows y0 ≤ oh &lt; y1: column row (i, j) starts at
    /// cols + (i·KW + j)·ld and holds (y1 − y0)·OW values. Copies plane → cols, or adds cols → plane (col2im).
    /// </summary>
    internal static void WindowRows<T>(T* p, T* cols, long ld, Window2d w, int y0, int y1, bool toCols) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        int ow = w.OW;
        for (int i = 0; i < w.KH; i++)
            for (int j = 0; j < w.KW; j++)
            {
                T* crow = cols + (i * w.KW + j) * ld;
                for (int y = y0; y < y1; y++)
                {
                    int ih = y * w.SH - w.PH + i * w.DH;
                    T* cr = crow + (long)(y - y0) * ow;
                    if ((uint)ih >= (uint)w.H)
                    {
                        if (toCols) new Span<T>(cr, ow).Clear();
                        continue;
                    }
                    T* ir = p + (long)ih * w.W;
                    if (w.SW == 1)
                    {
                        // stride 1: the columns inside the image are one contiguous run, iw = x + shift
                        int shift = j * w.DW - w.PW, xs = Math.Clamp(-shift, 0, ow), xe = Math.Clamp(w.W - shift, xs, ow);
                        if (toCols)
                        {
                            new Span<T>(cr, xs).Clear();
                            new Span<T>(ir + xs + shift, xe - xs).CopyTo(new Span<T>(cr + xs, xe - xs));
                            new Span<T>(cr + xe, ow - xe).Clear();
                        }
                        else AddRun(ir + xs + shift, cr + xs, xe - xs);
                        continue;
                    }
                    for (int x = 0; x < ow; x++)
                    {
                        int iw = x * w.SW - w.PW + j * w.DW;
                        if ((uint)iw >= (uint)w.W) { if (toCols) cr[x] = T.Zero; }
                        else if (toCols) cr[x] = ir[iw];
                        else ir[iw] += cr[x];
                    }
                }
            }
    }

    /// <summary>dst[i] += src[i] for i &lt; n.</summary>
    static void AddRun<T>(T* dst, T* src, int n) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        int i = 0;
        if (Vector256<T>.IsSupported)
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                Vector256.Store(Vector256.Load(dst + i) + Vector256.Load(src + i), dst + i);
        for (; i < n; i++) dst[i] += src[i];
    }
}
