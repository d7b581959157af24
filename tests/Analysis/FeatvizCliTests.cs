using System.Text.Json;
using Interp.Data;
using Interp.Nn;
using Interp.Analysis.Plot;
using Interp.Tests.Analysis.FeatureViz;
using Interp.Tests.Analysis.Tokens;
using Xunit;

namespace Interp.Tests.Analysis;

/// <summary>The featviz and unspeakable verbs end to end on small runs, and their argument errors (console captured).</summary>
[Collection("Console")]
public class FeatvizCliTests
{
    static int Featviz(string[] args) => InterpCli.Run(["featviz", .. args]).Exit;
    static int Unspeakable(string[] args) => InterpCli.Run(["unspeakable", .. args]).Exit;

    static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "interp-analysis-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    static string EisPath()
    {
        FeatureVizTests.Eis7();   // asserts the file is there, with the path in the message
        return Path.Combine(DataPaths.SharedData()!, "eis7", "mnist_model.pt");
    }

    [Fact]
    public void FeatvizWritesTheGridOfVisualizationsNextToTopExamplesAndAReport()
    {
        var dir = TempDir();
        try
        {
            var (exit, stdout, _) = ConsoleCapture.Run(() => CommandLine.Execute(["featviz", "--model", EisPath(), "--layer", "logits", "--steps", "3", "--top", "2", "--data", "mnist", "--out", dir, "--quiet"]));
            Assert.Equal(0, exit);
            Assert.Contains(Path.Combine(dir, "featviz_logits.png"), stdout);
            // the top examples' digit classes, not the model's (binary) labels: said so
            Assert.Matches(@"logits   1: visualization .* dataset classes of top 2: \d \d", stdout);
            var png = Png.Decode(File.ReadAllBytes(Path.Combine(dir, "featviz_logits.png")));
            // left: 1 column of 28·3 px images with 2 px padding; 10 px gap; right: 2 columns; 2 rows (the 2 logits)
            Assert.Equal((2 + 84 + 2) + 10 + (2 + 2 * 86), png.Width);
            Assert.Equal(2 + 2 * 86, png.Height);
            var html = File.ReadAllText(Path.Combine(dir, "index.html"));
            Assert.Contains("featviz_logits.png", html);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("--layer", "conv9", "conv9")]
    [InlineData("--param", "wavelet", "wavelet")]
    [InlineData("--transforms", "some", "some")]
    [InlineData("--data", "cifar", "cifar")]
    [InlineData("--steps", "many", "--steps")]
    public void FeatvizNamesTheBadArgument(string option, string value, string expected)
    {
        var e = InterpCli.Refusal(["featviz", "--model", EisPath(), option, value, "--quiet"]);
        Assert.Contains(expected, e);
        Assert.Contains("--model", InterpCli.Refusal(["featviz", "--steps", "3"]));
        Assert.Contains("no-such-model", InterpCli.Refusal(["featviz", "--model", "no-such-model.pt"]));
    }

    static string SavedHullModel(string dir)
    {
        var model = UnspeakableTokensTests.HullModel("LN");
        model.SaveSafeTensors(Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(model.Config));
        return dir;
    }

    [Fact]
    public void UnspeakableWritesOneLinePerTokenAndFindsTheHullToken()
    {
        var dir = TempDir();
        try
        {
            string tsv = Path.Combine(dir, "out", "tokens.tsv");
            Assert.Equal(0, Unspeakable(["--model", SavedHullModel(dir), "--steps", "150", "--out", tsv, "--quiet"]));
            var lines = File.ReadAllLines(tsv);
            Assert.Equal("token\targmax\tprobability\tmargin", lines[0]);
            Assert.Equal(["1", "1", "1", "1", "1", "0"], lines.Skip(1).Select(l => l.Split('\t')[1]));
            Assert.Equal(0, Unspeakable(["--model", dir, "--via", "embed", "--prompt", "1,2", "--tokens", "4-5", "--steps", "250", "--out", tsv, "--quiet"]));
            Assert.Equal(["4\t1", "5\t0"], File.ReadAllLines(tsv).Skip(1).Select(l => string.Join('\t', l.Split('\t')[..2])));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void UnspeakableNamesTheBadArgument()
    {
        var dir = TempDir();
        try
        {
            SavedHullModel(dir);
            Assert.Contains("sideways", InterpCli.Refusal(["unspeakable", "--model", dir, "--via", "sideways"]));
            Assert.Contains("3-99", InterpCli.Refusal(["unspeakable", "--model", dir, "--tokens", "3-99"]));
            Assert.Contains("--prompt", InterpCli.Refusal(["unspeakable", "--model", dir, "--prompt", "1"]));
            Assert.Contains("x,y", InterpCli.Refusal(["unspeakable", "--model", dir, "--via", "embed", "--prompt", "x,y"]));
            Assert.Contains("n_ctx", InterpCli.Refusal(["unspeakable", "--model", dir, "--via", "embed", "--prompt", "1,2,3,4", "--quiet"]));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
