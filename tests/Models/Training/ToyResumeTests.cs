using Interp.Training;
using Xunit;

namespace Interp.Tests.Models.Training;

/// <summary>
/// Checkpoint and resume of the toy transformers: a run stopped (a stop request, as Ctrl-C) or ended and then resumed
/// with more steps computes bit for bit the losses, evaluations and weights of a run that never stopped.
/// </summary>
[Collection("Console")]
public sealed class ToyResumeTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"interp-toyresume-{Guid.NewGuid():N}");
    string Dir(string name) => Path.Combine(root, name);

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    static readonly InductionOptions Induction = new(Steps: 12, VocabSize: 8, Length: 4, DModel: 16, NHeads: 2, DHead: 8, BatchSize: 4,
        EvalBatch: 8, EvalEvery: 5);

    static readonly ModAddOptions ModAdd = new(MaxSteps: 12, P: 7, TrainFraction: 0.6, DModel: 16, NHeads: 2, DHead: 8, DMlp: 32,
        LearningRate: 1e-2, EvalEvery: 5, TargetAccuracy: 2, Patience: 2);

    static long[] Bits(Interp.Transformers.HookedTransformer model) =>
        model.Parameters().SelectMany(p => p.ToDoubleArray()).Select(BitConverter.DoubleToInt64Bits).ToArray();

    static long[] Bits(IEnumerable<double> values) => values.Select(BitConverter.DoubleToInt64Bits).ToArray();

    /// <summary>A stop request honoured after <paramref name="steps"/> steps, counted by the progress reports.</summary>
    sealed class StopAfter(int steps)
    {
        public readonly List<double> Losses = [];
        public void Report(StepReport r) => Losses.Add(r.Loss);
        public bool Stop() => Losses.Count >= steps;
    }

    [Fact]
    public void InductionStoppedAndResumedMatchesAnUninterruptedRun()
    {
        var whole = new StopAfter(int.MaxValue);
        var reference = ToyModels.TrainInduction(Induction, whole.Report);

        var first = new StopAfter(7);
        var stopped = ToyModels.TrainInduction(Induction, first.Report, stop: first.Stop, checkpoints: new ToyCheckpoints(Dir("ind"), Every: 4));
        Assert.True(stopped.Stopped);
        Assert.Equal(7, stopped.Final.Step);
        Assert.Equal(7, Checkpoint.ReadRecord(Dir("ind")).Step);   // saved where it stopped, not at the last multiple of 4

        var rest = new StopAfter(int.MaxValue);
        var resumed = ToyModels.TrainInduction(Induction, rest.Report, checkpoints: new ToyCheckpoints(Dir("ind"), Every: 4, Resume: true));
        Assert.False(resumed.Stopped);
        Assert.Equal(Bits(whole.Losses), Bits(first.Losses.Concat(rest.Losses)));
        Assert.Equal(Bits(reference.Model), Bits(resumed.Model));
        Assert.Equal(reference.Curve, resumed.Curve);   // evaluations at steps 5, 10, 12 whether or not the run stopped
        Assert.Equal(reference.Final, resumed.Final);
        Assert.Equal(12, Checkpoint.ReadRecord(Dir("ind")).Step);
    }

    [Fact]
    public void ModAddResumedWithMoreStepsMatchesALongerRun()
    {
        var whole = new StopAfter(int.MaxValue);
        var reference = ToyModels.TrainModularAddition(ModAdd, whole.Report);

        var first = new StopAfter(int.MaxValue);
        var shorter = ToyModels.TrainModularAddition(ModAdd with { MaxSteps = 6 }, first.Report, checkpoints: new ToyCheckpoints(Dir("mod"), Every: 4));
        Assert.Equal(6, shorter.Final.Step);
        Assert.Equal(6, Checkpoint.ReadRecord(Dir("mod")).Step);

        var rest = new StopAfter(int.MaxValue);
        var resumed = ToyModels.TrainModularAddition(ModAdd, rest.Report, checkpoints: new ToyCheckpoints(Dir("mod"), Every: 4, Resume: true));
        Assert.Equal(Bits(whole.Losses), Bits(first.Losses.Concat(rest.Losses)));
        Assert.Equal(Bits(reference.Model), Bits(resumed.Model));
        Assert.Equal(reference.Final, resumed.Final);
        // the same evaluations, plus the one that ended the 6-step run
        Assert.Equal([5, 6, 10, 12], resumed.Curve.Select(e => e.Step));
        Assert.Equal(reference.Curve, resumed.Curve.Where(e => e.Step != 6));
    }

    [Fact]
    public void ResumingFromACheckpointOfAnotherRunOrFromNothingIsRefused()
    {
        ToyModels.TrainModularAddition(ModAdd with { MaxSteps = 2 }, checkpoints: new ToyCheckpoints(Dir("a"), Every: 1));
        var other = Assert.Throws<InvalidDataException>(() =>
            ToyModels.TrainModularAddition(ModAdd with { LearningRate = 2e-2 }, checkpoints: new ToyCheckpoints(Dir("a"), Resume: true)));
        Assert.Contains("another run", other.Message);
        Assert.Contains("LearningRate = 0.02", other.Message);
        Assert.Contains(Dir("a"), other.Message);

        var none = Assert.Throws<FileNotFoundException>(() =>
            ToyModels.TrainInduction(Induction, checkpoints: new ToyCheckpoints(Dir("empty"), Resume: true)));
        Assert.Contains(Dir("empty"), none.Message);
    }

    [Fact]
    public void TheInductionVerbCheckpointsAndResumes()
    {
        string dir = Dir("cli");
        // the verb's default model (the CLI has no size options): as few steps as show the wiring
        Assert.Equal(0, InterpCli.Run(["train", "induction", "--steps", "1", "--checkpoint-every", "1", "--out", dir, "--quiet"]).Exit);
        Assert.Equal(1, Checkpoint.ReadRecord(dir).Step);
        Assert.Equal(0, InterpCli.Run(["train", "induction", "--steps", "2", "--resume", dir, "--quiet"]).Exit);
        Assert.Equal(2, Checkpoint.ReadRecord(dir).Step);
        Assert.Single(Directory.GetFiles(dir, "weights-*.safetensors"));   // the older checkpoint's tensors are gone
        using var run = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal(2, run.RootElement.GetProperty("final").GetProperty("Step").GetInt32());
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void AnotherNetworkUnderTheSameOptionsIsRefusedByTensorName()
    {
        // the record says the options match but the tensors are of a wider model: the mismatching tensor is named
        ToyModels.TrainModularAddition(ModAdd with { MaxSteps = 1 }, checkpoints: new ToyCheckpoints(Dir("b"), Every: 1));
        ToyModels.TrainModularAddition(ModAdd with { MaxSteps = 1, DMlp = 48 }, checkpoints: new ToyCheckpoints(Dir("wide"), Every: 1));
        var record = Checkpoint.ReadRecord(Dir("wide"));
        File.Copy(Path.Combine(Dir("wide"), record.TensorFile), Path.Combine(Dir("b"), record.TensorFile));
        string json = File.ReadAllText(Path.Combine(Dir("b"), Checkpoint.RecordFile));
        File.WriteAllText(Path.Combine(Dir("b"), Checkpoint.RecordFile), System.Text.RegularExpressions.Regex.Replace(json,
            "\"tensors\": \"[^\"]*\"", $"\"tensors\": \"{record.TensorFile}\""));
        var e = Assert.Throws<InvalidDataException>(() =>
            ToyModels.TrainModularAddition(ModAdd with { MaxSteps = 2 }, checkpoints: new ToyCheckpoints(Dir("b"), Resume: true)));
        Assert.Contains("does not fit this model", e.Message);
        Assert.Contains("'blocks.0.mlp.", e.Message);
    }
}
