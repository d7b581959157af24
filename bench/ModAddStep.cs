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
        var ms = Timing.MinLaps(reps, lap =>
        {
            var logits = model.Forward(x);
            lap();
            var loss = logits.Select(1, 2).Narrow(1, 0, o.P).CrossEntropy(y);
            lap();
            loss.Backward();
            lap();
            foreach (var p in model.Parameters()) p.Grad = null;
        }, warmup: 0);
        var (bm, bf, bb) = (ms[0], ms[0] + ms[1], ms[2]);
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
        Timing.ForwardBackward("bpd,hde->bphe", () => Tensor.Einsum("bpd,hde->bphe", xs, w), reps, warmup: 0);
        Timing.ForwardBackward("bqhe,bkhe->bhqk", () => Tensor.Einsum("bqhe,bkhe->bhqk", q, k), reps, warmup: 0);
        Timing.ForwardBackward("bhqk,bkhe->bqhe", () => Tensor.Einsum("bhqk,bkhe->bqhe", pat, k), reps, warmup: 0);
        Timing.ForwardBackward("bqhe,hem->bqm", () => Tensor.Einsum("bqhe,hem->bqm", q, wo), reps, warmup: 0);
        Timing.ForwardBackward("bqhe,hem->bqhm+sum", () => Tensor.Einsum("bqhe,hem->bqhm", q, wo).Sum(2), reps, warmup: 0);
        Timing.ForwardBackward("mlp in matmul", () => xs.MatMul(win), reps, warmup: 0);
        var big = Tensor.Randn([n, 3, 4 * d], gen, requiresGrad: true);
        Timing.ForwardBackward("relu 3831x3x512", () => big.Relu(), reps, warmup: 0);
        var lg = Tensor.Randn([n, 3, o.P + 1], gen, requiresGrad: true);
        Timing.ForwardBackward("select+crossentropy", () => lg.Select(1, 2).Narrow(1, 0, o.P).CrossEntropy(y), reps, warmup: 0);
    }
}
