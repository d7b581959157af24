using ILGPU;
using ILGPU.Runtime;
using Interp.Backends;

namespace Interp.Gpu;

/// <summary>Im2Col / Col2Im for conv2d: one thread per written element (Col2Im gathers, so it needs no atomics).</summary>
public sealed partial class IlgpuBackend
{
    public Tensor Im2Col(Tensor x, Window2d w)
    {
        RequireFloat("im2col", x);
        var src = Contig("im2col", x);
        var o = New([x.shape[0], w.C * w.KH * w.KW, w.OH * w.OW], x.DType);
        if (o.Numel == 0) return o;
        if (x.DType == DType.Float32) WindowKernel<float, F32>("im2col", Im2ColKernel<float, F32>, src, o, w);
        else WindowKernel<double, F64>("im2col", Im2ColKernel<double, F64>, src, o, w);
        return o;
    }

    public Tensor Col2Im(Tensor cols, Window2d w)
    {
        RequireFloat("col2im", cols);
        var src = Contig("col2im", cols);
        var o = New([cols.shape[0], w.C, w.H, w.W], cols.DType);
        if (o.Numel == 0) return o;
        if (cols.DType == DType.Float32) WindowKernel<float, F32>("col2im", Col2ImKernel<float, F32>, src, o, w);
        else WindowKernel<double, F64>("col2im", Col2ImKernel<double, F64>, src, o, w);
        return o;
    }

    /// <summary>Launches a kernel with one thread per element of <paramref name="o"/>, reading the contiguous <paramref name="src"/>.</summary>
    void WindowKernel<T, E>(string name, Action<Index1D, ArrayView<T>, ArrayView<T>, Window2d> kernel, Tensor src, Tensor o, Window2d w)
        where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"{name}/{typeof(T).Name}", a => a.LoadAutoGroupedStreamKernel(kernel));
        k(o.Numel, Dense<T>(src), Dense<T>(o), w);
    }

    /// <summary>cols[n, (c, i, j), (oh, ow)] = x[n, c, oh·SH − PH + i·DH, ow·SW − PW + j·DW], 0 outside.</summary>
    static void Im2ColKernel<T, E>(Index1D t, ArrayView<T> x, ArrayView<T> cols, Window2d w) where T : unmanaged where E : struct, IElem<T>
    {
        int oh = w.OH, ow = w.OW, r = t;
        int ox = r % ow; r /= ow;
        int oy = r % oh; r /= oh;
        int j = r % w.KW; r /= w.KW;
        int i = r % w.KH; r /= w.KH;                  // r = n·C + c
        int ih = oy * w.SH - w.PH + i * w.DH, iw = ox * w.SW - w.PW + j * w.DW;
        cols[t] = ih >= 0 && ih < w.H && iw >= 0 && iw < w.W ? x[((long)r * w.H + ih) * w.W + iw] : default(E).Store(0);
    }

    /// <summary>x[n, c, h, w] = Σ over (i, j) with h = oh·SH − PH + i·DH, w = ow·SW − PW + j·DW of cols[n, (c, i, j), (oh, ow)].</summary>
    static void Col2ImKernel<T, E>(Index1D t, ArrayView<T> cols, ArrayView<T> x, Window2d w) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        int oh = w.OH, ow = w.OW, r = t;
        int xw = r % w.W; r /= w.W;
        int xh = r % w.H; r /= w.H;                   // r = n·C + c
        double s = 0;
        for (int i = 0; i < w.KH; i++)
        {
            int hy = xh + w.PH - i * w.DH;
            if (hy < 0 || hy % w.SH != 0 || hy / w.SH >= oh) continue;
            for (int j = 0; j < w.KW; j++)
            {
                int wx = xw + w.PW - j * w.DW;
                if (wx < 0 || wx % w.SW != 0 || wx / w.SW >= ow) continue;
                long row = (long)r * w.KH * w.KW + i * w.KW + j;   // (n, c, i, j) flattened, as C·KH·KW rows per n
                s += e.Load(cols[row * oh * ow + hy / w.SH * ow + wx / w.SW]);
            }
        }
        x[t] = e.Store(s);
    }
}
