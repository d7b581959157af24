using System.Diagnostics;
using Interp.Nn;
using Interp.Optim;

namespace Interp.Training;

/// <param name="Schedule">learning-rate factor by step (see Interp.Optim.LrSchedule); null for a constant rate</param>
/// <param name="DetectAnomaly">run each step in anomaly mode (<see cref="Interp.Autograd.Anomaly"/>): the first op making a NaN/Inf stops training with its name</param>
public sealed record TrainerOptions(int Epochs = 1, int BatchSize = 64, ulong Seed = 0, Func<int, double>? Schedule = null, bool DetectAnomaly = false);

/// <summary>Where training is after a step, for progress displays.</summary>
/// <param name="StepsRun">steps run by this trainer object (fewer than Step after resuming), over <paramref name="Elapsed"/></param>
public readonly record struct StepReport(int Step, int TotalSteps, int Epoch, int Epochs, double Loss, long ExamplesSeen, int StepsRun, TimeSpan Elapsed)
{
    public double ExamplesPerSecond => ExamplesSeen / Math.Max(1e-9, Elapsed.TotalSeconds);
    public TimeSpan Remaining => TimeSpan.FromSeconds(Elapsed.TotalSeconds / Math.Max(1, StepsRun) * (TotalSteps - Step));
}

/// <summary>
/// The training loop: minibatches of example indices, forward + loss, backward, optimizer step. Batches depend only
/// on (seed, epoch, step) — each epoch's order is a Fisher–Yates shuffle by a generator seeded from the seed and the
/// epoch — so a run resumed from a checkpoint at any step sees the same batches as one that never stopped.
/// <see cref="Rng"/> is the run's other randomness (dropout); it is saved in checkpoints.
/// </summary>
public sealed class Trainer
{
    readonly Func<int[], Tensor> lossOf;
    readonly double baseRate;
    readonly Stopwatch clock = new();
    long seen;
    int stepsRun;
    int[]? order;
    int orderEpoch = -1;

    /// <param name="lossOf">the scalar loss of a minibatch, given its example indices</param>
    public Trainer(Module model, Optimizer optimizer, int exampleCount, Func<int[], Tensor> lossOf, TrainerOptions options, Generator? rng = null)
    {
        if (exampleCount <= 0) throw new ArgumentException($"trainer: needs at least one example, got {exampleCount}");
        if (options.Epochs <= 0 || options.BatchSize <= 0)
            throw new ArgumentException($"trainer: epochs and batch size must be positive, got {options.Epochs} and {options.BatchSize}");
        (Model, Optimizer, ExampleCount, this.lossOf, Options) = (model, optimizer, exampleCount, lossOf, options);
        Rng = rng ?? new Generator(options.Seed);
        baseRate = optimizer.LearningRate;
    }

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    public TrainerOptions Options { get; }
    public Generator Rng { get; }
    public int ExampleCount { get; }

    /// <summary>Steps done so far (a checkpoint restores it).</summary>
    public int Step { get; set; }

    public int StepsPerEpoch => (ExampleCount + Options.BatchSize - 1) / Options.BatchSize;
    public int TotalSteps => Options.Epochs * StepsPerEpoch;
    public bool Done => Step >= TotalSteps;

    /// <summary>The example indices of global step <paramref name="step"/> (0-based).</summary>
    public int[] BatchRows(int step)
    {
        int epoch = step / StepsPerEpoch, start = step % StepsPerEpoch * Options.BatchSize;
        if (epoch != orderEpoch) (order, orderEpoch) = (Permutation(ExampleCount, new Generator(Options.Seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)))), epoch);
        return order!.AsSpan(start, Math.Min(Options.BatchSize, ExampleCount - start)).ToArray();
    }

    /// <summary>
    /// Runs the next step and returns its loss. A NaN or infinite loss stops training (NonFiniteException) before the
    /// optimizer would spread it into the weights, and a NaN or infinite parameter after the update stops it too; with
    /// <see cref="TrainerOptions.DetectAnomaly"/> (or anomaly mode on) the error names the first op that made a NaN/Inf,
    /// in the forward or the backward pass. <see cref="Divergence"/> words the errors.
    /// </summary>
    public double TrainStep()
    {
        if (Done) throw new InvalidOperationException($"trainer: all {TotalSteps} steps are done");
        Model.Train();
        if (Options.Schedule is { } schedule) Optimizer.LearningRate = baseRate * schedule(Step);
        using var anomaly = Options.DetectAnomaly ? Interp.Autograd.Anomaly.Enable() : null;
        int step = Step + 1;
        double value = Divergence.AtStep("trainer", step, () =>
        {
            var loss = lossOf(BatchRows(Step));
            double finite = Divergence.CheckLoss("trainer", step, loss.Item());
            Optimizer.ZeroGrad();
            loss.Backward();
            Optimizer.Step();
            return finite;
        });
        Divergence.CheckParameters("trainer", step, Model.NamedParameters().Select(p => (p.Name, p.Param)));
        Step++;
        return value;
    }

    /// <summary>
    /// Trains until done, <paramref name="maxSteps"/> more steps, or <paramref name="stop"/> says so (checked before
    /// each step, so a stop request ends the run after the current step). Returns the losses of the steps run.
    /// Reports count time and examples over all runs of this trainer.
    /// </summary>
    public List<double> Run(int? maxSteps = null, Func<bool>? stop = null, Action<StepReport>? report = null)
    {
        var losses = new List<double>();
        clock.Start();
        while (!Done && (maxSteps is not int m || losses.Count < m) && stop?.Invoke() != true)
        {
            int batch = Math.Min(Options.BatchSize, ExampleCount - Step % StepsPerEpoch * Options.BatchSize);
            losses.Add(TrainStep());
            seen += batch;
            stepsRun++;
            report?.Invoke(new(Step, TotalSteps, (Step - 1) / StepsPerEpoch + 1, Options.Epochs, losses[^1], seen, stepsRun, clock.Elapsed));
        }
        clock.Stop();
        return losses;
    }

    /// <summary>A uniformly random permutation of 0..n−1 (Fisher–Yates).</summary>
    public static int[] Permutation(int n, Generator gen)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = gen.NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
