using Interp.Autograd;
using Interp.Data;
using Interp.Nn;
using Interp.Optim;

namespace Interp.Cli;

public sealed record TrainingOptions(int Epochs = 2, int BatchSize = 128, double LearningRate = 1e-3, int Hidden = 256, ulong Seed = 0, Device? Device = null);

/// <summary>Where training is, after a step: for progress displays.</summary>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double Loss, long ExamplesSeen, TimeSpan Elapsed)
{
    public int GlobalStep => (Epoch - 1) * StepsPerEpoch + Step;
    public int TotalSteps => Epochs * StepsPerEpoch;
}

/// <summary>
/// The main job: an MLP (pixels → hidden → 10, ReLU) trained with Adam on an image dataset, minibatches drawn
/// from a seeded shuffle each epoch. The template for later training loops: batch, forward, loss, backward, step.
/// </summary>
public static class MlpClassifier
{
    public const int Classes = 10;

    public static Mlp Train(ImageDataset data, TrainingOptions options, Action<TrainingProgress>? report = null)
    {
        var gen = new Generator(options.Seed);
        int pixels = data.Height * data.Width;
        var device = options.Device ?? Device.Cpu;
        var model = new Mlp([pixels, options.Hidden, Classes], gen);
        model.To(device);
        var optimizer = new Adam(model.Parameters(), options.LearningRate);
        int stepsPerEpoch = (data.Count + options.BatchSize - 1) / options.BatchSize;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long seen = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var order = Permutation(data.Count, gen);
            for (int step = 0; step < stepsPerEpoch; step++)
            {
                var rows = order.AsSpan(step * options.BatchSize, Math.Min(options.BatchSize, data.Count - step * options.BatchSize));
                var (x, labels) = Batch(data, rows);
                var loss = model.Forward(x.To(device)).CrossEntropy(labels.To(device));
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                seen += rows.Length;
                report?.Invoke(new(epoch, options.Epochs, step + 1, stepsPerEpoch, loss.Item(), seen, clock.Elapsed));
            }
        }
        return model;
    }

    /// <summary>Fraction of <paramref name="data"/> whose arg-max logit is the label.</summary>
    public static double Accuracy(Mlp model, ImageDataset data, int batchSize = 1000)
    {
        using var _ = GradMode.NoGrad();
        model.Eval();
        int correct = 0;
        var all = Enumerable.Range(0, data.Count).ToArray();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            var rows = all.AsSpan(start, Math.Min(batchSize, data.Count - start));
            var predicted = model.Forward(Batch(data, rows).X.To(model.Device)).ArgMax(1).ToIntArray();
            for (int i = 0; i < rows.Length; i++) correct += predicted[i] == data.Labels[rows[i]] ? 1 : 0;
        }
        model.Train();
        return (double)correct / data.Count;
    }

    /// <summary>The images of <paramref name="rows"/> as [n, pixels] and their labels as int32 [n].</summary>
    static (Tensor X, Tensor Labels) Batch(ImageDataset data, ReadOnlySpan<int> rows)
    {
        int pixels = data.Height * data.Width;
        var x = new float[rows.Length * pixels];
        var labels = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            data.Images.AsSpan(rows[i] * pixels, pixels).CopyTo(x.AsSpan(i * pixels));
            labels[i] = data.Labels[rows[i]];
        }
        return (Tensor.FromArray(x, [rows.Length, pixels]), Tensor.FromArray(labels));
    }

    /// <summary>A uniformly random permutation of 0..n−1 (Fisher–Yates).</summary>
    static int[] Permutation(int n, Generator gen)
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
