using System.Text.Json;
using System.Text.RegularExpressions;
using Interp.Data;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary><c>interp case code-lm</c> end to end at a tiny size, on the repository's own Python files as the corpus.</summary>
[Collection("Console")]
public sealed class CodeLmCaseTests : IDisposable
{
    readonly TempDir dir = new();
    static string Corpus => FixtureFiles.PathOf("");

    public void Dispose() => dir.Dispose();

    static readonly string[] Tiny = ["case", "code-lm", "--corpus", Corpus, "--vocab", "400", "--context", "64", "--d-model", "32", "--batch", "8",
        "--eval-every", "40", "--checkpoint-every", "40", "--quiet"];

    [Fact]
    public void TheWholePipelineWritesModelsReportAndSaeAndResumes()
    {
        string out1 = dir.File("run");
        var (exit, stdout, stderr) = InterpCli.Run([.. Tiny, "--steps", "120", "--sae-steps", "40", "--out", out1]);
        Assert.True(exit == 0, stderr);
        var corpus = CodeCorpus.FromFolder(Corpus);
        Assert.Contains($"sha256 {corpus.Sha256}", stdout);
        foreach (var model in new[] { "attn-only-2l", "attn-only-4l", "1l-mlp" })
        {
            var line = Regex.Match(stdout, $@"{model}: 120 steps, (\d+) tokens seen, held-out loss ([0-9.]+), ICL score (-?[0-9.]+)");
            Assert.True(line.Success, stdout);
            Assert.Equal(120 * 8 * 64, long.Parse(line.Groups[1].Value));
            Assert.True(double.Parse(line.Groups[2].Value) < Math.Log(400), line.Value);   // better than uniform over the vocabulary
            string modelDir = Path.Combine(out1, "models", model);
            Assert.True(File.Exists(Path.Combine(modelDir, "model.safetensors")));
            Assert.True(File.Exists(Path.Combine(modelDir, "checkpoint", "checkpoint.json")));
            var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(modelDir, "corpus.json"))).RootElement;
            Assert.Equal(corpus.Sha256, saved.GetProperty("sha256").GetString());
            var training = JsonDocument.Parse(File.ReadAllText(Path.Combine(modelDir, "training.json"))).RootElement;
            Assert.Equal([40, 80, 120], training.GetProperty("curve").EnumerateArray().Select(e => e.GetProperty("step").GetInt32()));
        }
        Assert.Matches(@"sae: L0 [0-9.]+, dead [0-9.]+ ?%, CE loss recovered -?[0-9.]+", stdout);
        Assert.True(File.Exists(Path.Combine(out1, "tokenizer", "vocab.json")));
        Assert.True(File.Exists(Path.Combine(out1, "sae", "index.html")));
        string html = File.ReadAllText(Path.Combine(out1, "index.html"));
        foreach (var section in new[] { "1. Training", "2. Loss by position", "3. Attention heads", "4. Copying an identifier", "5. Logit lens", "6. A sparse autoencoder" })
            Assert.Contains(section, html);

        // resume one model for 40 more steps: the tokenizer is reused and the curve goes on
        (exit, stdout, stderr) = InterpCli.Run([.. Tiny, "--steps", "160", "--models", "attn-only-2l", "--resume", "--sae-steps", "0", "--out", out1]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("attn-only-2l: 160 steps", stdout);
        var resumed = JsonDocument.Parse(File.ReadAllText(Path.Combine(out1, "models", "attn-only-2l", "training.json"))).RootElement;
        Assert.Equal([40, 80, 120, 160], resumed.GetProperty("curve").EnumerateArray().Select(e => e.GetProperty("step").GetInt32()));
    }

    [Fact]
    public void BadInputIsRefusedByName()
    {
        InterpCli.Fails(["case", "code-lm", "--python", "/no/such/python3", "--out", dir.File("a"), "--quiet"], 2, "/no/such/python3");
        InterpCli.Fails([.. Tiny, "--models", "attn-only-3l", "--out", dir.File("b")], 2, "unknown model 'attn-only-3l'");
        InterpCli.Fails(["case", "code-lm", "--corpus", Corpus, "--d-model", "30", "--out", dir.File("c"), "--quiet"], 2, "--d-model must be a multiple of 4");
    }
}
