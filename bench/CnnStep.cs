using System.Diagnostics;
using Interp.Models;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench cnn-step [reps]`: where the side-by-side CNN step (PyTorch's MNIST net, batch 64) spends its time,
/// op by op, in CPU milliseconds of the process (robust to a loaded machine; run with DOTNET_PROCESSOR_COUNT=1 for single-thread figures): each layer's forward and backward alone (min of reps after 40 warm-up calls), then the whole step for comparison.
/// </summary>
public static class CnnStep
{
    public static void Run(string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0]) : 5;
        var gen = new Generator(1);
        var model = new Cnn(new CnnConfig(), gen);
        var x = Tensor.Randn([64, 1, 28, 28], gen);
        var y = Tensor.RandInt(0, 10, [64], gen);
        var c1 = model.Conv1.Forward(x).Detach().RequiresGrad_();
        var r1 = c1.Relu().Detach().RequiresGrad_();
        var c2 = model.Conv2.Forward(r1).Detach().RequiresGrad_();
        var r2 = c2.Relu().Detach().RequiresGrad_();
        var p = r2.MaxPool2d(2).Detach().RequiresGrad_();
        var f = p.Flatten(1).Detach().RequiresGrad_();
        var h = model.Fc1.Forward(f).Detach().RequiresGrad_();
        var logits = model.Fc2.Forward(h.Relu()).Detach().RequiresGrad_();
        Time("conv1 1->32", () => model.Conv1.Forward(x), reps);
        Time("relu1", () => c1.Relu(), reps);
        Time("conv2 32->64", () => model.Conv2.Forward(r1), reps);
        Time("relu2", () => c2.Relu(), reps);
        Time("maxpool", () => r2.MaxPool2d(2), reps);
        Time("fc1 9216->128", () => model.Fc1.Forward(f), reps);
        Time("relu3+fc2", () => model.Fc2.Forward(h.Relu()), reps);
        Time("cross-entropy", () => logits.CrossEntropy(y), reps);
        var opt = new Interp.Optim.Adam(model.Parameters());
        for (int r = 0; r < 40; r++) { opt.ZeroGrad(); model.Forward(x).CrossEntropy(y).Backward(); opt.Step(); }
        double best = double.MaxValue, bestStep = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            opt.ZeroGrad();
            double t0 = CpuMs();
            model.Forward(x).CrossEntropy(y).Backward();
            double fb = CpuMs() - t0;
            opt.Step();
            (best, bestStep) = (Math.Min(best, fb), Math.Min(bestStep, CpuMs() - t0 - fb));
        }
        Console.WriteLine($"{"whole forward+backward",-22} {best,7:F1} ms, adam step {bestStep,6:F1} ms (min of {reps})");
    }

    /// <summary>CPU time of the whole process (all threads): on a loaded machine it moves far less than wall time.</summary>
    static double CpuMs() => CpuClock.ProcessMs();

    static void Time(string name, Func<Tensor> f, int reps)
    {
        // warm up first: the JIT re-compiles a method optimised only after ~30 calls, and a handful of reps would
        // time the unoptimised first version (the max pool read 20 ms here against 0.4 ms once warm)
        for (int r = 0; r < 40; r++) f().Sum().Backward();
        double bf = double.MaxValue, bb = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            double t0 = CpuMs();
            var yv = f();
            double fw = CpuMs() - t0;
            yv.Sum().Backward();
            (bf, bb) = (Math.Min(bf, fw), Math.Min(bb, CpuMs() - t0 - fw));
        }
        Console.WriteLine($"{name,-22} forward {bf,7:F2} ms, backward {bb,7:F2} ms (min of {reps})");
    }
}
