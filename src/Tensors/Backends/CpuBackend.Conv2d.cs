using System.Numerics;
using System.Runtime.InteropServices;

using Interp.Cpu;

namespace Interp.Backends;

/// <summary>
/// conv2d and its two gradients an image at a time: each image's columns are made into a per-thread scratch buffer
/// and read by the GEMM straight away, from cache. The batch-wide Im2Col of <see cref="IBackend.Conv2d"/> writes all
/// of them first (42 MB for the side-by-side CNN's second conv) and every GEMM then reads them back from memory; the
/// weight gradient's transposing pack of those columns was 22 % of that CNN's step. 3×3 stride-1 convs with enough
/// channels, and both their gradients, go by Winograd instead (CpuBackend.Winograd.cs, CpuBackend.WinogradWeightGrad.cs);
/// stride-1 convs with few taps (a first conv on grey images) and their weight gradient straight from the image (CpuBackend.ConvDirect.cs).
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Most elements of one image's columns made at once; taller images go a band of output rows at a time (tests lower it).</summary>
    internal static long ColumnBudget { get; set; } = 1 << 18;

    public Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Window2d w)
    {
        ConvShapes.Check("conv2d", x, weight, null, w);
        if (bias is not null && (bias.Rank != 1 || bias.shape[0] != weight.shape[0] || bias.DType != x.DType))
            throw new ArgumentException($"conv2d: bias must be [{weight.shape[0]}] of {x.DType.Name()} for weight {ShapeUtil.Format(weight.shape)}, got {ShapeUtil.Format(bias.shape)} of {bias.DType.Name()}");
        var (xs, ws, bs) = (Contig(x), Contig(weight), bias is null ? null : Contig(bias));
        var y = Tensor.Empty([x.shape[0], weight.shape[0], w.OH, w.OW], x.DType);
        using var alive = new KeepAlive(xs, ws, bs, y);
        if (UsesWinograd(w, w.C, weight.shape[0]))
        {
            var wp = new WinogradPlan(x.shape[0], w.C, w.H, w.W, weight.shape[0], w.PH, w.PW);
            if (x.DType == DType.Float32) WinogradConv(wp, Ptr<float>(xs) + xs.Offset, Ptr<float>(ws) + ws.Offset, false, bs is null ? null : Ptr<float>(bs) + bs.Offset, Ptr<float>(y));
            else WinogradConv(wp, Ptr<double>(xs) + xs.Offset, Ptr<double>(ws) + ws.Offset, false, bs is null ? null : Ptr<double>(bs) + bs.Offset, Ptr<double>(y));
            return y;
        }
        if (UsesDirectConv(w))
        {
            if (x.DType == DType.Float32) DirectConv(w, x.shape[0], weight.shape[0], Ptr<float>(xs) + xs.Offset, Ptr<float>(ws) + ws.Offset, bs is null ? null : Ptr<float>(bs) + bs.Offset, Ptr<float>(y));
            else DirectConv(w, x.shape[0], weight.shape[0], Ptr<double>(xs) + xs.Offset, Ptr<double>(ws) + ws.Offset, bs is null ? null : Ptr<double>(bs) + bs.Offset, Ptr<double>(y));
            return y;
        }
        var plan = new ConvPlan(w, x.shape[0], weight.shape[0]);
        if (x.DType == DType.Float32) ConvForward<float>(plan, xs, ws, bs, y);
        else ConvForward<double>(plan, xs, ws, bs, y);
        return y;
    }

    public Tensor Conv2dInputGrad(Tensor g, Tensor weight, Window2d w)
    {
        ConvShapes.Check("conv2d_input_grad", null, weight, g, w);
        var (gs, ws) = (Contig(g), Contig(weight));
        var dx = Tensor.Empty([g.shape[0], w.C, w.H, w.W], g.DType);
        using var alive = new KeepAlive(gs, ws, dx);
        if (UsesWinograd(w, w.C, weight.shape[0]))
        {
            // dx is the 3×3 conv of g, bordered by 2 − p, with the kernel flipped and its channels swapped
            var wp = new WinogradPlan(g.shape[0], weight.shape[0], w.OH, w.OW, w.C, 2 - w.PH, 2 - w.PW);
            if (g.DType == DType.Float32) WinogradConv(wp, Ptr<float>(gs) + gs.Offset, Ptr<float>(ws) + ws.Offset, true, null, Ptr<float>(dx));
            else WinogradConv(wp, Ptr<double>(gs) + gs.Offset, Ptr<double>(ws) + ws.Offset, true, null, Ptr<double>(dx));
            return dx;
        }
        var plan = new ConvPlan(w, g.shape[0], weight.shape[0]);
        if (g.DType == DType.Float32) ConvInputGrad<float>(plan, gs, ws, dx);
        else ConvInputGrad<double>(plan, gs, ws, dx);
        return dx;
    }

    public Tensor Conv2dWeightGrad(Tensor x, Tensor g, Window2d w)
    {
        ConvShapes.Check("conv2d_weight_grad", x, null, g, w);
        var (xs, gs) = (Contig(x), Contig(g));
        var plan = new ConvPlan(w, x.shape[0], g.shape[1]);
        var dw = Tensor.Empty([g.shape[1], w.C, w.KH, w.KW], x.DType, zeroed: plan.N == 0);
        using var alive = new KeepAlive(xs, gs, dw);
        if (plan.N > 0 && UsesWinograd(w, w.C, g.shape[1]))
        {
            var wp = new WinogradPlan(x.shape[0], w.C, w.H, w.W, g.shape[1], w.PH, w.PW);
            if (x.DType == DType.Float32) WinogradWeightGrad(wp, Ptr<float>(xs) + xs.Offset, Ptr<float>(gs) + gs.Offset, Ptr<float>(dw));
            else WinogradWeightGrad(wp, Ptr<double>(xs) + xs.Offset, Ptr<double>(gs) + gs.Offset, Ptr<double>(dw));
            return dw;
        }
        if (plan.N > 0 && UsesDirectConv(w))
        {
            if (x.DType == DType.Float32) DirectWeightGrad(w, plan.N, plan.O, Ptr<float>(xs) + xs.Offset, Ptr<float>(gs) + gs.Offset, Ptr<float>(dw));
            else DirectWeightGrad(w, plan.N, plan.O, Ptr<double>(xs) + xs.Offset, Ptr<double>(gs) + gs.Offset, Ptr<double>(dw));
            return dw;
        }
        if (x.DType == DType.Float32) ConvWeightGrad<float>(plan, xs, gs, dw);
        else ConvWeightGrad<double>(plan, xs, gs, dw);
        return dw;
    }

    /// <summary>
    /// Both gradients of a one-group conv2d. On the Winograd path they are made together, each image's output gradient
    /// moved channels last once for both (<see cref="WinogradInputGrad{T}"/>); otherwise one after the other.
    /// </summary>
    public (Tensor InputGrad, Tensor WeightGrad) Conv2dGrads(Tensor x, Tensor weight, Tensor g, Window2d w)
    {
        const string op = "conv2d_grads";
        ConvShapes.Check(op, x, weight, g, w);
        if (x.DType != g.DType || weight.DType != g.DType)
            throw new ArgumentException($"{op}: x {ShapeUtil.Format(x.shape)} of {x.DType.Name()}, weight {ShapeUtil.Format(weight.shape)} of {weight.DType.Name()} and grad {ShapeUtil.Format(g.shape)} of {g.DType.Name()} must share one dtype");
        if (x.shape[0] == 0 || !UsesWinograd(w, w.C, g.shape[1])) return (Conv2dInputGrad(g, weight, w), Conv2dWeightGrad(x, g, w));
        var forward = new WinogradPlan(x.shape[0], w.C, w.H, w.W, g.shape[1], w.PH, w.PW);
        var back = new WinogradPlan(g.shape[0], g.shape[1], w.OH, w.OW, w.C, 2 - w.PH, 2 - w.PW);
        if (!WinogradInputGrad<float>.SharesField(forward, back)) return (Conv2dInputGrad(g, weight, w), Conv2dWeightGrad(x, g, w));
        var (xs, ws, gs) = (Contig(x), Contig(weight), Contig(g));
        var dx = Tensor.Empty([g.shape[0], w.C, w.H, w.W], g.DType);
        var dw = Tensor.Empty([g.shape[1], w.C, w.KH, w.KW], g.DType);
        using var alive = new KeepAlive(xs, ws, gs, dx, dw);
        if (x.DType == DType.Float32)
            WinogradWeightGrad(forward, Ptr<float>(xs) + xs.Offset, Ptr<float>(gs) + gs.Offset, Ptr<float>(dw), new WinogradInputGrad<float>(back, Ptr<float>(ws) + ws.Offset, Ptr<float>(dx)));
        else
            WinogradWeightGrad(forward, Ptr<double>(xs) + xs.Offset, Ptr<double>(gs) + gs.Offset, Ptr<double>(dw), new WinogradInputGrad<double>(back, Ptr<double>(ws) + ws.Offset, Ptr<double>(dx)));
        return (dx, dw);
    }

    /// <summary>The sizes of one conv2d call, and how its images are cut and spread.</summary>
    readonly struct ConvPlan(Window2d w, int n, int o)
    {
        public readonly Window2d W = w;
        public readonly int N = n, O = o, K = w.C * w.KH * w.KW, L = w.OH * w.OW;
        /// <summary>A 1x1 window with stride 1 and no padding: the image is its own columns.</summary>
        public readonly bool Direct = w.KH == 1 && w.KW == 1 && w.SH == 1 && w.SW == 1 && w.PH == 0 && w.PW == 0;
        public int BandRows => Direct ? W.OH : (int)Math.Clamp(ColumnBudget / Math.Max(1L, (long)K * W.OW), 1, Math.Max(1, W.OH));
        /// <summary>Enough images to give each worker several, each with a one-thread GEMM; else one at a time on all cores.</summary>
        public bool Spread => N >= 2 * GemmThreads.MaxParts;

        /// <summary>body(image, GEMM threads) for every image.</summary>
        public void ForImages(Action<int, int> body)
        {
            if (Spread) CpuParallel.For(N, i => body(i, 1));
            else for (int i = 0; i < N; i++) body(i, Environment.ProcessorCount);
        }

        /// <summary>The columns [K, (y1 − y0)·OW] of one image's output rows y0 ≤ oh &lt; y1, with their leading dim.</summary>
        public T* Columns<T>(T* image, int y0, int y1, out int ld) where T : unmanaged, INumber<T>
        {
            ld = Direct ? L : (y1 - y0) * W.OW;
            if (Direct) return image + (long)y0 * W.OW;
            int len = (y1 - y0) * W.OW, rows = W.KH * W.KW;
            T* cols = ConvScratch.Get<T>((long)K * len);
            for (int c = 0; c < W.C; c++)
                WindowRows(image + (long)c * W.H * W.W, cols + (long)c * rows * len, len, W, y0, y1, toCols: true);
            return cols;
        }
    }

    // y[n] = W [O, K] · cols[n] (+ bias, which the rows of y start from)
    static void ConvForward<T>(ConvPlan plan, Tensor x, Tensor weight, Tensor? bias, Tensor y) where T : unmanaged, INumber<T>
    {
        T* px = Ptr<T>(x) + x.Offset, pw = Ptr<T>(weight) + weight.Offset, py = Ptr<T>(y);
        T* pb = bias is null ? null : Ptr<T>(bias) + bias.Offset;
        var w = plan.W;
        int band = plan.BandRows;
        plan.ForImages((image, threads) =>
        {
            T* yi = py + (long)image * plan.O * plan.L;
            T beta = T.Zero;
            if (pb != null)
            {
                for (int r = 0; r < plan.O; r++) new Span<T>(yi + (long)r * plan.L, plan.L).Fill(pb[r]);
                beta = T.One;
            }
            for (int y0 = 0; y0 < w.OH; y0 += band)
            {
                int y1 = Math.Min(w.OH, y0 + band);
                T* cols = plan.Columns(px + (long)image * w.C * w.H * w.W, y0, y1, out int ld);
                Gemm.Run(new GemmProblem<T>(false, false, plan.O, (y1 - y0) * w.OW, plan.K, T.One, pw, plan.K, cols, ld, beta, yi + y0 * w.OW, plan.L), threads);
            }
        });
    }

    // dx[n] = col2im(Wᵀ [K, O] · g[n])
    static void ConvInputGrad<T>(ConvPlan plan, Tensor g, Tensor weight, Tensor dx) where T : unmanaged, INumber<T>
    {
        T* pg = Ptr<T>(g) + g.Offset, pw = Ptr<T>(weight) + weight.Offset, pdx = Ptr<T>(dx);
        var w = plan.W;
        int band = plan.BandRows, plane = w.H * w.W, rows = w.KH * w.KW;
        plan.ForImages((image, threads) =>
        {
            T* dxi = pdx + (long)image * w.C * plane, gi = pg + (long)image * plan.O * plan.L;
            if (plan.Direct)
            {
                Gemm.Run(new GemmProblem<T>(true, false, plan.K, plan.L, plan.O, T.One, pw, plan.K, gi, plan.L, T.Zero, dxi, plan.L), threads);
                return;
            }
            new Span<T>(dxi, w.C * plane).Clear();
            for (int y0 = 0; y0 < w.OH; y0 += band)
            {
                int y1 = Math.Min(w.OH, y0 + band), len = (y1 - y0) * w.OW;
                T* dcols = ConvScratch.Get<T>((long)plan.K * len);
                Gemm.Run(new GemmProblem<T>(true, false, plan.K, len, plan.O, T.One, pw, plan.K, gi + y0 * w.OW, plan.L, T.Zero, dcols, len), threads);
                for (int c = 0; c < w.C; c++)
                    WindowRows(dxi + (long)c * plane, dcols + (long)c * rows * len, len, w, y0, y1, toCols: false);
            }
        });
    }

    // dWᵀ [K, O] = Σₙ cols[n] [K, L] · g[n]ᵀ: each part of the batch sums its images into its own [K, O], then the
    // parts are added and transposed into dW. This way round the GEMM's rows are the K = C·KH·KW columns (288 for the
    // side-by-side CNN: 24 whole 12-row tiles) rather than the O output channels (64: five tiles and a padded sixth).
    static void ConvWeightGrad<T>(ConvPlan plan, Tensor x, Tensor g, Tensor dw) where T : unmanaged, INumber<T>
    {
        if (plan.N == 0) return;
        T* px = Ptr<T>(x) + x.Offset, pg = Ptr<T>(g) + g.Offset, pdw = Ptr<T>(dw);
        var w = plan.W;
        int band = plan.BandRows, parts = plan.Spread ? Math.Min(plan.N, 2 * GemmThreads.MaxParts) : 1;
        long size = (long)plan.O * plan.K;
        var partials = Tensor.Empty([parts, (int)size], dw.DType);
        using var alive = new KeepAlive(partials);
        T* pp = Ptr<T>(partials);
        int threads = parts > 1 ? 1 : Environment.ProcessorCount;
        void Part(int part)
        {
            T* acc = pp + part * size;
            T beta = T.Zero;
            for (int image = (int)((long)plan.N * part / parts); image < (int)((long)plan.N * (part + 1) / parts); image++)
                for (int y0 = 0; y0 < w.OH; y0 += band)
                {
                    int y1 = Math.Min(w.OH, y0 + band);
                    T* cols = plan.Columns(px + (long)image * w.C * w.H * w.W, y0, y1, out int ld);
                    T* gi = pg + (long)image * plan.O * plan.L + y0 * w.OW;
                    Gemm.Run(new GemmProblem<T>(false, true, plan.K, plan.O, (y1 - y0) * w.OW, T.One, cols, ld, gi, plan.L, beta, acc, plan.O), threads);
                    beta = T.One;
                }
            if (beta == T.Zero) new Span<T>(acc, (int)size).Clear();   // a part without images
        }
        if (parts == 1) Part(0);
        else CpuParallel.For(parts, Part);
        for (int p = 1; p < parts; p++) AddRun(pp, pp + p * size, (int)size);
        for (int k = 0; k < plan.K; k++)
            for (int o = 0; o < plan.O; o++) pdw[(long)o * plan.K + k] = pp[(long)k * plan.O + o];
    }

    /// <summary>
    /// One thread's columns buffer, 64-byte aligned; it grows on demand and is freed with its thread. Slot 1 is a
    /// second buffer for work that runs while the thread's slot 0 is in use (a Winograd image's groups of tiles).
    /// </summary>
    sealed class ConvScratch
    {
        [ThreadStatic] static ConvScratch? t_scratch, t_second;
        byte* data;
        long bytes;

        public static T* Get<T>(long elements, int slot = 0) where T : unmanaged
        {
            var s = slot == 0 ? t_scratch ??= new ConvScratch() : t_second ??= new ConvScratch();
            long need = Math.Max(1, elements) * sizeof(T);
            if (need > s.bytes)
            {
                NativeMemory.AlignedFree(s.data);
                s.data = null;
                s.data = (byte*)NativeMemory.AlignedAlloc((nuint)need, 64);
                s.bytes = need;
            }
            return (T*)s.data;
        }

        ~ConvScratch() => NativeMemory.AlignedFree(data);
    }
}
