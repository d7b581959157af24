using System.CommandLine;
using Interp.Cli;
using Interp.IO;
using Interp.Nn;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary>The generated help: every verb is listed and answers --help; the shared vocabulary means the same everywhere.</summary>
[Collection("Console")]
public class HelpTests
{
    static IEnumerable<(string Path, Command Verb)> Verbs(Command command, string path = "")
    {
        foreach (var verb in command.Subcommands)
        {
            string name = (path + " " + verb.Name).Trim();
            if (verb.Subcommands.Count == 0) yield return (name, verb);
            foreach (var inner in Verbs(verb, name)) yield return inner;
        }
    }

    public static TheoryData<string> VerbPaths => [.. Verbs(CommandLine.Root()).Select(v => v.Path)];

    [Fact]
    public void TheTopLevelHelpListsEveryVerbAndEachGroupItsOwn()
    {
        var (exit, output, _) = InterpCli.Run("--help");
        Assert.Equal(0, exit);
        foreach (var verb in new[] { "demo", "train", "tokens", "generate", "patch", "attrib", "heads", "norms", "lens", "sae", "featviz", "unspeakable", "case",
            "neurons", "ablate", "pca", "readout", "features", "transform", "rule" })
            Assert.Contains($"  {verb} ", output);
        var (_, cases, _) = InterpCli.Run("case", "--help");
        foreach (var c in new[] { "norms", "docstring", "eis7-cnn", "eis7-transformer", "code-lm" }) Assert.Contains($"  {c} ", cases);
        var (_, train, _) = InterpCli.Run("train", "--help");
        foreach (var t in new[] { "mlp", "cnn", "induction", "modadd" }) Assert.Contains($"  {t} ", train);
        Assert.Equal(27, VerbPaths.Count);
    }

    [Theory, MemberData(nameof(VerbPaths))]
    public void EveryVerbAnswersHelpWithItsUsageAndOptions(string path)
    {
        var (exit, output, err) = InterpCli.Run([.. path.Split(' '), "--help"]);
        Assert.True(exit == 0, err);
        Assert.Contains($"interp {path}", output);
        Assert.Contains("Options:", output);
        Assert.Equal("", err);
    }

    [Theory, MemberData(nameof(VerbPaths))]
    public void TheSharedOptionsAreSpelledTheSameInEveryVerb(string path)
    {
        var verb = Verbs(CommandLine.Root()).Single(v => v.Path == path).Verb;
        var names = verb.Options.Select(o => o.Name).ToHashSet();
        // no verb spells a shared idea another way
        Assert.DoesNotContain("--output", names);
        Assert.DoesNotContain("--model-dir", names);
        Assert.DoesNotContain("--learning-rate", names);
        Assert.DoesNotContain("--cuda", names);
        Assert.DoesNotContain("-q", names);
        if (names.Contains("--device")) Assert.Equal(Device.Cpu, CommandLine.Root().Parse([.. path.Split(' ')]).GetValue<Device>("--device"));
    }

    [Fact]
    public void PatchAndAttribTakeTheModelAsAnOptionOrAsTheOlderPositional()
    {
        Assert.Contains("name the model once", InterpCli.Refusal("patch", "a", "--model", "b"));
        Assert.Contains("no model at 'x'", InterpCli.Refusal("attrib", "--model", "x"));
        Assert.Contains("no model at 'y'", InterpCli.Refusal("attrib", "y"));
    }

    [Fact]
    public void DevicesAreParsedOrRefusedInOneLine()
    {
        Assert.Equal(Device.Cpu, Vocabulary.ParseDevice("cpu"));
        Assert.Contains("--device must be cpu or cuda, got 'tpu'", Assert.Throws<CliError>(() => Vocabulary.ParseDevice("tpu")).Message);
        Assert.Contains("bad CUDA index", Assert.Throws<CliError>(() => Vocabulary.ParseDevice("cuda:x")).Message);
    }

    [Fact]
    public void ModelFilesNameTheMissingPath()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N"));
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => ModelFiles.LoadTransformer(missing)).Message);
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => ModelFiles.LoadCnn(missing)).Message);
        Directory.CreateDirectory(missing);
        try { Assert.Contains("no model.safetensors", Assert.Throws<FileNotFoundException>(() => ModelFiles.LoadTransformer(missing)).Message); }
        finally { Directory.Delete(missing); }
    }

    [Fact]
    public void TheEis7CnnLayoutIsInferredFromItsTensorShapes()
    {
        var state = new Interp.Models.Cnn(Interp.Models.CnnConfig.Eis7, new Generator(0)).StateDict();
        Assert.Equal(Interp.Models.CnnConfig.Eis7, ModelFiles.InferCnnConfig(state, "x.pt"));
        var pytorchMnist = new Interp.Models.Cnn(new Interp.Models.CnnConfig(), new Generator(0)).StateDict();
        Assert.Equal(new Interp.Models.CnnConfig(), ModelFiles.InferCnnConfig(pytorchMnist, "y.pt"));
    }

    [Theory]
    [InlineData(new[] { 16, 1, 5, 5 })]   // conv1's kernel 5 against conv2's 3
    [InlineData(new[] { 8, 1, 3, 3 })]    // 8 channels out of conv1, conv2 takes 16
    [InlineData(new[] { 16, 1, 3, 2 })]   // not square
    public void ACnnWhoseConv1DoesNotFitConv2IsRefusedNamingBoth(int[] conv1)
    {
        var state = new Interp.Models.Cnn(new Interp.Models.CnnConfig(Conv1Channels: 16, Conv2Channels: 32), new Generator(0)).StateDict();
        state["conv1.weight"] = Tensor.Zeros(conv1);
        var e = Assert.Throws<InvalidDataException>(() => ModelFiles.InferCnnConfig(state, "z.pt"));
        Assert.Contains($"conv1.weight [{string.Join(", ", conv1)}] and conv2.weight [32, 16, 3, 3] do not fit together", e.Message);
    }
}
