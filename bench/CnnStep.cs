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
        // CPU time of the whole process (all threads): on a loaded machine it moves far less than wall time
        void Time(string name, Func<Tensor> run) => Timing.ForwardBackward(name, run, reps, clockMs: CpuClock.ProcessMs);
        Time("conv1 1->32", () => model.Conv1.Forward(x));
        Time("relu1", () => c1.Relu());
        Time("conv2 32->64", () => model.Conv2.Forward(r1));
        Time("relu2", () => c2.Relu());
        Time("maxpool", () => r2.MaxPool2d(2));
        Time("fc1 9216->128", () => model.Fc1.Forward(f));
        Time("relu3+fc2", () => model.Fc2.Forward(h.Relu()));
        Time("cross-entropy", () => logits.CrossEntropy(y));
        var opt = new Interp.Optim.Adam(model.Parameters());
        var ms = Timing.MinLaps(reps, lap =>
        {
            model.Forward(x).CrossEntropy(y).Backward();
            lap();
            opt.Step();
            lap();
            opt.ZeroGrad();
        }, clockMs: CpuClock.ProcessMs);
        var (best, bestStep) = (ms[0], ms[1]);
        Console.WriteLine($"{"whole forward+backward",-22} {best,7:F1} ms, adam step {bestStep,6:F1} ms (min of {reps})");
    }
}
