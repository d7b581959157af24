using Interp.Cli;
using Interp.Nn;
using Xunit;

namespace Interp.Tests.Cli;

public class CliArgsTests
{
    static CliArgs Parse(params string[] args) =>
        CliArgs.Parse("interp heads", args, ["--model", "--seed", "--steps", "--lr", "--device"], ["--quiet"]);

    [Fact]
    public void ReadsOptionsFlagsAndPositionals()
    {
        var a = Parse("--model", "runs/ind", "--seed=7", "--quiet", "extra", "--lr", "-1e-3");
        Assert.Equal("runs/ind", a.Get("--model"));
        Assert.Equal(7ul, a.GetSeed());
        Assert.True(a.Has("--quiet"));
        Assert.Equal(["extra"], a.Positionals);
        Assert.Equal(-1e-3, a.GetDouble("--lr", 0));
        Assert.Equal(100, a.GetInt("--steps", 100));
        Assert.Equal(Device.Cpu, a.GetDevice());
        Assert.True(Parse("-h").HelpRequested);
    }

    [Theory]
    [InlineData("--bogus|x", "unknown option '--bogus'")]
    [InlineData("--model", "--model needs a value")]
    [InlineData("--model|--quiet", "--model needs a value")]
    [InlineData("--seed|1|--seed|2", "--seed given twice")]
    [InlineData("--seed|-3", "--seed needs a non-negative integer, got '-3'")]
    [InlineData("--steps|ten", "--steps needs an integer, got 'ten'")]
    [InlineData("--steps|0", "--steps must be at least 1, got 0")]
    [InlineData("--lr|nan", "--lr needs a number, got 'nan'")]
    [InlineData("--device|tpu", "--device must be cpu or cuda, got 'tpu'")]
    public void RejectsBadArgumentsWithOneLineNamingThem(string joined, string expected)
    {
        var e = Assert.Throws<CliError>(() =>
        {
            var a = Parse(joined.Split('|'));
            a.GetSeed();
            a.GetInt("--steps", 1, min: 1);
            a.GetDouble("--lr", 0);
            a.GetDevice();
        });
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("interp heads: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ModelFilesNameTheMissingPath()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N"));
        Assert.Contains(missing, Assert.Throws<CliError>(() => ModelFiles.LoadTransformer(missing)).Message);
        Assert.Contains(missing, Assert.Throws<CliError>(() => ModelFiles.LoadCnn(missing)).Message);
        Directory.CreateDirectory(missing);
        try { Assert.Contains("no model.safetensors", Assert.Throws<CliError>(() => ModelFiles.LoadTransformer(missing)).Message); }
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
}
