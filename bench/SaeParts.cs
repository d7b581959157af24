using Interp.Autograd;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench sae-parts [--reps R] [--gemm [--two]] [--kernel] [--relu2] [--phases] [--l1-ab]`: the side-by-side SAE workload (d_in 256, 4096 features, batch 4096) piece by
/// piece — its six GEMMs as PyTorch's forward and backward pass call them (Interp's backward skips dXc: x − b_dec's
/// gradient is only ever row-summed, see RowSums), with their GFLOP/s, then the elementwise passes
/// over the [4096, 4096] feature matrix — and the whole forward and step, and the fused step's phases. Wall ms and process CPU ms, median of R runs
/// after a warm-up. `--relu2`: the ReLU backward of a gradient in two parts, the parts added a pass before or inside it,
/// alternated, and with a part given as a row scale of sign(y) written out or read in the pass. `--phases`: only the fused step's phases (the quick before/after measure). `--l1-ab`: the step with the L1
/// penalty's gradient folded vs written out, alternated in one process.
/// </summary>
public static class SaeParts
{
    public static void Run(string[] args)
    {
        int at = Array.IndexOf(args, "--reps");
        int reps = at >= 0 ? int.Parse(args[at + 1]) : 7;
        if (args.Contains("--gemm")) { GemmShapes(reps, args.Contains("--two") ? 2 : 1); return; }
        if (args.Contains("--kernel")) { KernelOnly(); return; }
        if (args.Contains("--relu2")) { TwoPartRelu(reps); return; }
        if (args.Contains("--l1-ab")) { L1PartAB(reps); return; }
        const int dIn = 256, features = 4096, batch = 4096;
        var gen = new Generator(1);
        var wEnc = (Tensor.Randn([dIn, features], gen) * (1 / Math.Sqrt(dIn))).Detach();
        var wDec = wEnc.T.Contiguous();
        var bEnc = Tensor.Zeros([features]);
        var x = Tensor.Randn([batch, dIn], gen);
        var f = x.MatMul(wEnc).Relu();
        var g = Tensor.Randn([batch, dIn], gen);
        var big = Tensor.Randn([batch, features], gen);
        double gemmFlop = 2.0 * batch * dIn * features;
        double gemmMs = 0;
        void T(string name, Action run, double flop = 0)
        {
            var (wall, cpu) = Timing.Median(reps, run, warmup: 3);
            string rate = flop > 0 ? $"  {flop / wall / 1e6,6:F0} GFLOP/s" : "";
            if (flop > 0) gemmMs += wall;
            Console.WriteLine($"{name,-44} {wall,8:F2} ms  cpu {cpu,8:F2} ms{rate}");
        }
        bool phasesOnly = args.Contains("--phases");
        using (GradMode.NoGrad())
        if (!phasesOnly)
        {
            T("enc   x·W_enc       [4096,256]·[256,4096]", () => x.MatMul(wEnc), gemmFlop);
            T("dec   f·W_dec       [4096,4096]·[4096,256]", () => f.MatMul(wDec), gemmFlop);
            T("dF    g·W_decᵀ      [4096,256]·[256,4096]", () => g.MatMul(wDec.MT), gemmFlop);
            T("dWdec fᵀ·g          [4096,4096]ᵀ·[4096,256]", () => f.MT.MatMul(g), gemmFlop);
            T("dXc   dH·W_encᵀ     [4096,4096]·[4096,256]ᵀ", () => big.MatMul(wEnc.MT), gemmFlop);
            T("dWenc xᵀ·dH         [4096,256]ᵀ·[4096,4096]", () => x.MT.MatMul(big), gemmFlop);
            Console.WriteLine($"{"six GEMMs",-44} {gemmMs,8:F2} ms  {6 * gemmFlop / gemmMs / 1e6,6:F0} GFLOP/s");
            T("h + b_enc", () => _ = big + bEnc);
            T("relu(h)", () => big.Relu());
            T("addmm + relu  x·W_enc + b_enc", () => x.MatMul(wEnc, bEnc).Relu(), gemmFlop);
            T("MatMulRelu    x·W_enc + b_enc", () => x.MatMulRelu(wEnc, bEnc), gemmFlop);
            T("relu backward + bias grad (fused)", () => big.Backend.ReluBackwardWithBiasGrad(big, f));
            T("|f|.sum(1)", () => f.Abs().Sum(1));
            T("f.Norm(1, 1) (one pass)", () => f.Norm(1, 1));
            T("big + big", () => _ = big + f);
            T("g·sign(f)", () => big.Backend.Binary(Backends.BinaryOp.MulSign, big, f));
            T("sum(0) (bias grad)", () => big.Sum(0));
        }
        var p = new[] { wEnc, wDec, bEnc, Tensor.Zeros([dIn]) }.Select(t => t.Detach().RequiresGrad_()).ToArray();
        var opt = new Optim.Adam(p, lr: 1e-4);
        bool fused = false;
        Tensor Loss()
        {
            var fx = fused ? (x - p[3]).MatMulRelu(p[0], p[2]) : ((x - p[3]).MatMul(p[0]) + p[2]).Relu();
            var xHat = fused ? fx.MatMul(p[1], p[3]) : fx.MatMul(p[1]) + p[3];
            return (xHat - x).Square().Mean() + 1e-3 * (fused ? fx.Norm(1, 1) : fx.Abs().Sum(1)).Mean();
        }
        if (!phasesOnly)
        {
            T("forward (loss, graph recorded), unfused", () => Loss());
            T("step (zero_grad, loss, backward, Adam), unfused", () => { opt.ZeroGrad(); Loss().Backward(); opt.Step(); });
        }
        fused = true;
        T("forward, MatMulRelu + MatMul(w, bias) + Norm(1)", () => Loss());
        T("step, MatMulRelu + MatMul(w, bias) + Norm(1)", () => { opt.ZeroGrad(); Loss().Backward(); opt.Step(); });
        var laps = Timing.MinLaps(reps, lap => { opt.ZeroGrad(); lap(); var loss = Loss(); lap(); loss.Backward(); lap(); opt.Step(); lap(); },
                                  warmup: 3, clockMs: CpuClock.ProcessMs);
        Console.WriteLine($"{"  its phases (fastest, process CPU ms)",-44} zero_grad {laps[0]:F2}  forward {laps[1]:F2}  backward {laps[2]:F2}  Adam {laps[3]:F2}");
    }

    /// <summary>
    /// The six GEMMs straight through <see cref="Cpu.Gemm"/> with the transposes the backward pass passes, on
    /// <paramref name="threads"/> threads; with one thread timed in that thread's CPU time (robust on a busy machine).
    /// </summary>
    static unsafe void GemmShapes(int reps, int threads)
    {
        const int d = 256, n = 4096;
        float* big = Alloc(n * n), big2 = Alloc(n * n), w = Alloc(d * n), s = Alloc(n * d), o = Alloc(n * d);
        var shapes = new (string Name, Cpu.GemmProblem<float> P)[]
        {
            ("enc   [4096,256]·[256,4096]", new(false, false, n, n, d, 1f, s, d, w, n, 0f, big2, n)),
            ("dec   [4096,4096]·[4096,256]", new(false, false, n, d, n, 1f, big, n, w, d, 0f, o, d)),
            ("dF    [4096,256]·[4096,256]ᵀ", new(false, true, n, n, d, 1f, s, d, w, d, 0f, big2, n)),
            ("dWdec [4096,4096]ᵀ·[4096,256]", new(true, false, n, d, n, 1f, big, n, s, d, 0f, o, d)),
            ("dXc   [4096,4096]·[256,4096]ᵀ", new(false, true, n, d, n, 1f, big, n, w, n, 0f, o, d)),
            ("dWenc [4096,256]ᵀ·[4096,4096]", new(true, false, d, n, n, 1f, s, d, big, n, 0f, big2, n)),
        };
        double total = 0;
        foreach (var (name, p) in shapes)
        {
            Cpu.Gemm.Run(p, threads);
            var ms = new List<double>();
            double cpu0 = CpuClock.ProcessMs();
            for (int r = 0; r < reps; r++)
            {
                double t0 = threads == 1 ? CpuClock.ThreadMs() : Timing.WallMs();
                Cpu.Gemm.Run(p, threads);
                ms.Add((threads == 1 ? CpuClock.ThreadMs() : Timing.WallMs()) - t0);
            }
            double cpu = (CpuClock.ProcessMs() - cpu0) / reps;
            double med = ms.Order().ElementAt(reps / 2);
            total += med;
            Console.WriteLine($"{name,-34} {med,8:F2} ms  {2.0 * n * n * d / med / 1e6,6:F0} GFLOP/s ({threads} thread{(threads > 1 ? "s" : "")}, {(threads == 1 ? "thread CPU" : "wall")}; process CPU {cpu:F1} ms)");
        }
        Console.WriteLine($"{"six GEMMs",-34} {total,8:F2} ms  {6 * 2.0 * n * n * d / total / 1e6,6:F0} GFLOP/s");
    }

    /// <summary>
    /// The fused step with the L1 penalty's gradient folded into the ReLU backward as a row scale (Norm(1, 1), SignScaled)
    /// and written out as g·sign(f) first (the same norm recorded without its sign-scale rule), alternated step by step
    /// in one process, so both see the same load: wall and process CPU ms, min and median.
    /// </summary>
    static void L1PartAB(int reps)
    {
        const int dIn = 256, features = 4096, batch = 4096;
        var gen = new Generator(1);
        var wEnc = (Tensor.Randn([dIn, features], gen) * (1 / Math.Sqrt(dIn))).Detach();
        var p = new[] { wEnc, wEnc.T.Contiguous(), Tensor.Zeros([features]), Tensor.Zeros([dIn]) }.Select(t => t.Detach().RequiresGrad_()).ToArray();
        var opt = new Optim.Adam(p, lr: 1e-4);
        var x = Tensor.Randn([batch, dIn], gen);
        static Tensor WrittenOutL1(Tensor f) => Graph.Record("norm", f.Backend.AbsSum(f, [1], false), [f], g =>
            [g.Backend.Binary(Backends.BinaryOp.MulSign, g.Reshape(-1, 1).Expand(f.ShapeArray), f.Detach())]);
        void Step(bool folded)
        {
            opt.ZeroGrad();
            var f = (x - p[3]).MatMulRelu(p[0], p[2]);
            var l1 = folded ? f.Norm(1, 1) : WrittenOutL1(f);
            ((f.MatMul(p[1], p[3]) - x).Square().Mean() + 1e-3 * l1.Mean()).Backward();
            opt.Step();
        }
        var runs = new[] { new List<(double, double)>(), new List<(double, double)>() };
        for (int r = 0; r < reps + 3; r++)
            for (int k = 0; k < 2; k++)
            {
                var t = Timing.Median(1, () => Step(k == 0), warmup: 0);
                if (r >= 3) runs[k].Add(t);
            }
        foreach (var (name, l) in new[] { ("step, L1 part folded (row scale)", runs[0]), ("step, L1 part written out", runs[1]) })
        {
            var (wall, cpu) = (l.Select(t => t.Item1).Order().ToArray(), l.Select(t => t.Item2).Order().ToArray());
            Console.WriteLine($"{name,-34} wall min {wall[0],7:F1} med {wall[l.Count / 2],7:F1} ms  cpu min {cpu[0],7:F1} med {cpu[l.Count / 2],7:F1} ms");
        }
    }

    /// <summary>The ReLU backward of a gradient in two parts, added a pass before vs inside the kernel, alternated.</summary>
    static void TwoPartRelu(int reps)
    {
        var gen = new Generator(1);
        var (g1, g2, y) = (Tensor.Randn([4096, 4096], gen), Tensor.Randn([4096, 4096], gen), Tensor.Randn([4096, 4096], gen).Relu());
        var b = g1.Backend;
        var rowScale = Tensor.Randn([4096, 1], gen);
        var (before, inside, scaled, scaledApart) = (new List<(double, double)>(), new List<(double, double)>(), new List<(double, double)>(), new List<(double, double)>());
        for (int r = 0; r < reps + 2; r++)
        {
            var x = Timing.Median(1, () => b.ReluBackwardWithBiasGrad(b.Binary(Backends.BinaryOp.Add, g1, g2), y), warmup: 0);
            var z = Timing.Median(1, () => b.ReluBackwardWithBiasGrad(g1, g2, y), warmup: 0);
            var s = Timing.Median(1, () => b.ReluBackwardOfSignScaled(g1, rowScale, y), warmup: 0);
            var sa = Timing.Median(1, () => b.ReluBackwardWithBiasGrad(g1, b.Binary(Backends.BinaryOp.MulSign, rowScale.Expand(4096, 4096), y), y), warmup: 0);
            if (r >= 2) { before.Add(x); inside.Add(z); scaled.Add(s); scaledApart.Add(sa); }
        }
        foreach (var (name, l) in new[] { ("add, then relu backward", before), ("relu backward adding the parts", inside),
                                          ("row scale·sign(y) written out, 2 parts", scaledApart), ("relu backward of a row-scaled sign", scaled) })
            Console.WriteLine($"{name,-34} {l.Select(t => t.Item1).Order().ElementAt(l.Count / 2),8:F2} ms  cpu {l.Select(t => t.Item2).Order().ElementAt(l.Count / 2),8:F2} ms");
    }

    static unsafe float* Alloc(long count)
    {
        var p = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(count * 4), 64);
        var gen = new Random(1);
        for (long i = 0; i < count; i++) p[i] = (float)(gen.NextDouble() - 0.5);
        return p;
    }

    /// <summary>The AVX-512 float micro-kernel alone on L1/L2-resident panels, in thread CPU time: one core's ceiling.</summary>
    static unsafe void KernelOnly()
    {
        const int kc = 256, tiles = 12, reps = 4000;
        int mr = Cpu.Avx512Kernel<float>.MR, nr = Cpu.Avx512Kernel<float>.NR;
        float* a = Alloc(mr * kc * tiles), b = Alloc(nr * kc), c = Alloc(mr * tiles * nr);
        for (int s = 0; s < 5; s++)
        {
            double t0 = CpuClock.ThreadMs();
            for (int r = 0; r < reps; r++)
                for (int t = 0; t < tiles; t++)
                    Cpu.Avx512Kernel<float>.Run(kc, a + t * mr * kc, b, nr, c + t * mr * nr, nr, 1f, 1f);
            double ms = CpuClock.ThreadMs() - t0;
            Console.WriteLine($"kernel {mr}x{nr} kc={kc}: {2.0 * mr * nr * kc * tiles * reps / ms / 1e6:F1} GFLOP/s (thread CPU)");
        }
    }
}
