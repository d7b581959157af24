using Interp.Data;
using Interp.Nn;
using Interp.Optim;

namespace Interp.Training;

public sealed record MlpOptions(int Epochs = 2, int BatchSize = 128, double LearningRate = 1e-3, int Hidden = 256, ulong Seed = 0, Device? Device = null);

/// <summary>
/// The first model of the course: an MLP (pixels → hidden → 10, ReLU) trained with Adam on an image dataset, through
/// the one training loop (<see cref="Trainer"/>: seeded shuffle per epoch, forward, loss, backward, step).
/// </summary>
public static class MlpClassifier
{
    public const int Classes = 10;

    public static Mlp Train(ImageDataset data, MlpOptions options, Action<StepReport>? report = null)
    {
        var gen = new Generator(options.Seed);
        var device = options.Device ?? Device.Cpu;
        var model = new Mlp([data.Height * data.Width, options.Hidden, Classes], gen);
        model.To(device);
        var trainer = new Trainer(model, new Adam(model.Parameters(), options.LearningRate), data.Count, rows =>
        {
            var (x, labels) = ImageClassification.Batch(data, rows);
            return model.Forward(x.Flatten(1).To(device)).CrossEntropy(labels.To(device));
        }, new TrainerOptions(options.Epochs, options.BatchSize, options.Seed), gen);
        trainer.Run(report: report);
        return model;
    }

    /// <summary>Fraction of <paramref name="data"/> whose arg-max logit is the label.</summary>
    public static double Accuracy(Mlp model, ImageDataset data)
    {
        model.Eval();
        double accuracy = ImageClassification.Accuracy(x => model.Forward(x.Flatten(1).To(model.Device)), data);
        model.Train();
        return accuracy;
    }
}
