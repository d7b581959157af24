using Interp.Data;
using Interp.Models;
using Interp.Nn;
using Interp.Optim;
using Interp.Training;
using Xunit;

namespace Interp.Tests.Models.Training;

public sealed class CheckpointTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"interp-ckpt-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    // 40 random 10x10 images, batch 8: 5 steps an epoch, 2 epochs; dropout so that the RNG state matters
    static readonly CnnConfig Config = new(ImageSize: 10, Conv1Channels: 2, Conv2Channels: 3, Hidden: 8, Classes: 3, Dropout1: 0.2, Dropout2: 0.3);

    static readonly ImageDataset Data = MakeData();

    static ImageDataset MakeData()
    {
        var rng = new Generator(42);
        var images = new float[40 * 100];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        return new ImageDataset(images, Enumerable.Range(0, 40).Select(i => i % 3).ToArray(), 10, 10);
    }

    static Trainer NewTrainer(CnnConfig? config = null, ulong initSeed = 1)
    {
        var gen = new Generator(initSeed);
        var cnn = new Cnn(config ?? Config, gen);
        return new Trainer(cnn, new Adam(cnn.Parameters(), 1e-2), Data.Count, rows =>
        {
            var (x, y) = ImageClassification.Batch(Data, rows);
            return cnn.Forward(x).CrossEntropy(y);
        }, new TrainerOptions(Epochs: 2, BatchSize: 8, Seed: 7), gen);
    }

    static double[] Weights(Trainer t) => t.Model.Parameters().SelectMany(p => p.ToDoubleArray()).ToArray();

    [Fact]
    public void SameSeedGivesTheSameLosses()
    {
        var a = NewTrainer().Run(maxSteps: 6);
        Assert.Equal(6, a.Count);
        Assert.Equal(a, NewTrainer().Run(maxSteps: 6));
        Assert.NotEqual(a, NewTrainer(initSeed: 2).Run(maxSteps: 6));
    }

    [Fact]
    public void ResumingContinuesWithBitIdenticalLosses()
    {
        var straight = NewTrainer().Run(maxSteps: 6);

        var first = NewTrainer();
        var resumed = first.Run(maxSteps: 3);
        Checkpoint.Save(dir, first, Config);
        var second = NewTrainer(initSeed: 99);   // other weights and RNG state until loaded
        Checkpoint.Load(dir, second);
        Assert.Equal(3, second.Step);
        resumed.AddRange(second.Run(maxSteps: 3));

        Assert.Equal(straight, resumed);   // exact: same batches, weights, Adam moments and dropout masks
        Assert.Equal(Config, Checkpoint.ReadConfig<CnnConfig>(dir));
    }

    [Theory]
    [InlineData(CheckpointStage.BeforeWrite)]
    [InlineData(CheckpointStage.MidWrite)]
    [InlineData(CheckpointStage.BeforeRename)]
    public void AnInterruptedSaveLeavesThePreviousCheckpointLoadable(CheckpointStage stage)
    {
        var trainer = NewTrainer();
        trainer.Run(maxSteps: 3);
        Checkpoint.Save(dir, trainer, Config);
        var saved = Weights(trainer);
        var files = Directory.GetFiles(dir).ToDictionary(f => f, File.ReadAllBytes);
        trainer.Run(maxSteps: 2);

        var crash = new IOException("simulated crash");
        var thrown = Assert.Throws<IOException>(() => Checkpoint.Save(dir, trainer, Config, s => { if (s == stage) throw crash; }));
        Assert.Same(crash, thrown);
        foreach (var (path, bytes) in files) Assert.Equal(bytes, File.ReadAllBytes(path));   // the previous checkpoint, byte for byte

        var restored = NewTrainer(initSeed: 5);
        Checkpoint.Load(dir, restored);
        Assert.Equal(3, restored.Step);
        Assert.Equal(saved, Weights(restored));

        // the next save succeeds and clears what the interrupted one left
        Checkpoint.Save(dir, trainer, Config);
        Assert.Single(Directory.GetFiles(dir, "weights-*.safetensors"));
        Assert.Equal(5, Checkpoint.ReadRecord(dir).Step);
    }

    [Fact]
    public void ACheckpointOfAnotherNetworkIsRefusedByTensorAndShape()
    {
        var trainer = NewTrainer();
        trainer.Run(maxSteps: 1);
        Checkpoint.Save(dir, trainer, Config);

        var other = NewTrainer(Config with { Hidden = 5 });
        var before = Weights(other);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(dir, other));
        Assert.Contains("'fc1.weight'", e.Message);
        Assert.Contains("[5, 27]", e.Message);
        Assert.Contains("[8, 27]", e.Message);
        Assert.Equal(before, Weights(other));   // nothing was changed
        Assert.Equal(0, other.Step);
    }

    [Fact]
    public void StopRequestEndsTheRunAfterTheCurrentStep()
    {
        var trainer = NewTrainer();
        int calls = 0;
        var losses = trainer.Run(stop: () => ++calls > 4);
        Assert.Equal(4, losses.Count);
        Assert.Equal(4, trainer.Step);
    }

    [Fact]
    public void ScheduleSetsTheLearningRateOfEachStep()
    {
        var gen = new Generator(1);
        var cnn = new Cnn(Config, gen);
        var adam = new Adam(cnn.Parameters(), 0.1);
        var rates = new List<double>();
        var trainer = new Trainer(cnn, adam, Data.Count, rows =>
        {
            rates.Add(adam.LearningRate);
            var (x, y) = ImageClassification.Batch(Data, rows);
            return cnn.Forward(x).CrossEntropy(y);
        }, new TrainerOptions(Epochs: 1, BatchSize: 8, Seed: 7, Schedule: LrSchedule.WarmupLinear(0, 4)), gen);
        trainer.Run();
        Assert.Equal([0.1, 0.075, 0.05, 0.025, 0.0], rates.Select(r => Math.Round(r, 12)));
    }

    [Fact]
    public void ProgressLinesShowStepLossSpeedAndTimes()
    {
        var text = new StringWriter();
        var progress = new Progress(output: text);
        NewTrainer().Run(report: progress.Report);
        string last = text.ToString().TrimEnd().Split('\n')[^1];
        Assert.Matches(@"^epoch 2/2  step 10/10  loss \d+\.\d{4}  \d+ ex/s  elapsed \d+:\d\d  remaining 0:00$", last);

        var quiet = new StringWriter();
        NewTrainer().Run(report: new Progress(quiet: true, output: quiet).Report);
        Assert.Equal("", quiet.ToString());
    }

    [Theory]
    [InlineData(2.5, "2.5000")]
    [InlineData(0.0012345, "0.0012")]
    [InlineData(3.2e-5, "3.20e-05")]
    [InlineData(0.0, "0.0000")]
    [InlineData(double.NaN, "NaN")]
    public void ASmallLossShowsHowSmallItIs(double loss, string shown)
    {
        Assert.Equal(shown, Progress.FormatLoss(loss));
        var text = new StringWriter();
        new Progress(output: text).Report(new StepReport(1, 2, 1, 1, loss, 8, 1, TimeSpan.FromSeconds(1)));
        Assert.Contains($"  loss {shown}  ", text.ToString());
    }

    [Fact]
    public void RemainingTimeLeavesOutTheFirstStepsOneOffWork()
    {
        var text = new StringWriter();
        var progress = new Progress(output: text);
        // the first step took 10 s (the JIT), the next five 4 s each: 5 steps left take 20 s, not 30 s / 6 · 5 = 25 s
        progress.Report(new StepReport(1, 11, 1, 1, 2.0, 8, 1, TimeSpan.FromSeconds(10)));
        progress.Report(new StepReport(6, 11, 1, 1, 1.0, 48, 6, TimeSpan.FromSeconds(30)));
        var lines = text.ToString().TrimEnd().Split('\n');
        Assert.EndsWith("remaining …", lines[0]);
        Assert.EndsWith("remaining 0:20", lines[1]);
    }

    [Fact]
    public void ProgressShowsASecondTrainerWhoseClockStartsAgain()
    {
        var text = new StringWriter();
        var progress = new Progress(output: text);
        progress.Report(new StepReport(5, 10, 1, 1, 1.0, 50, 5, TimeSpan.FromMinutes(8)));
        progress.Report(new StepReport(1, 10, 1, 1, 2.0, 10, 1, TimeSpan.FromSeconds(1)));   // the next model's trainer
        Assert.Equal(2, text.ToString().TrimEnd().Split('\n').Length);
    }

    [Fact]
    public void BatchesCoverEachEpochOnceAndDependOnlyOnTheStep()
    {
        var t = NewTrainer();
        var epoch = Enumerable.Range(0, t.StepsPerEpoch).SelectMany(t.BatchRows).Order();
        Assert.Equal(Enumerable.Range(0, Data.Count), epoch);
        Assert.NotEqual(t.BatchRows(0), t.BatchRows(5));
        Assert.Equal(t.BatchRows(7), NewTrainer(initSeed: 3).BatchRows(7));
    }

    /// <summary>checkpoint.json edited by hand or damaged: a field of the wrong type is named with the file, nothing thrown past it.</summary>
    public static TheoryData<string, string, string> DamagedRecords => new()
    {
        { "step", "\"3\"", "field 'step' must be an integer, got string \"3\"" },
        { "step", "2.5", "field 'step' must be an integer, got number 2.5" },
        { "step", "-1", "field 'step' must be >= 0" },
        { "step", "3000000000", "field 'step' must be an integer" },
        { "format", "1", "field 'format' must be a string, got number 1" },
        { "tensors", "[\"a\"]", "field 'tensors' must be a file name, got array" },
        { "tensors", "null", "field 'tensors' must be a file name, got nothing" },
        { "config", "[]", "field 'config' must be an object, got array" },
        { "config", "{\"Model\": \"big\"}", "field 'config.Model' does not fit this run's CnnRun" },
        { "config", "{\"Epochs\": \"two\"}", "field 'config.Epochs' does not fit this run's CnnRun" },
    };

    [Theory, MemberData(nameof(DamagedRecords))]
    public void ACheckpointRecordWithAFieldOfTheWrongTypeIsRefusedByFileAndField(string field, string json, string phrase)
    {
        var trainer = NewTrainer();
        trainer.Run(maxSteps: 1);
        Checkpoint.Save(dir, trainer, CnnRun.Default);
        string record = Path.Combine(dir, Checkpoint.RecordFile);
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record))!.AsObject();
        node[field] = System.Text.Json.Nodes.JsonNode.Parse(json);
        File.WriteAllText(record, node.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => { Checkpoint.ReadConfig<CnnRun>(dir); Checkpoint.Load(dir, NewTrainer()); });
        Assert.Contains(record, e.Message);
        Assert.Contains(phrase, e.Message);
    }
}
