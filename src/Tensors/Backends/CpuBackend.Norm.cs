using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;

using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    public (Tensor y, Tensor mean, Tensor rstd) LayerNorm(Tensor x, int normSize, Tensor? weight, Tensor? bias, double eps)
    {
        RequireFloat("layer_norm", x);
        x = Dense(x);
        int rowCount = normSize == 0 ? 0 : x.Numel / normSize;
        var y = Tensor.Empty(x.ShapeArray, x.DType);
        var mean = Tensor.Empty([rowCount], x.DType);
        var rstd = Tensor.Empty([rowCount], x.DType);
        var w = weight is null ? null : Dense(weight);
        var b = bias is null ? null : Dense(bias);
        if (x.DType == DType.Float32) LayerNormRows<float>(x, w, b, y, mean, rstd, rowCount, normSize, (float)eps);
        else LayerNormRows<double>(x, w, b, y, mean, rstd, rowCount, normSize, eps);
        return (y, mean, rstd);
    }

    /// <summary>Per row: μ = Σx/n, σ² = Σ(x − μ)²/n (two passes), rstd = 1/√(σ² + eps), y = (x − μ)·rstd·w + b.</summary>
    static void LayerNormRows<T>(Tensor x, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, int rowCount, int n, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* px = Ptr<T>(x) + x.Offset, py = Ptr<T>(y), pm = Ptr<T>(mean), ps = Ptr<T>(rstd);
        T* pw = weight is null ? null : Ptr<T>(weight) + weight.Offset;
        T* pb = bias is null ? null : Ptr<T>(bias) + bias.Offset;
        using var alive = new KeepAlive(x, y, mean, rstd, weight, bias);
        ForRows(rowCount, n, r => LayerNormRow(px + (long)r * n, py + (long)r * n, pw, pb, n, eps, out pm[r], out ps[r]));
    }

    // optimised at its first call: as a lambda's body it ran at tier 0 with its vector loads and stores as calls for
    // most of a GPT-2 forward at 1 x 128 (25 LayerNorms, each ~0.2 ms)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void LayerNormRow<T>(T* xr, T* yr, T* pw, T* pb, int n, T eps, out T mu, out T rs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        mu = SumRow(xr, n) / T.CreateChecked(n);
        rs = T.One / T.Sqrt(SumSqDevRow(xr, n, mu) / T.CreateChecked(n) + eps);
        var vmu = Vector256.Create(mu); var vrs = Vector256.Create(rs);
        int i = 0, w = Vector256<T>.Count;
        for (; i <= n - w; i += w)
        {
            var v = (Vector256.Load(xr + i) - vmu) * vrs;
            if (pw != null) v *= Vector256.Load(pw + i);
            if (pb != null) v += Vector256.Load(pb + i);
            v.Store(yr + i);
        }
        for (; i < n; i++)
        {
            T v = (xr[i] - mu) * rs;
            if (pw != null) v *= pw[i];
            if (pb != null) v += pb[i];
            yr[i] = v;
        }
    }

    public (Tensor dx, Tensor? dweight, Tensor? dbias) LayerNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor? weight, int normSize, bool affineGrads)
    {
        RequireFloat("layer_norm_backward", x);
        x = Dense(x);
        g = Dense(g.DType == x.DType ? g : ToDType(g, x.DType));
        var w = weight is null ? null : Dense(weight);
        int rowCount = normSize == 0 ? 0 : x.Numel / normSize;
        var dx = Tensor.Empty(x.ShapeArray, x.DType);
        var dw = affineGrads ? Tensor.Empty([normSize], x.DType) : null;
        var db = affineGrads ? Tensor.Empty([normSize], x.DType) : null;
        if (x.DType == DType.Float32) LayerNormBackwardRows<float>(g, x, Dense(mean), Dense(rstd), w, dx, dw, db, rowCount, normSize);
        else LayerNormBackwardRows<double>(g, x, Dense(mean), Dense(rstd), w, dx, dw, db, rowCount, normSize);
        return (dx, dw, db);
    }

    /// <summary>
    /// With x̂ = (x − μ)·rstd and ĝ = g⊙w, per row: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂)); over rows: dw = Σ g⊙x̂,
    /// db = Σ g. Rows are split into chunks, each with its own dw/db partial sums, added at the end.
    /// </summary>
    static void LayerNormBackwardRows<T>(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor? weight, Tensor dx, Tensor? dweight, Tensor? dbias, int rowCount, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* pg = Ptr<T>(g) + g.Offset, px = Ptr<T>(x) + x.Offset, pm = Ptr<T>(mean) + mean.Offset, ps = Ptr<T>(rstd) + rstd.Offset;
        T* pw = weight is null ? null : Ptr<T>(weight) + weight.Offset;
        T* po = Ptr<T>(dx);
        using var alive = new KeepAlive(g, x, mean, rstd, weight, dx);
        bool affine = dweight is not null;
        int chunks = (long)rowCount * n < 1 << 15 ? 1 : Math.Min(rowCount, 4 * Environment.ProcessorCount);
        var partial = new T[affine ? 2 * chunks * n : 0];   // [chunk][dw | db][n]
        var scratch = new T[chunks * n];                      // ĝ of the row being processed, per chunk
        T inv = T.One / T.CreateChecked(Math.Max(n, 1));
        int vw = Vector256<T>.Count;
        fixed (T* pp = partial, pscr = scratch)
        {
            T* parts = pp, scr = pscr;
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // a training run's first steps ran it at tier 0
            void Chunk(int c)
            {
                int r0 = (int)((long)rowCount * c / chunks), r1 = (int)((long)rowCount * (c + 1) / chunks);
                T* dwc = parts + 2L * c * n, dbc = dwc + n, gh = scr + (long)c * n;
                for (int r = r0; r < r1; r++)
                {
                    T* gr = pg + (long)r * n, xr = px + (long)r * n, dr = po + (long)r * n;
                    var mu = Vector256.Create(pm[r]); var rs = Vector256.Create(ps[r]);
                    // pass 1: ĝ (kept in scratch), Σĝ, Σĝ⊙x̂, and the affine partial sums
                    var sg = Vector256<T>.Zero; var sgx = sg;
                    int i = 0;
                    for (; i <= n - vw; i += vw)
                    {
                        var gv = Vector256.Load(gr + i);
                        var xh = (Vector256.Load(xr + i) - mu) * rs;
                        var ghv = pw == null ? gv : gv * Vector256.Load(pw + i);
                        ghv.Store(gh + i);
                        sg += ghv; sgx += ghv * xh;
                        if (affine) { (Vector256.Load(dwc + i) + gv * xh).Store(dwc + i); (Vector256.Load(dbc + i) + gv).Store(dbc + i); }
                    }
                    T sumG = Vector256.Sum(sg), sumGX = Vector256.Sum(sgx);
                    for (; i < n; i++)
                    {
                        T xh = (xr[i] - mu[0]) * rs[0];
                        T ghs = pw == null ? gr[i] : gr[i] * pw[i];
                        gh[i] = ghs;
                        sumG += ghs; sumGX += ghs * xh;
                        if (affine) { dwc[i] += gr[i] * xh; dbc[i] += gr[i]; }
                    }
                    // pass 2: dx
                    var a = Vector256.Create(sumG * inv); var b = Vector256.Create(sumGX * inv);
                    for (i = 0; i <= n - vw; i += vw)
                    {
                        var xh = (Vector256.Load(xr + i) - mu) * rs;
                        (rs * (Vector256.Load(gh + i) - a - xh * b)).Store(dr + i);
                    }
                    for (; i < n; i++) dr[i] = rs[0] * (gh[i] - a[0] - (xr[i] - mu[0]) * rs[0] * b[0]);
                }
            }
            if (chunks == 1) Chunk(0); else CpuParallel.For(chunks, Chunk);
            if (!affine) return;
            T* dw = Ptr<T>(dweight!), db = Ptr<T>(dbias!);
            using var aliveGrads = new KeepAlive(dweight, dbias);
            for (int i = 0; i < n; i++)
            {
                T sw = T.Zero, sb = T.Zero;
                for (int c = 0; c < chunks; c++) { sw += parts[2L * c * n + i]; sb += parts[2L * c * n + n + i]; }
                dw[i] = sw; db[i] = sb;
            }
        }
    }
}
