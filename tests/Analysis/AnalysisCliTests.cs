using Interp.Cli;
using Interp.Nn;
using Interp.Plots;
using Interp.Transformers;
using System.Text.Json;
using Interp.Data;
using Xunit;

namespace Interp.Tests.Analysis;

/// <summary>interp heads|norms|lens|case norms on the tiny GPT-2 fixture (2 layers, 4 heads, n_ctx 32).</summary>
public class AnalysisCliTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("interp-analysis-cli-").FullName;
    readonly string model;

    public AnalysisCliTests()
    {
        model = Path.Combine(dir, "gpt2", "model.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(model)!);
        File.Copy(FixtureFiles.PathOf("tiny_gpt2.safetensors"), model);
        File.WriteAllText(Path.Combine(dir, "gpt2", "config.json"), """{"n_head": 4}""");
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static (int Exit, string Stdout) Run(Func<string[], int> verb, params string[] args)
    {
        var saved = Console.Out;
        var sw = new StringWriter();
        Console.SetOut(sw);
        try { return (verb(args), sw.ToString()); }
        finally { Console.SetOut(saved); }
    }

    [Fact]
    public void EachVerbWritesTheFilesItNames()
    {
        var verbs = new (Func<string[], int> Verb, string Name, string[] Files)[]
        {
            (HeadsCommand.Run, "heads", ["heads.csv", "head_scores.png", "patterns.png"]),
            (NormsCommand.Run, "norms", ["norms.svg", "norms.csv", "norms_heads.csv"]),
            (LensCommand.Run, "lens", ["lens_logprob.png", "lens_dla.png", "lens.csv"]),
            (CaseNormsCommand.Run, "case", ["norms.svg", "norms.csv", "norms_heads.csv", "index.html"]),
        };
        foreach (var (verb, name, files) in verbs)
        {
            string outDir = Path.Combine(dir, name);
            var (exit, stdout) = Run(verb, "--model", model, "--out", outDir, "--batch", "2", "--length", "6");
            Assert.Equal(0, exit);
            foreach (var f in files)
            {
                string path = Path.Combine(outDir, f);
                Assert.True(File.Exists(path), $"{name}: {f} missing");
                if (f.EndsWith(".png")) Assert.True(Png.Decode(File.ReadAllBytes(path)).Width > 0);
                if (f != "index.html") Assert.Contains(path, stdout);
            }
        }
        var heads = File.ReadAllLines(Path.Combine(dir, "heads", "heads.csv"));
        Assert.Equal(1 + 2 * 4, heads.Length);
        var norms = File.ReadAllLines(Path.Combine(dir, "norms", "norms.csv"));
        Assert.Equal(1 + 3, norms.Length);   // layers 0, 1 and the final residual
        Assert.Contains("Residual stream norms", File.ReadAllText(Path.Combine(dir, "case", "index.html")));
    }

    [Fact]
    public void CaseNormsTakesSeveralModelsIntoOnePlot()
    {
        string outDir = Path.Combine(dir, "two");
        var (exit, stdout) = Run(CaseNormsCommand.Run, "--model", model, "--model", model, "--out", outDir, "--batch", "2", "--length", "4");
        Assert.Equal(0, exit);
        Assert.Equal(1 + 2 * 3, File.ReadAllLines(Path.Combine(outDir, "norms.csv")).Length);
        Assert.Equal(2, stdout.Split('\n').Count(l => l.Contains("fit ")));
    }

    [Fact]
    public void AModelTooShortToRepeatGetsPlainRandomSequences()
    {
        // the modular-addition toy: n_ctx 3, no LayerNorm, no per-head hook_result
        var toy = new HookedTransformer(new Interp.Training.ModAddOptions(P: 7, DModel: 16, NHeads: 2, DHead: 8, DMlp: 32).ModelConfig);
        string folder = Path.Combine(dir, "modadd");
        Directory.CreateDirectory(folder);
        toy.SaveSafeTensors(Path.Combine(folder, "model.safetensors"));
        File.WriteAllText(Path.Combine(folder, "config.json"), System.Text.Json.JsonSerializer.Serialize(toy.Config));
        var (exit, stdout) = Run(CaseNormsCommand.Run, "--model", folder, "--model", model, "--out", Path.Combine(dir, "mixed"), "--batch", "2");
        Assert.Equal(0, exit);
        Assert.Contains("too short to repeat", stdout);
        // header, layers 0..1 of the 1-layer toy, layers 0..2 of the 2-layer GPT-2
        Assert.Equal(1 + 2 + 3, File.ReadAllLines(Path.Combine(dir, "mixed", "norms.csv")).Length);
        Assert.Contains("too short", Assert.Throws<CliError>(() => HeadsCommand.Run(["--model", folder, "--out", Path.Combine(dir, "h")])).Message);
    }

    [Theory]
    [InlineData("--length", "40")]      // 2 × 40 + 1 > n_ctx 32
    [InlineData("--bos", "1000")]
    [InlineData("--tokens", "1,2,x")]
    [InlineData("--top", "0")]
    public void BadArgumentsAreCliErrors(string option, string value)
    {
        var e = Assert.Throws<CliError>(() => HeadsCommand.Run(["--model", model, "--out", Path.Combine(dir, "bad"), option, value]));
        Assert.Contains(option, e.Message);
        Assert.Contains("--model", Assert.Throws<CliError>(() => NormsCommand.Run([])).Message);
        Assert.Contains("--model", Assert.Throws<CliError>(() => CaseNormsCommand.Run(["--out", dir])).Message);
/// <summary>The featviz and unspeakable verbs end to end on small runs, and their argument errors (console captured).</summary>
[Collection("Console")]
public class AnalysisCliTests
    static int Featviz(string[] args) => ConsoleCapture.Run(() => FeatvizCommand.Run(args)).Exit;
    static int Unspeakable(string[] args) => ConsoleCapture.Run(() => UnspeakableCommand.Run(args)).Exit;

    static string TempDir()
        var dir = Path.Combine(Path.GetTempPath(), "interp-analysis-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;

    static string EisPath()
        FeatureVizTests.Eis7();   // asserts the file is there, with the path in the message
        return Path.Combine(DataPaths.SharedData()!, "eis7", "mnist_model.pt");

    public void FeatvizWritesTheGridOfVisualizationsNextToTopExamplesAndAReport()
        var dir = TempDir();
        try
            var (exit, stdout, _) = ConsoleCapture.Run(() => FeatvizCommand.Run(["--model", EisPath(), "--layer", "logits", "--steps", "3", "--top", "2", "--data", "mnist", "--out", dir, "--quiet"]));
            Assert.Contains(Path.Combine(dir, "featviz_logits.png"), stdout);
            var png = Png.Decode(File.ReadAllBytes(Path.Combine(dir, "featviz_logits.png")));
            // left: 1 column of 28·3 px images with 2 px padding; 10 px gap; right: 2 columns; 2 rows (the 2 logits)
            Assert.Equal((2 + 84 + 2) + 10 + (2 + 2 * 86), png.Width);
            Assert.Equal(2 + 2 * 86, png.Height);
            var html = File.ReadAllText(Path.Combine(dir, "index.html"));
            Assert.Contains("featviz_logits.png", html);
        finally { Directory.Delete(dir, recursive: true); }

    [InlineData("--layer", "conv9", "conv9")]
    [InlineData("--param", "wavelet", "wavelet")]
    [InlineData("--transforms", "some", "some")]
    [InlineData("--data", "cifar", "cifar")]
    [InlineData("--steps", "many", "--steps")]
    public void FeatvizNamesTheBadArgument(string option, string value, string expected)
        var e = Assert.Throws<CliError>(() => Featviz(["--model", EisPath(), option, value, "--quiet"]));
        Assert.Contains(expected, e.Message);
        Assert.Contains("--model", Assert.Throws<CliError>(() => Featviz(["--steps", "3"])).Message);
        Assert.Contains("no-such-model", Assert.Throws<CliError>(() => Featviz(["--model", "no-such-model.pt"])).Message);

    static string SavedHullModel(string dir)
        var model = UnspeakableTokensTests.HullModel("LN");
        model.SaveSafeTensors(Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(model.Config));
        return dir;

    public void UnspeakableWritesOneLinePerTokenAndFindsTheHullToken()
        var dir = TempDir();
        try
            string tsv = Path.Combine(dir, "out", "tokens.tsv");
            Assert.Equal(0, Unspeakable(["--model", SavedHullModel(dir), "--steps", "150", "--out", tsv, "--quiet"]));
            var lines = File.ReadAllLines(tsv);
            Assert.Equal("token\targmax\tprobability\tmargin", lines[0]);
            Assert.Equal(["1", "1", "1", "1", "1", "0"], lines.Skip(1).Select(l => l.Split('\t')[1]));
            Assert.Equal(0, Unspeakable(["--model", dir, "--via", "embed", "--prompt", "1,2", "--tokens", "4-5", "--steps", "250", "--out", tsv, "--quiet"]));
            Assert.Equal(["4\t1", "5\t0"], File.ReadAllLines(tsv).Skip(1).Select(l => string.Join('\t', l.Split('\t')[..2])));
        finally { Directory.Delete(dir, recursive: true); }

    public void UnspeakableNamesTheBadArgument()
        var dir = TempDir();
        try
            SavedHullModel(dir);
            Assert.Contains("sideways", Assert.Throws<CliError>(() => Unspeakable(["--model", dir, "--via", "sideways"])).Message);
            Assert.Contains("3-99", Assert.Throws<CliError>(() => Unspeakable(["--model", dir, "--tokens", "3-99"])).Message);
            Assert.Contains("--prompt", Assert.Throws<CliError>(() => Unspeakable(["--model", dir, "--prompt", "1"])).Message);
            Assert.Contains("x,y", Assert.Throws<CliError>(() => Unspeakable(["--model", dir, "--via", "embed", "--prompt", "x,y"])).Message);
            Assert.Contains("n_ctx", Assert.Throws<CliError>(() => Unspeakable(["--model", dir, "--via", "embed", "--prompt", "1,2,3,4", "--quiet"])).Message);
        finally { Directory.Delete(dir, recursive: true); }
    }
}
