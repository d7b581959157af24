using System.Diagnostics;
using Interp.Data.Tasks;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Bench;

/// <summary>`Interp.Bench modadd-step [reps]`: times one full-batch step of the grokking toy and its attention einsums.</summary>
public static class ModAddStep
{
    public static void Run(string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0]) : 3;
        var o = new ModAddOptions();
        var data = new ModularAddition(o.P, o.TrainFraction, o.Seed);
        var (x, y) = data.Train;
        var model = new HookedTransformer(o.ModelConfig);
        double bf = double.MaxValue, bb = double.MaxValue, bm = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            var logits = model.Forward(x);
            double m = sw.Elapsed.TotalMilliseconds;
            var loss = logits.Select(1, 2).Narrow(1, 0, o.P).CrossEntropy(y);
            double f = sw.Elapsed.TotalMilliseconds;
            loss.Backward();
            double b = sw.Elapsed.TotalMilliseconds - f;
            foreach (var p in model.Parameters()) p.Grad = null;
            (bf, bb, bm) = (Math.Min(bf, f), Math.Min(bb, b), Math.Min(bm, m));
        }
        Console.WriteLine($"step (min of {reps}): forward {bf:F0} ms (model {bm:F0}), backward {bb:F0} ms");
        int n = x.Size(0), h = o.NHeads, e = o.DHead, d = o.DModel;
        var gen = new Generator(1);
        var xs = Tensor.Randn([n, 3, d], gen, requiresGrad: true);
        var w = Tensor.Randn([h, d, e], gen, requiresGrad: true);
        var q = Tensor.Randn([n, 3, h, e], gen, requiresGrad: true);
        var k = Tensor.Randn([n, 3, h, e], gen, requiresGrad: true);
        var pat = Tensor.Randn([n, h, 3, 3], gen, requiresGrad: true);
        var wo = Tensor.Randn([h, e, d], gen, requiresGrad: true);
        var win = Tensor.Randn([d, 4 * d], gen, requiresGrad: true);
        Time("bpd,hde->bphe", () => Tensor.Einsum("bpd,hde->bphe", xs, w), reps);
        Time("bqhe,bkhe->bhqk", () => Tensor.Einsum("bqhe,bkhe->bhqk", q, k), reps);
        Time("bhqk,bkhe->bqhe", () => Tensor.Einsum("bhqk,bkhe->bqhe", pat, k), reps);
        Time("bqhe,hem->bqm", () => Tensor.Einsum("bqhe,hem->bqm", q, wo), reps);
        Time("bqhe,hem->bqhm+sum", () => Tensor.Einsum("bqhe,hem->bqhm", q, wo).Sum(2), reps);
        Time("mlp in matmul", () => xs.MatMul(win), reps);
        var big = Tensor.Randn([n, 3, 4 * d], gen, requiresGrad: true);
        Time("relu 3831x3x512", () => big.Relu(), reps);
        var lg = Tensor.Randn([n, 3, o.P + 1], gen, requiresGrad: true);
        Time("select+crossentropy", () => lg.Select(1, 2).Narrow(1, 0, o.P).CrossEntropy(y), reps);
    }

    static void Time(string name, Func<Tensor> f, int reps)
    {
        double bf = double.MaxValue, bb = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            var yv = f();
            double fw = sw.Elapsed.TotalMilliseconds;
            yv.Sum().Backward();
            (bf, bb) = (Math.Min(bf, fw), Math.Min(bb, sw.Elapsed.TotalMilliseconds - fw));
        }
        Console.WriteLine($"{name,-22} forward {bf,6:F1} ms, backward {bb,6:F1} ms (min of {reps})");
    }
}
