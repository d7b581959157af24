using Interp.Data;
using Interp.Models;
using Interp.Nn;
using Interp.Optim;

namespace Interp.Training;

/// <summary>What a CNN run is: kept in its checkpoints, so a resumed run can be checked against them.</summary>
public sealed record CnnRun(CnnConfig Model, int Epochs, int BatchSize, double LearningRate, ulong Seed, bool Cosine)
{
    /// <summary>conv 16 and 32 channels, a pool after each; Adam 3e-3 decayed along a cosine, batch 64, 8 epochs.</summary>
    public static CnnRun Default => new(new CnnConfig(Conv1Channels: 16, Conv2Channels: 32, PoolAfterConv1: true), Epochs: 8, BatchSize: 64,
        LearningRate: 3e-3, Seed: 0, Cosine: true);
}

/// <param name="Stopped">the stop check ended training early (a checkpoint of the last step is saved)</param>
public sealed record CnnTrainingResult(Cnn Model, bool Stopped, int Step, int TotalSteps);

/// <summary>
/// Trains a <see cref="Cnn"/> with Adam on an image dataset, checkpointing into a folder after every epoch and when
/// stopped, and writes the final weights (model.safetensors) there.
/// </summary>
public static class CnnTraining
{
    /// <param name="resume">continue from the checkpoint in <paramref name="outDir"/> (the caller checked it is this run's)</param>
    /// <param name="stop">checked before each step: true ends training after the current step</param>
    public static CnnTrainingResult Train(CnnRun run, ImageDataset train, string outDir, bool resume, Device device, Progress progress,
        Func<bool>? stop = null)
    {
        stop ??= () => false;
        var gen = new Generator(run.Seed);
        var model = new Cnn(run.Model, gen);
        model.To(device);
        var schedule = run.Cosine ? LrSchedule.WarmupCosine(0, run.Epochs * ((train.Count + run.BatchSize - 1) / run.BatchSize)) : null;
        var trainer = new Trainer(model, new Adam(model.Parameters(), run.LearningRate), train.Count, rows =>
        {
            var (x, labels) = ImageClassification.Batch(train, rows);
            return model.Forward(x.To(device)).CrossEntropy(labels.To(device));
        }, new TrainerOptions(run.Epochs, run.BatchSize, run.Seed, schedule), gen);
        if (resume)
        {
            Checkpoint.Load(outDir, trainer);
            progress.Note($"resumed from '{outDir}' at step {trainer.Step}/{trainer.TotalSteps}");
        }
        progress.Note($"CNN {run.Model.Conv1Channels}/{run.Model.Conv2Channels} channels, {run.Model.FlatFeatures}-{run.Model.Hidden}-{run.Model.Classes}, " +
            $"{model.Parameters().Sum(p => p.Numel)} parameters; Adam lr {run.LearningRate}, {(run.Cosine ? "cosine decay, " : "")}batch {run.BatchSize}, " +
            $"{run.Epochs} epochs, seed {run.Seed}, on {device}");
        try
        {
            while (!trainer.Done && !stop())
            {
                int epochEnd = (trainer.Step / trainer.StepsPerEpoch + 1) * trainer.StepsPerEpoch;
                trainer.Run(maxSteps: epochEnd - trainer.Step, stop: stop, report: progress.Report);
                Checkpoint.Save(outDir, trainer, run);
            }
        }
        finally { progress.Finish(); }
        if (!trainer.Done) return new(model, Stopped: true, trainer.Step, trainer.TotalSteps);
        model.SaveSafeTensors(Path.Combine(outDir, "model.safetensors"));
        model.Eval();
        return new(model, Stopped: false, trainer.Step, trainer.TotalSteps);
    }
}
