using Interp.Cli;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// Output that cannot be written. An --out folder that cannot be created (its parent is a regular file: that blocks
/// root too, where chmod would not) is refused by every verb with --out before any work: exit 2, one line naming the
/// folder. The model named does not exist, so a verb that loaded it before checking --out would name the model
/// instead. A full disk (/dev/full) is the machine's failure: exit 1, one line naming the file.
/// </summary>
[Collection("Console")]
public class OutputFolderTests
{
    // {out} is an --out folder below a regular file; {model} a model that is not there; {eis7} the EIS VII CNN
    public static TheoryData<string> Verbs =>
    [
        "train induction --steps 2 --out {out} --quiet",
        "train modadd --steps 2 --out {out} --quiet",
        "train cnn --epochs 1 --out {out} --quiet",
        "sae --model {model} --out {out} --quiet",
        "featviz --model {model} --out {out} --quiet",
        "unspeakable --model {model} --out {out}/tokens.tsv --quiet",
        "heads --model {model} --out {out}",
        "norms --model {model} --out {out}",
        "lens --model {model} --out {out}",
        "case norms --model {model} --out {out}",
        "patch --model {model} --out {out} --quiet",
        "attrib --model {model} --out {out} --quiet",
        "demo --steps 2 --out {out} --quiet",
        "case docstring --model {model} --out {out} --quiet",
        "case eis7-cnn --model {eis7} --out {out}",
        "case eis7-transformer --steps 2 --out {out} --quiet",
        "neurons --model {model} --out {out}",
        "pca --model {model} --out {out}",
        "readout --model {model} --out {out}",
        "features --model {model} --out {out}",
        "transform --model {model} --out {out}",
    ];

    [Theory, MemberData(nameof(Verbs))]
    public void AnOutFolderThatCannotBeWrittenIsRefusedBeforeAnyWork(string verb)
    {
        using var dir = new TempDir();
        string blocker = dir.File("a-file");
        File.WriteAllText(blocker, "not a folder");
        string outDir = Path.Combine(blocker, "out");
        string eis7 = Path.Combine(Interp.Data.DataPaths.SharedData() ?? "", "eis7", "mnist_model.pt");
        var args = verb.Replace("{out}", outDir).Replace("{model}", dir.File("no-model")).Replace("{eis7}", eis7).Split(' ');
        InterpCli.Fails(args, ExitStatus.BadInput, "cannot write to the --out folder", blocker);
    }

    [Fact]
    public void AFullDiskIsTheMachinesFailureNamedInOneLine()
    {
        Assert.True(File.Exists("/dev/full"), "this test needs /dev/full");
        InterpCli.Fails(["unspeakable", "--model", TrainedModels.InductionDir, "--steps", "1", "--out", "/dev/full", "--quiet"], ExitStatus.Failure,
            "No space left on device");
    }

    public static TheoryData<string, int> Failures => new()
    {
        { "disk full", ExitStatus.Failure },
        { "i/o error", ExitStatus.Failure },
        { "out of memory", ExitStatus.Failure },
        { "file not found", ExitStatus.BadInput },
        { "end of stream", ExitStatus.BadInput },
        { "no access", ExitStatus.BadInput },
        { "diverged", ExitStatus.Diverged },
        { "overflow", ExitStatus.Failure },
    };

    [Theory, MemberData(nameof(Failures))]
    public void AnErrorIsTheUsersOrTheMachinesByItsKind(string kind, int expected)
    {
        Exception e = kind switch
        {
            "disk full" => new IOException("No space left on device : '/data/out/heads.csv'", 28),
            "i/o error" => new IOException("Input/output error"),
            "out of memory" => new OutOfMemoryException(),
            "file not found" => new FileNotFoundException("no such file"),
            "end of stream" => new EndOfStreamException("ends early"),
            "no access" => new UnauthorizedAccessException("denied"),
            "diverged" => new Interp.Autograd.NonFiniteException("the loss is NaN at step 3"),
            _ => new OverflowException(),   // an unchecked size is a bug of the program, not bad input
        };
        var (status, line) = ExitStatus.Of(new AggregateException(e));
        Assert.Equal(expected, status);
        Assert.DoesNotContain('\n', line);
    }
}
