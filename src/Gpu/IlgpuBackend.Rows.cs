using ILGPU;
using ILGPU.Runtime;
using Interp.Backends;

namespace Interp.Gpu;

/// <summary>
/// Fused row kernels: softmax / log_softmax (+ backward), layer norm (+ backward), cross entropy (+ backward).
/// Rows (contiguous after AsRows) of up to 32 elements a lane get one warp each, several rows to a group; longer rows
/// (a vocabulary's logits) get a whole group each (<see cref="RowLaunch"/>). The row's threads stride over it, and its
/// max and sums are combined by warp shuffles (and, for a group, one shared-memory step across its warps), kept in
/// double. The math is in each kernel's comment.
/// </summary>
public sealed partial class IlgpuBackend
{
    /// <summary>
    /// One group per row, as wide as the row up to 256 threads (a warp at least). ILGPU's CPU accelerator runs each
    /// group thread as a host thread meeting at barriers, so there groups stay at 16 threads.
    /// </summary>
    KernelConfig RowConfig(int rowCount, int len)
    {
        int cap = accelerator.AcceleratorType == AcceleratorType.CPU ? 16 : 256;
        int max = Math.Min(cap, accelerator.MaxNumThreadsPerGroup), g = Math.Min(accelerator.WarpSize, max);
        while (g < len && g * 2 <= max) g *= 2;
        return new KernelConfig(rowCount, g);
    }

    /// <summary>How a row kernel's rows are split: RowsPerGroup warps each own a row, or (1) the whole group owns one.</summary>
    public struct RowSplit { public int RowsPerGroup, RowCount; }

    /// <summary>
    /// A warp per row when each lane gets at most 32 elements (groups of up to 8 warps on CUDA, 4 on the CPU
    /// accelerator), else <see cref="RowConfig"/>'s group per row.
    /// </summary>
    (KernelConfig Config, RowSplit Split) RowLaunch(int rowCount, int len)
    {
        int warp = accelerator.WarpSize;
        if (len > 32 * warp) return (RowConfig(rowCount, len), new RowSplit { RowsPerGroup = 1, RowCount = rowCount });
        int cap = accelerator.AcceleratorType == AcceleratorType.CPU ? 16 : 256;
        int warps = Math.Max(1, Math.Min(Math.Min(cap, accelerator.MaxNumThreadsPerGroup) / warp, rowCount));
        return (new KernelConfig((rowCount + warps - 1) / warps, warps * warp), new RowSplit { RowsPerGroup = warps, RowCount = rowCount });
    }

    /// <summary>This thread's row, its first element and its step, and whether its whole group shares the row.</summary>
    struct RowThread
    {
        public int Row, First, Step, WholeGroup;

        public static RowThread Of(RowSplit s) => s.RowsPerGroup == 1
            ? new RowThread { Row = Grid.IdxX, First = Group.IdxX, Step = Group.DimX, WholeGroup = 1 }
            : new RowThread { Row = Grid.IdxX * s.RowsPerGroup + Warp.WarpIdx, First = Warp.LaneIdx, Step = Warp.WarpSize };

        public readonly double Sum(double v) => WholeGroup != 0 ? GroupSum(v) : WarpSum(v);
        public readonly double Max(double v) => WholeGroup != 0 ? GroupMax(v) : WarpMax(v);
    }

    /// <summary>Σ over the warp, in every lane (a butterfly: each lane adds the same pairs, so all get the same bits).</summary>
    static double WarpSum(double v)
    {
        for (int d = Warp.WarpSize / 2; d > 0; d /= 2) v += Warp.ShuffleXor(v, d);
        return v;
    }

    static double WarpMax(double v)
    {
        for (int d = Warp.WarpSize / 2; d > 0; d /= 2) { double o = Warp.ShuffleXor(v, d); v = o > v ? o : v; }
        return v;
    }

    /// <summary>Σ over the group, in every thread: each warp's sum by shuffles, then the warps' sums through shared memory.</summary>
    static double GroupSum(double v) => AcrossWarps(WarpSum(v), max: false);

    static double GroupMax(double v) => AcrossWarps(WarpMax(v), max: true);

    /// <summary>Combines one value per warp (the group's size is a multiple of the warp's) in warp order, so every thread gets the same.</summary>
    static double AcrossWarps(double v, bool max)
    {
        int warps = Group.DimX / Warp.WarpSize;
        if (warps <= 1) return v;
        var partial = SharedMemory.Allocate<double>(32);
        if (Warp.LaneIdx == 0) partial[Warp.WarpIdx] = v;
        Group.Barrier();
        double r = partial[0];
        for (int w = 1; w < warps; w++) r = max ? (partial[w] > r ? partial[w] : r) : r + partial[w];
        Group.Barrier();   // all have read before the next reduction writes
        return r;
    }

    /// <summary>Back from rows along <paramref name="dim"/> (dim moved innermost) to a contiguous tensor of <paramref name="shape"/>.</summary>
    Tensor FromRows(Tensor rows, int[] shape, int dim)
    {
        if (dim == shape.Length - 1) return rows;
        var strides = new int[shape.Length];
        for (int d = 0, p = 0; d < shape.Length; d++)
            strides[d] = d == dim ? rows.strides[^1] : rows.strides[p++];
        return Contig("rows", new Tensor(rows.Storage, (int[])shape.Clone(), strides, rows.Offset));
    }

    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        string name = log ? "log_softmax" : "softmax";
        RequireFloat(name, x);
        StorageOf(name, x);
        var rows = AsRows(x, [dim], out int rowCount);
        var y = New(rows.ShapeArray, x.DType);
        if (x.Numel == 0) return New(x.ShapeArray, x.DType);
        if (x.DType == DType.Float32) SoftmaxTyped<float, F32>(rows, y, rowCount, x.shape[dim], log);
        else SoftmaxTyped<double, F64>(rows, y, rowCount, x.shape[dim], log);
        return FromRows(y, x.shape, dim);
    }

    void SoftmaxTyped<T, E>(Tensor x, Tensor y, int rowCount, int len, bool log) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"softmax/{typeof(T).Name}", a =>
            a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int, RowSplit>(SoftmaxKernel<T, E>));
        var (config, split) = RowLaunch(rowCount, len);
        k(config, Dense<T>(x), Dense<T>(y), len, log ? 1 : 0, split);
    }

    /// <summary>m = max x, s = Σ exp(x − m); softmax y = exp(x − m)/s, log_softmax y = (x − m) − log s (x − m first: exact near the max).</summary>
    static void SoftmaxKernel<T, E>(ArrayView<T> x, ArrayView<T> y, int len, int log, RowSplit split) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        var rt = RowThread.Of(split);
        if (rt.Row >= split.RowCount) return;   // a whole warp past the last row
        int t0 = rt.First, step = rt.Step;
        long s0 = (long)rt.Row * len;
        double m = double.NegativeInfinity, s = 0;
        for (int i = t0; i < len; i += step) { double v = e.Load(x[s0 + i]); m = v > m ? v : m; }
        m = rt.Max(m);
        for (int i = t0; i < len; i += step) s += Math.Exp(e.Load(x[s0 + i]) - m);
        double logSum = Math.Log(rt.Sum(s));
        for (int i = t0; i < len; i += step)
        {
            double v = e.Load(x[s0 + i]) - m - logSum;
            y[s0 + i] = e.Store(log != 0 ? v : Math.Exp(v));
        }
    }

    public Tensor SoftmaxBackward(Tensor y, Tensor g, int dim, bool log)
    {
        string name = log ? "log_softmax_backward" : "softmax_backward";
        RequireFloat(name, y);
        StorageOf(name, y); StorageOf(name, g);
        var yr = AsRows(y, [dim], out int rowCount);
        var gr = AsRows(ToDType(g, y.DType), [dim], out _);
        var gx = New(yr.ShapeArray, y.DType);
        if (y.Numel == 0) return New(y.ShapeArray, y.DType);
        if (y.DType == DType.Float32) SoftmaxBackTyped<float, F32>(yr, gr, gx, rowCount, y.shape[dim], log);
        else SoftmaxBackTyped<double, F64>(yr, gr, gx, rowCount, y.shape[dim], log);
        return FromRows(gx, y.shape, dim);
    }

    void SoftmaxBackTyped<T, E>(Tensor y, Tensor g, Tensor gx, int rowCount, int len, bool log) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"softmax_backward/{typeof(T).Name}", a =>
            a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, RowSplit>(SoftmaxBackKernel<T, E>));
        var (config, split) = RowLaunch(rowCount, len);
        k(config, Dense<T>(y), Dense<T>(g), Dense<T>(gx), len, log ? 1 : 0, split);
    }

    /// <summary>softmax: gx = y ⊙ (g − Σ g⊙y); log_softmax: gx = g − exp(y)·Σ g.</summary>
    static void SoftmaxBackKernel<T, E>(ArrayView<T> y, ArrayView<T> g, ArrayView<T> gx, int len, int log, RowSplit split)
        where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        var rt = RowThread.Of(split);
        if (rt.Row >= split.RowCount) return;
        int t0 = rt.First, step = rt.Step;
        long s0 = (long)rt.Row * len;
        double s = 0;
        for (int i = t0; i < len; i += step) s += log != 0 ? e.Load(g[s0 + i]) : e.Load(g[s0 + i]) * e.Load(y[s0 + i]);
        s = rt.Sum(s);
        for (int i = t0; i < len; i += step)
        {
            double yi = e.Load(y[s0 + i]), gi = e.Load(g[s0 + i]);
            gx[s0 + i] = e.Store(log != 0 ? gi - Math.Exp(yi) * s : yi * (gi - s));
        }
    }

    public (Tensor y, Tensor mean, Tensor rstd) LayerNorm(Tensor x, int normSize, Tensor? weight, Tensor? bias, double eps)
    {
        RequireFloat("layer_norm", x);
        x = Contig("layer_norm", x);
        int rowCount = normSize == 0 ? 0 : x.Numel / normSize;
        var y = New(x.ShapeArray, x.DType);
        var mean = New([rowCount], x.DType);
        var rstd = New([rowCount], x.DType);
        if (rowCount == 0) return (y, mean, rstd);
        var w = weight is null ? null : Contig("layer_norm", weight);
        var b = bias is null ? null : Contig("layer_norm", bias);
        if (x.DType == DType.Float32) LayerNormTyped<float, F32>(x, w, b, y, mean, rstd, rowCount, normSize, eps);
        else LayerNormTyped<double, F64>(x, w, b, y, mean, rstd, rowCount, normSize, eps);
        return (y, mean, rstd);
    }

    /// <summary>Optional operands are passed with a flag and any valid view in their place.</summary>
    ArrayView<T> DenseOr<T>(Tensor? t, Tensor fallback) where T : unmanaged => Dense<T>(t ?? fallback);

    void LayerNormTyped<T, E>(Tensor x, Tensor? w, Tensor? b, Tensor y, Tensor mean, Tensor rstd, int rowCount, int n, double eps)
        where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"layer_norm/{typeof(T).Name}", a =>
            a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, double, RowSplit>(LayerNormKernel<T, E>));
        int flags = (w is null ? 0 : 1) | (b is null ? 0 : 2);
        var (config, split) = RowLaunch(rowCount, n);
        k(config, Dense<T>(x), DenseOr<T>(w, x), DenseOr<T>(b, x), flags, Dense<T>(y), Dense<T>(mean), Dense<T>(rstd), n, eps, split);
    }

    /// <summary>μ = Σx/n, σ² = Σ(x − μ)²/n, rstd = 1/√(σ² + eps), y = (x − μ)·rstd·w + b (flags: 1 weight, 2 bias).</summary>
    static void LayerNormKernel<T, E>(ArrayView<T> x, ArrayView<T> w, ArrayView<T> b, int flags,
        ArrayView<T> y, ArrayView<T> mean, ArrayView<T> rstd, int n, double eps, RowSplit split) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        var rt = RowThread.Of(split);
        if (rt.Row >= split.RowCount) return;
        int r = rt.Row, t0 = rt.First, step = rt.Step;
        long s0 = (long)r * n;
        double mu = 0, ss = 0;
        for (int i = t0; i < n; i += step) mu += e.Load(x[s0 + i]);
        mu = rt.Sum(mu) / n;
        for (int i = t0; i < n; i += step) { double d = e.Load(x[s0 + i]) - mu; ss += d * d; }
        double rs = 1 / Math.Sqrt(rt.Sum(ss) / n + eps);
        if (t0 == 0) { mean[r] = e.Store(mu); rstd[r] = e.Store(rs); }
        for (int i = t0; i < n; i += step)
        {
            double v = (e.Load(x[s0 + i]) - mu) * rs;
            if ((flags & 1) != 0) v *= e.Load(w[i]);
            if ((flags & 2) != 0) v += e.Load(b[i]);
            y[s0 + i] = e.Store(v);
        }
    }

    public (Tensor dx, Tensor? dweight, Tensor? dbias) LayerNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor? weight, int normSize, bool affineGrads)
    {
        RequireFloat("layer_norm_backward", x);
        x = Contig("layer_norm_backward", x);
        g = Contig("layer_norm_backward", ToDType(g, x.DType));
        mean = Contig("layer_norm_backward", mean); rstd = Contig("layer_norm_backward", rstd);
        var w = weight is null ? null : Contig("layer_norm_backward", weight);
        int rowCount = normSize == 0 ? 0 : x.Numel / normSize;
        var dx = New(x.ShapeArray, x.DType);
        var dw = affineGrads ? New([normSize], x.DType) : null;
        var db = affineGrads ? New([normSize], x.DType) : null;
        if (x.DType == DType.Float32) LayerNormBackTyped<float, F32>(g, x, mean, rstd, w, dx, dw, db, rowCount, normSize);
        else LayerNormBackTyped<double, F64>(g, x, mean, rstd, w, dx, dw, db, rowCount, normSize);
        return (dx, dw, db);
    }

    void LayerNormBackTyped<T, E>(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor? w, Tensor dx, Tensor? dw, Tensor? db, int rowCount, int n)
        where T : unmanaged where E : struct, IElem<T>
    {
        if (rowCount > 0)
        {
            var k = Kernel($"layer_norm_backward/{typeof(T).Name}", a =>
                a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, ArrayView<T>, int, RowSplit>(LayerNormBackKernel<T, E>));
            var (config, split) = RowLaunch(rowCount, n);
            k(config, Dense<T>(g), Dense<T>(x), Dense<T>(mean), Dense<T>(rstd), DenseOr<T>(w, x), w is null ? 0 : 1, Dense<T>(dx), n, split);
        }
        if (dw is null || db is null || n == 0) return;
        var ka = Kernel($"layer_norm_affine/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int>(LayerNormAffineKernel<T, E>));
        ka(n, Dense<T>(g), Dense<T>(x), Dense<T>(mean), Dense<T>(rstd), Dense<T>(dw), Dense<T>(db), rowCount);
    }

    /// <summary>x̂ = (x − μ)·rstd, ĝ = g⊙w: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂)).</summary>
    static void LayerNormBackKernel<T, E>(ArrayView<T> g, ArrayView<T> x, ArrayView<T> mean, ArrayView<T> rstd,
        ArrayView<T> w, int hasWeight, ArrayView<T> dx, int n, RowSplit split) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        var rt = RowThread.Of(split);
        if (rt.Row >= split.RowCount) return;
        int r = rt.Row, t0 = rt.First, step = rt.Step;
        long s0 = (long)r * n;
        double mu = e.Load(mean[r]), rs = e.Load(rstd[r]), sg = 0, sgx = 0;
        for (int i = t0; i < n; i += step)
        {
            double gh = e.Load(g[s0 + i]) * (hasWeight != 0 ? e.Load(w[i]) : 1);
            sg += gh; sgx += gh * (e.Load(x[s0 + i]) - mu) * rs;
        }
        sg = rt.Sum(sg) / n; sgx = rt.Sum(sgx) / n;
        for (int i = t0; i < n; i += step)
        {
            double gh = e.Load(g[s0 + i]) * (hasWeight != 0 ? e.Load(w[i]) : 1);
            dx[s0 + i] = e.Store(rs * (gh - sg - (e.Load(x[s0 + i]) - mu) * rs * sgx));
        }
    }

    /// <summary>One thread per column j: dw[j] = Σ_rows g⊙x̂, db[j] = Σ_rows g (deterministic, no atomics).</summary>
    static void LayerNormAffineKernel<T, E>(Index1D j, ArrayView<T> g, ArrayView<T> x, ArrayView<T> mean, ArrayView<T> rstd,
        ArrayView<T> dw, ArrayView<T> db, int rowCount) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        int n = (int)dw.Length;
        double sw = 0, sb = 0;
        for (int r = 0; r < rowCount; r++)
        {
            long at = (long)r * n + j;
            double gi = e.Load(g[at]);
            sw += gi * (e.Load(x[at]) - e.Load(mean[r])) * e.Load(rstd[r]);
            sb += gi;
        }
        dw[j] = e.Store(sw); db[j] = e.Store(sb);
    }

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
        var x = Contig("cross_entropy", logits);
        var o = New([x.shape[0]], x.DType);
        var stats = keepStats ? New([x.shape[0], 2], x.DType) : null;
        CrossEntropy(x, Contig("cross_entropy", targets), null, o, stats, ignoreIndex, labelSmoothing);
        return (o, stats);
    }

    public Tensor CrossEntropyRowsBackward(Tensor logits, Tensor targets, Tensor scale, int ignoreIndex, double labelSmoothing, Tensor? stats = null)
    {
        RequireFloat("cross_entropy", logits);
        var x = Contig("cross_entropy", logits);
        IBackend.CheckRowStats(x, stats);
        var o = New(x.ShapeArray, x.DType);
        CrossEntropy(x, Contig("cross_entropy", targets), Contig("cross_entropy", ToDType(scale, x.DType)), o,
            stats is null ? null : Contig("cross_entropy", stats), ignoreIndex, labelSmoothing);
        return o;
    }

    /// <summary>stats: written by the forward (scale null) when given, read by the backward when given; [N, 2] (m, log Σ exp(x − m)).</summary>
    void CrossEntropy(Tensor x, Tensor targets, Tensor? scale, Tensor o, Tensor? stats, int ignoreIndex, double eps)
    {
        if (x.shape[0] == 0) return;
        if (x.DType == DType.Float32) CrossEntropyTyped<float, F32>(x, targets, scale, o, stats, ignoreIndex, eps);
        else CrossEntropyTyped<double, F64>(x, targets, scale, o, stats, ignoreIndex, eps);
    }

    void CrossEntropyTyped<T, E>(Tensor x, Tensor targets, Tensor? scale, Tensor o, Tensor? stats, int ignoreIndex, double eps) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"cross_entropy/{typeof(T).Name}", a =>
            a.LoadStreamKernel<ArrayView<T>, ArrayView<int>, ArrayView<T>, int, ArrayView<T>, ArrayView<T>, int, int, int, double, RowSplit>(CrossEntropyKernel<T, E>));
        var (config, split) = RowLaunch(x.shape[0], x.shape[1]);
        k(config, Dense<T>(x), Dense<int>(targets), DenseOr<T>(scale, x), scale is null ? 0 : 1, Dense<T>(o), DenseOr<T>(stats, x),
            stats is null ? 0 : 1, x.shape[1], ignoreIndex, eps, split);
    }

    /// <summary>
    /// lse = m + log Σ exp(x − m). Forward: loss = (1−ε)(lse − x[t]) + ε(lse − mean x). Backward (hasScale):
    /// gx = (exp(x − lse) − q)·scale[r] with q = (1−ε)·onehot(t) + ε/C. Ignored rows give 0.
    /// </summary>
    static void CrossEntropyKernel<T, E>(ArrayView<T> x, ArrayView<int> targets, ArrayView<T> scale, int hasScale,
        ArrayView<T> o, ArrayView<T> stats, int hasStats, int c, int ignoreIndex, double eps, RowSplit split) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        var rt = RowThread.Of(split);
        if (rt.Row >= split.RowCount) return;
        int r = rt.Row, t0 = rt.First, step = rt.Step;
        long s0 = (long)r * c;
        int t = targets[r];
        if (t == ignoreIndex)   // all the row's threads take this branch
        {
            if (hasScale == 0 && t0 == 0)
            {
                o[r] = e.Store(0);
                if (hasStats != 0) { stats[2 * r] = e.Store(0); stats[2 * r + 1] = e.Store(0); }
            }
            else if (hasScale != 0) for (int j = t0; j < c; j += step) o[s0 + j] = e.Store(0);
            return;
        }
        double m, logSum;
        if (hasScale != 0 && hasStats != 0)   // the backward with the forward's max and log-sum: one pass over the row
            (m, logSum) = (e.Load(stats[2 * r]), e.Load(stats[2 * r + 1]));
        else
        {
            double sumX = 0, s = 0;
            m = double.NegativeInfinity;
            for (int j = t0; j < c; j += step) { double v = e.Load(x[s0 + j]); m = v > m ? v : m; sumX += v; }
            m = rt.Max(m); sumX = rt.Sum(sumX);
            for (int j = t0; j < c; j += step) s += Math.Exp(e.Load(x[s0 + j]) - m);
            logSum = Math.Log(rt.Sum(s));   // −log p_t = (m − x_t) + log s, m − x_t first
            if (hasScale == 0)
            {
                // without smoothing the mean term is left out, not 0·(m − Σx/C + log s), which a −∞ logit makes NaN (as the CPU)
                double smoothed = eps == 0 ? 0 : eps * (m - sumX / c + logSum);
                if (t0 == 0)
                {
                    o[r] = e.Store((1 - eps) * (m - e.Load(x[s0 + t]) + logSum) + smoothed);
                    if (hasStats != 0) { stats[2 * r] = e.Store(m); stats[2 * r + 1] = e.Store(logSum); }
                }
                return;
            }
        }
        double g = e.Load(scale[r]);
        for (int j = t0; j < c; j += step)
        {
            double q = (j == t ? 1 - eps : 0) + eps / c;
            o[s0 + j] = e.Store((Math.Exp(e.Load(x[s0 + j]) - m - logSum) - q) * g);
        }
    }
}
