using Interp.Nn;
using Interp.Analysis.Plot;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis;

/// <summary>interp heads|norms|lens|case norms on the tiny GPT-2 fixture (2 layers, 4 heads, n_ctx 32).</summary>
[Collection("Console")]
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

    static (int Exit, string Stdout) Run(string[] verb, params string[] args)
    {
        var (exit, stdout, _) = InterpCli.Run([.. verb, .. args]);
        return (exit, stdout);
    }

    [Fact]
    public void EachVerbWritesTheFilesItNames()
    {
        var verbs = new (string[] Verb, string Name, string[] Files)[]
        {
            (["heads"], "heads", ["heads.csv", "head_scores.svg", "attention.html"]),
            (["norms"], "norms", ["norms.svg", "norms.csv", "norms_heads.csv"]),
            (["lens"], "lens", ["lens_logprob.svg", "lens_dla.svg", "lens.csv"]),
            (["case", "norms"], "case", ["norms.svg", "norms.csv", "norms_heads.csv", "index.html"]),
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
                if (f.EndsWith(".svg")) System.Xml.Linq.XElement.Load(path);   // well-formed
                if (f.EndsWith(".png")) Assert.True(Png.Decode(File.ReadAllBytes(path)).Width > 0);
                if (f != "index.html") Assert.Contains(path, stdout);
            }
        }
        Assert.Contains("<select class=\"layer\">", File.ReadAllText(Path.Combine(dir, "heads", "attention.html")));
        string dla = File.ReadAllText(Path.Combine(dir, "lens", "lens_dla.svg"));
        Assert.Contains(">component</text>", dla);
        Assert.Contains(">position</text>", dla);
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
        var (exit, stdout) = Run(["case", "norms"], "--model", model, "--model", model, "--out", outDir, "--batch", "2", "--length", "4");
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
        var (exit, stdout) = Run(["case", "norms"], "--model", folder, "--model", model, "--out", Path.Combine(dir, "mixed"), "--batch", "2");
        Assert.Equal(0, exit);
        Assert.Contains("too short to repeat", stdout);
        // header, layers 0..1 of the 1-layer toy, layers 0..2 of the 2-layer GPT-2
        Assert.Equal(1 + 2 + 3, File.ReadAllLines(Path.Combine(dir, "mixed", "norms.csv")).Length);
        Assert.Contains("too short", InterpCli.Refusal(["heads", "--model", folder, "--out", Path.Combine(dir, "h")]));
    }

    [Fact]
    public void APromptIsTokenizedWithGpt2sTokenizerForAModelWithItsVocabulary()
    {
        var withGpt2Vocabulary = new HookedTransformer(new TransformerConfig
        {
            NLayers = 1, DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, DVocab = 50257, NCtx = 16, Seed = 1, ActFn = "relu",
        });
        string folder = Path.Combine(dir, "gpt2-vocabulary");
        withGpt2Vocabulary.Save(folder);
        var (exit, stdout) = Run(["lens"], "--model", folder, "--prompt", "Hello world", "--out", Path.Combine(dir, "prompt"));
        Assert.Equal(0, exit);
        Assert.Contains("the prompt's 3 tokens: '<|endoftext|>' 'Hello' ' world'", stdout);
        Assert.Contains("the prompt's 2 tokens: 'Hello' ' world'", Run(["norms"], "--model", folder, "--prompt", "Hello world", "--bos", "none", "--out", Path.Combine(dir, "p2")).Stdout);
        Assert.Contains("--prompt needs a model with GPT-2's vocabulary", InterpCli.Refusal(["lens", "--model", model, "--prompt", "Hello", "--out", Path.Combine(dir, "p3")]));
        Assert.Contains("give one of them", InterpCli.Refusal(["heads", "--model", folder, "--prompt", "Hello", "--tokens", "1,2", "--out", Path.Combine(dir, "p4")]));
        Assert.Contains("--prompt makes 17 tokens", InterpCli.Refusal(["lens", "--model", folder, "--prompt", string.Concat(Enumerable.Repeat(" a", 16)), "--out", Path.Combine(dir, "p5")]));
    }

    [Theory]
    [InlineData("--length", "40")]      // 2 × 40 + 1 > n_ctx 32
    [InlineData("--bos", "1000")]
    [InlineData("--tokens", "1,2,x")]
    [InlineData("--top", "0")]
    public void BadArgumentsAreCliErrors(string option, string value)
    {
        var e = InterpCli.Refusal(["heads", "--model", model, "--out", Path.Combine(dir, "bad"), option, value]);
        Assert.Contains(option, e);
        Assert.Contains("--model", InterpCli.Refusal(["norms"]));
        Assert.Contains("--model", InterpCli.Refusal(["case", "norms", "--out", dir]));
    }
}
