using Interp.Cli;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// Every verb that optimises something, driven to NaN/Inf by a huge learning rate: exit 4, one line on stderr naming
/// the step, no stack trace, and no result file (a train verb may leave its checkpoints; nothing else). With
/// --detect-anomaly the line names the op that first made the NaN/Inf.
/// </summary>
[Collection("Console")]
public class DivergenceTests
{
    // {out}: a fresh folder; {model}: the small trained induction model; {eis7}: the EIS VII CNN
    public static TheoryData<string> Verbs =>
    [
        "train induction --steps 4 --lr 1e30 --out {out} --quiet",
        "train modadd --steps 4 --lr 1e30 --out {out} --quiet",
        "train mlp --epochs 1 --lr 1e30 --quiet",
        "train cnn --epochs 1 --lr 1e30 --out {out} --quiet",
        "sae --model {model} --steps 4 --batch 64 --lr 1e300 --out {out} --quiet",
        "featviz --model {eis7} --layer logits --steps 4 --lr 1e300 --data none --out {out} --quiet",
        "unspeakable --model {model} --steps 4 --lr 1e300 --out {out}/tokens.tsv --quiet",
        "case docstring --steps 4 --lr 1e30 --out {out} --quiet",
        "case eis7-transformer --steps 12 --lr 1e30 --max-pairs 64 --out {out} --quiet",
    ];

    [Theory, MemberData(nameof(Verbs))]
    public void ANonFiniteLossOrParameterStopsTheRunNamingTheStep(string verb)
    {
        using var dir = new TempDir();
        string outDir = dir.File("out");
        var line = InterpCli.Fails(Args(verb, outDir), ExitStatus.Diverged, " at step ");
        Assert.Matches(@"NaN|Inf", line);
        var written = Directory.Exists(outDir)
            ? Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Where(f => !IsCheckpoint(f!)).ToArray()
            : [];
        Assert.True(written.Length == 0, $"interp {verb} stopped but left {string.Join(", ", written)}");
    }

    public static TheoryData<string> AnomalyVerbs =>
    [
        "train induction --steps 4 --lr 1e30 --out {out} --quiet --detect-anomaly",
        "sae --model {model} --steps 4 --batch 64 --lr 1e300 --out {out} --quiet --detect-anomaly",
        "case eis7-transformer --steps 12 --lr 1e30 --max-pairs 64 --out {out} --quiet --detect-anomaly",
    ];

    [Theory, MemberData(nameof(AnomalyVerbs))]
    public void WithDetectAnomalyTheLineNamesTheOp(string verb)
    {
        using var dir = new TempDir();
        var line = InterpCli.Fails(Args(verb, dir.File("out")), ExitStatus.Diverged, " at step ", "anomaly: ", " produced ");
        Assert.Matches(@"produced (NaN|Inf) in its output of shape \[", line);
    }

    static string[] Args(string verb, string outDir) => verb.Replace("{out}", outDir).Replace("{model}", TrainedModels.InductionDir)
        .Replace("{eis7}", Path.Combine(Interp.Data.DataPaths.SharedData() ?? "", "eis7", "mnist_model.pt")).Split(' ');

    static bool IsCheckpoint(string file) => file == Interp.Training.Checkpoint.RecordFile || file.StartsWith("weights-", StringComparison.Ordinal);
}
