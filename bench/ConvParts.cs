namespace Interp.Bench;

/// <summary>
/// `Interp.Bench conv-parts [conv1|conv2]`: one of the CNN's convolutions (default conv2, 32→64, 3×3, batch 64) piece by piece — im2col, the forward GEMM, the
/// weight- and column-gradient GEMMs, col2im, the backend's image-at-a-time conv2d kernel and its two gradients, then the whole conv forward and forward+backward — in wall ms after 40
/// warm-up calls (so the JIT's optimised code is what is timed), mean of 30, and in CPU ms of the process (all threads; min of 30), which a loaded machine moves far less.
/// </summary>
public static class ConvParts
{
    public static void Run(string[] args)
    {
        // conv1 (1→32 on 28×28) or conv2 (32→64 on 26×26), batch 64, 3×3, stride 1, no padding
        bool first = args.Length > 0 && args[0] == "conv1";
        int c = first ? 1 : 32, o = first ? 32 : 64, h = first ? 28 : 26, k = c * 9, l = (h - 2) * (h - 2);
        var gen = new Generator(1);
        var x = Tensor.Randn([64, c, h, h], gen);
        var w = (Tensor.Randn([o, c, 3, 3], gen) * 0.05).Detach().RequiresGrad_();
        var b = Tensor.Zeros([o], requiresGrad: true);
        var xg = x.Detach().RequiresGrad_();
        void T(string name, Action f)
        {
            double mean = Timing.Laps(30, lap => { f(); lap(); }).Average(run => run[0]);
            double cpu = Timing.Laps(30, lap => { f(); lap(); }, warmup: 0, clockMs: CpuClock.ProcessMs).Min(run => run[0]);
            Console.WriteLine($"{name,-44} {mean,7:F2} ms, {cpu,7:F2} CPU ms");
        }
        var win = new Interp.Backends.Window2d(c, h, h, 3, 3, 1, 1, 0, 0, 1, 1);
        var cols = x.Backend.Im2Col(x, win);
        var g = Tensor.Randn([64, o, l], gen);
        var wm = w.Detach().Reshape(o, k);
        T($"im2col [64,{k},{l}]", () => x.Backend.Im2Col(x, win));
        T("W·cols (forward GEMM)", () => wm.MatMul(cols));
        T("g·colsT (dW, batched + sum)", () => g.MatMul(cols.MT).Sum(0));
        T("WT·g (dcols)", () => wm.MT.MatMul(g));
        var dcols = wm.MT.MatMul(g);
        T("col2im", () => x.Backend.Col2Im(dcols, win));
        var be = x.Backend;
        var g4 = g.Reshape(64, o, h - 2, h - 2);
        var wd = w.Detach();
        T("conv2d kernel (backend, an image at a time)", () => be.Conv2d(x, wd, null, win));
        T("conv2d input grad (backend)", () => be.Conv2dInputGrad(g4, wd, win));
        T("conv2d weight grad (backend)", () => be.Conv2dWeightGrad(x, g4, win));
        T("conv2d forward (no grad)", () => { using var _ = Interp.Autograd.GradMode.NoGrad(); x.Conv2d(w, b); });
        T("conv2d fwd+bwd (w, b)", () => x.Conv2d(w, b).Sum().Backward());
        T("conv2d fwd+bwd (w, b, x)", () => xg.Conv2d(w, b).Sum().Backward());
    }
}
