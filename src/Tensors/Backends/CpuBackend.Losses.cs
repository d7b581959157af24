using System.Numerics;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    public Tensor CrossEntropyRows(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing)
    {
        RequireFloat("cross_entropy", logits);
        var x = Contig(logits);
        var o = Tensor.Empty([x.shape[0]], x.DType);
        if (x.DType == DType.Float32) CrossEntropyTyped<float>(x, Contig(targets), null, o, ignoreIndex, labelSmoothing);
        else CrossEntropyTyped<double>(x, Contig(targets), null, o, ignoreIndex, labelSmoothing);
        return o;
    }

    public Tensor CrossEntropyRowsBackward(Tensor logits, Tensor targets, Tensor scale, int ignoreIndex, double labelSmoothing)
    {
        RequireFloat("cross_entropy", logits);
        var x = Contig(logits);
        var o = Tensor.Empty(x.ShapeArray, x.DType);
        if (x.DType == DType.Float32) CrossEntropyTyped<float>(x, Contig(targets), Contig(scale), o, ignoreIndex, labelSmoothing);
        else CrossEntropyTyped<double>(x, Contig(targets), Contig(scale), o, ignoreIndex, labelSmoothing);
        return o;
    }

    /// <summary>
    /// One pass per row: m = max x, s = Σ exp(x − m), lse = m + log s. Forward (scale null) writes the row's loss;
    /// backward writes (exp(x − lse) − q)·scale[n] with q the smoothed one-hot target. Sums are kept in double.
    /// </summary>
    static void CrossEntropyTyped<T>(Tensor x, Tensor targets, Tensor? scale, Tensor o, int ignoreIndex, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.shape[0], c = x.shape[1];
        T* px = Ptr<T>(x) + x.Offset, po = Ptr<T>(o);
        int* pt = Ptr<int>(targets) + targets.Offset;
        T* ps = scale is null ? null : Ptr<T>(scale) + scale.Offset;
        using var alive = new KeepAlive(x, o, targets, scale);
        void Row(int r)
        {
            T* row = px + (long)r * c;
            int t = pt[r];
            if (t == ignoreIndex)
            {
                if (ps is null) po[r] = T.Zero;
                else new Span<T>(po + (long)r * c, c).Clear();
                return;
            }
            double m = double.NegativeInfinity, sumX = 0;
            for (int j = 0; j < c; j++) { double v = double.CreateChecked(row[j]); if (v > m) m = v; sumX += v; }
            double s = 0;
            for (int j = 0; j < c; j++) s += Math.Exp(double.CreateChecked(row[j]) - m);
            double lse = m + Math.Log(s);
            if (ps is null)
            {
                po[r] = T.CreateChecked((1 - eps) * (lse - double.CreateChecked(row[t])) + eps * (lse - sumX / c));
                return;
            }
            double g = double.CreateChecked(ps[r]);
            T* dst = po + (long)r * c;
            for (int j = 0; j < c; j++)
            {
                double q = (j == t ? 1 - eps : 0) + eps / c;
                dst[j] = T.CreateChecked((Math.Exp(double.CreateChecked(row[j]) - lse) - q) * g);
            }
        }
        if ((long)n * c < 1 << 15) for (int r = 0; r < n; r++) Row(r);
        else Parallel.For(0, n, Row);
    }
}
