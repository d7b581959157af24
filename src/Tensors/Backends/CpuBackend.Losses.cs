using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    public Tensor CrossEntropyRows(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing) =>
        CrossEntropyForward(logits, targets, ignoreIndex, labelSmoothing, keepStats: false).Loss;

    public (Tensor Loss, Tensor Stats) CrossEntropyRowsKeepingStats(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing)
    {
        var (loss, stats) = CrossEntropyForward(logits, targets, ignoreIndex, labelSmoothing, keepStats: true);
        return (loss, stats!);
    }

    (Tensor Loss, Tensor? Stats) CrossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing, bool keepStats)
    {
        RequireFloat("cross_entropy", logits);
        var x = Contig(logits);
        var o = Tensor.Empty([x.shape[0]], x.DType);
        var stats = keepStats ? Tensor.Empty([x.shape[0], 2], x.DType) : null;
        if (x.DType == DType.Float32) CrossEntropyTyped<float>(x, Contig(targets), null, o, stats, ignoreIndex, labelSmoothing);
        else CrossEntropyTyped<double>(x, Contig(targets), null, o, stats, ignoreIndex, labelSmoothing);
        return (o, stats);
    }

    public Tensor CrossEntropyRowsBackward(Tensor logits, Tensor targets, Tensor scale, int ignoreIndex, double labelSmoothing, Tensor? stats = null)
    {
        RequireFloat("cross_entropy", logits);
        var x = Contig(logits);
        IBackend.CheckRowStats(x, stats);
        var o = Tensor.Empty(x.ShapeArray, x.DType);
        var s = stats is null ? null : Contig(stats);
        if (x.DType == DType.Float32) CrossEntropyTyped<float>(x, Contig(targets), Contig(scale), o, s, ignoreIndex, labelSmoothing);
        else CrossEntropyTyped<double>(x, Contig(targets), Contig(scale), o, s, ignoreIndex, labelSmoothing);
        return o;
    }

    /// <summary>
    /// Per row (SIMD): m = max x, s = Σ exp(x − m), lse = m + log s. Forward (scale null) writes the row's loss, and with
    /// <paramref name="stats"/> the row's (m, log s) [N, 2]; backward writes (exp(x − lse) − q)·scale[n] with q the
    /// smoothed one-hot target, taking m and log s from <paramref name="stats"/> when given (the same values the forward
    /// found, without two more passes over the row). Sums are added in double.
    /// </summary>
    static void CrossEntropyTyped<T>(Tensor x, Tensor targets, Tensor? scale, Tensor o, Tensor? stats, int ignoreIndex, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.shape[0], c = x.shape[1];
        T* px = Ptr<T>(x) + x.Offset, po = Ptr<T>(o);
        int* pt = Ptr<int>(targets) + targets.Offset;
        T* ps = scale is null ? null : Ptr<T>(scale) + scale.Offset;
        T* pst = stats is null ? null : Ptr<T>(stats) + stats.Offset;
        using var alive = new KeepAlive(x, o, targets, scale, stats);
        // optimised at its first call: at tier 0 (calls 1024 a step, each with a whole row's work) its vector exp stayed
        // unoptimised through the first seconds of a training run, 3-4x the row's optimised time
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Row(int r)
        {
            T* row = px + (long)r * c;
            int t = pt[r];
            if (t == ignoreIndex)
            {
                if (ps is null) po[r] = T.Zero;
                else new Span<T>(po + (long)r * c, c).Clear();
                if (ps is null && pst is not null) pst[2 * r] = pst[2 * r + 1] = T.Zero;
                return;
            }
            if (ps is not null && pst is not null)
            {
                Gradient(row, r, t, pst[2 * r], double.CreateChecked(pst[2 * r + 1]));
                return;
            }
            T mT = MaxRow(row, c);
            double m = double.CreateChecked(mT), sumX = eps == 0 ? 0 : double.CreateChecked(SumRow(row, c));
            double logSum = Math.Log(double.CreateChecked(ExpSumRow(row, null, c, mT)));   // log Σ exp(x − m)
            if (ps is null)
            {
                // −log p_t = (m − x_t) + log Σ: m − x_t first, exact near the max (see LogSoftmaxRow)
                po[r] = T.CreateChecked((1 - eps) * (m - double.CreateChecked(row[t]) + logSum) + eps * (m - sumX / c + logSum));
                if (pst is not null) (pst[2 * r], pst[2 * r + 1]) = (mT, T.CreateChecked(logSum));
                return;
            }
            Gradient(row, r, t, mT, logSum);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Gradient(T* row, int r, int t, T mT, double logSum)
        {
            double g = double.CreateChecked(ps[r]);
            T* dst = po + (long)r * c;
            var vM = Vector256.Create(mT);
            var vL = Vector256.Create(T.CreateChecked(logSum));
            var vQ = Vector256.Create(T.CreateChecked(eps / c));
            var vG = Vector256.Create(T.CreateChecked(g));
            int j = typeof(T) == typeof(float) && WideElementwise
                ? CrossEntropyGradWide((float*)row, (float*)dst, c, float.CreateTruncating(mT), (float)logSum, (float)(eps / c), (float)g) : 0;
            int w = Vector256<T>.Count;
            for (; j <= c - w; j += w) ((VMath.Exp(Vector256.Load(row + j) - vM - vL) - vQ) * vG).Store(dst + j);
            for (; j < c; j++) dst[j] = (T.Exp(row[j] - mT - vL[0]) - vQ[0]) * vG[0];
            if ((uint)t < (uint)c) dst[t] -= T.CreateChecked((1 - eps) * g);   // the op checked the targets; a direct call must not write outside the row
        }
        if ((long)n * c < 1 << 15) for (int r = 0; r < n; r++) Row(r);
        else CpuParallel.For(n, Row);
    }

    /// <summary>
    /// The backward row's (e^(x − m − lse) − q)·g on 512-bit lanes with <see cref="VMath512.ExpOfNonPositive"/>
    /// (x − m − lse ≤ 0); returns where the 256-bit loop takes over.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int CrossEntropyGradWide(float* row, float* dst, int c, float m, float logSum, float q, float g)
    {
        int j = 0, w = Vector512<float>.Count;
        var (vM, vL, vQ, vG) = (Vector512.Create(m), Vector512.Create(logSum), Vector512.Create(q), Vector512.Create(g));
        for (; j <= c - w; j += w) ((VMath512.ExpOfNonPositive(Vector512.Load(row + j) - vM - vL) - vQ) * vG).Store(dst + j);
        return j;
    }
}
