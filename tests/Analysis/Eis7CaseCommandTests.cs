using Interp.Analysis.Cases;
using Interp.Analysis.Plot;
using Xunit;

namespace Interp.Tests.Analysis;

/// <summary>`interp case eis7-cnn|eis7-transformer` at small size: the report folders they write.</summary>
[Collection("Console")]
public class Eis7CaseCommandTests
{
    static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "interp-eis7-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"{path} missing");
        var img = Png.Decode(File.ReadAllBytes(path));
        Assert.True(img.Width > 10 && img.Height > 10);
    }

    [Fact]
    public void CnnCaseWritesItsReport()
    {
        var dir = TempDir();
        try
        {
            Assert.Equal(0, CommandLine.Execute(["case", "eis7-cnn", "--stride", "50", "--examples", "3", "--out", dir]));
            var html = File.ReadAllText(Path.Combine(dir, "index.html"));
            Assert.Contains("Fraction of each digit class labelled 1", html);
            Assert.Contains("always 1", html);
            Assert.Contains("Feature visualizations", html);
            foreach (var f in new[] { "relu1_top.png", "relu2_confusing.png", "logits_top.png", "saliency_label1_top.png" }) AssertPng(Path.Combine(dir, f));
            Assert.Contains("relu1_top.png", html);
            foreach (var s in new[] { "fc1: the 200 hidden units", "Census of hook_relu3", "Direct attribution to logit 1 − logit 0", "Co-activation groups",
                "PCA of hook_relu3", "Pixel readout of logit 1 − logit 0", "Image features against model label 1", "drawn over its digit" })
                Assert.Contains(s, html);
            foreach (var f in new[] { "fc1_readout_logits.png", "relu3_groups_top.png" }) AssertPng(Path.Combine(dir, f));
            Assert.Equal(28, File.ReadAllLines(Path.Combine(dir, "fc1_readout_logits_weights.txt")).Length);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void CnnReportCallsTheFeatureVisualizerForEveryUnit()
    {
        var dir = TempDir();
        try
        {
            var cnn = Eis7Cnn.Load(digits: Eis7Cnn.EveryNth(Interp.Data.Mnist.Load10k(), 100));
            var seen = new List<(string, int)>();
            Eis7CnnReport.Build(cnn, dir, examples: 2, featureVisualizer: (_, hook, unit) => { seen.Add((hook, unit)); return Tensor.Rand([1, 28, 28]); });
            Assert.Equal(8 + 16 + 2, seen.Count);
            Assert.Contains(("hook_relu2", 15), seen);
            AssertPng(Path.Combine(dir, "featviz_hook_logits.png"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TransformerCaseReportsOnASavedRun()
    {
        var dir = TempDir();
        try
        {
            var labels = Eis7Labels.Load(Eis7Labels.DefaultPath!);
            var run = Eis7Transformer.Train(labels, new Eis7TransformerOptions(Steps: 10, DModel: 16, NHeads: 2, DHead: 8, DMlp: 32, EvalEvery: 5, MaxPairs: 200));
            string saved = Path.Combine(dir, "run");
            Eis7TransformerRunFiles.Save(run, saved);
            var loaded = Eis7TransformerRunFiles.Load(saved, labels.Size);
            Assert.Equal(run.TrainPairs, loaded.TrainPairs);
            Assert.Equal(run.Curve, loaded.Curve);
            Assert.Equal(Eis7Transformer.PredictGrid(run.Model), Eis7Transformer.PredictGrid(loaded.Model));

            string report = Path.Combine(dir, "report");
            Assert.Equal(0, CommandLine.Execute(["case", "eis7-transformer", "--model", saved, "--out", report, "--quiet"]));
            var html = File.ReadAllText(Path.Combine(report, "index.html"));
            foreach (var s in new[] { "test accuracy", "Fourier spectrum", "Attention from =", "Residual stream before the MLP", "Logit contribution" })
                Assert.Contains(s, html);
            foreach (var f in new[] { "label_grids.svg", "attention_head0.svg", "resid_pca_grids.svg", "logit_paths.svg" })
                System.Xml.Linq.XElement.Load(Path.Combine(report, f));   // well-formed SVG
            string grids = File.ReadAllText(Path.Combine(report, "label_grids.svg"));
            Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(grids, "data-cells=").Count);   // two 113 x 113 maps with hover values
            Assert.Contains(">true labels</text>", grids);
            Assert.Contains(">its mistakes</text>", grids);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ARunSavedBeforeTheSplitOptionLoadsWithItsSeededSplit()
    {
        var dir = TempDir();
        try
        {
            var labels = Eis7Labels.Load(Eis7Labels.DefaultPath!);
            var options = new Eis7TransformerOptions(Steps: 2, DModel: 16, NHeads: 2, DHead: 8, DMlp: 32, EvalEvery: 1, MaxPairs: 200, Split: "seeded", Init: "transformer-lens");
            var run = Eis7Transformer.Train(labels, options);
            string saved = Path.Combine(dir, "run");
            Eis7TransformerRunFiles.Save(run, saved);
            // the run.json of an older build: its options do not name the split or the init
            string runJson = Path.Combine(saved, "run.json");
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(runJson))!;
            var saved_options = json.AsObject().First(p => p.Key.Equals("Options", StringComparison.OrdinalIgnoreCase)).Value!.AsObject();
            foreach (var key in saved_options.Select(p => p.Key).Where(k => k is "Split" or "split" or "Init" or "init").ToList()) saved_options.Remove(key);
            File.WriteAllText(runJson, json.ToJsonString());

            var loaded = Eis7TransformerRunFiles.Load(saved, labels.Size);
            Assert.Equal(("seeded", "transformer-lens"), (loaded.Options.Split, loaded.Options.Init));
            Assert.Equal(run.TrainPairs, loaded.TrainPairs);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TransformerCaseTrainsOnTheChallengeSplitAndComparesWithTheChallengeModel()
    {
        var dir = TempDir();
        try
        {
            string report = Path.Combine(dir, "report");
            var (exit, output, error) = InterpCli.Run("case", "eis7-transformer", "--steps", "2", "--max-pairs", "40", "--out", report, "--quiet");
            Assert.True(exit == 0, error);
            // the first 40 pairs of the challenge's order: 20 train, 20 test, and the challenge model's score on those same 20
            var labels = Eis7Labels.Load(Eis7Labels.DefaultPath!);
            var test = Eis7Transformer.ChallengeOrder(labels.Size)[20..40];
            double theirs = Eis7Labels.Agreement(labels.ModelLabels!, labels.Labels, test);
            Assert.Contains("on 20 held-out pairs (train", output);
            Assert.Contains("challenge split", output);
            Assert.Contains($"the challenge's model on the same pairs: test {100 * theirs:F2} %", output);
            var html = File.ReadAllText(Path.Combine(report, "index.html"));
            Assert.Contains("the challenge&#39;s model on the same held-out pairs", html.Replace("&#x27;", "&#39;"));
            var loaded = Eis7TransformerRunFiles.Load(Path.Combine(report, "run"), labels.Size);
            Assert.Equal(("challenge", "grokking"), (loaded.Options.Split, loaded.Options.Init));
            Assert.Equal(test, loaded.TestPairs);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TransformerCaseStopsByTheValidationRuleAndSavesTheKeptCheckpoint()
    {
        var dir = TempDir();
        try
        {
            string report = Path.Combine(dir, "report");
            var (exit, output, error) = InterpCli.Run("case", "eis7-transformer", "--steps", "40", "--max-pairs", "200", "--stop", "validation",
                "--patience", "10", "--eval-every", "5", "--lr", "0.01", "--out", report, "--quiet");
            Assert.True(exit == 0, error);
            var labels = Eis7Labels.Load(Eis7Labels.DefaultPath!);
            var loaded = Eis7TransformerRunFiles.Load(Path.Combine(report, "run"), labels.Size);
            Assert.Equal(("validation", 10, 5), (loaded.Options.Stop, loaded.Options.Patience, loaded.Options.EvalEvery));
            Assert.Equal((90, 10, 100), (loaded.TrainPairs.Length, loaded.ValidationPairs!.Length, loaded.TestPairs.Length));
            Assert.Equal(loaded.Curve.Min(e => e.ValidationLoss), loaded.Final.ValidationLoss);
            Assert.Contains($"stop rule validation: trained {loaded.StepsRun} steps, kept step {loaded.Final.Step} (validation loss", output);
            Assert.Contains($"test accuracy: {100 * loaded.Final.TestAccuracy:F2} % on 100 held-out pairs (train", output);
            // the saved weights are the kept checkpoint's: they give its test accuracy
            var grid = Eis7Transformer.PredictGrid(loaded.Model);
            int p = labels.Size;
            Assert.Equal(loaded.Final.TestAccuracy, loaded.TestPairs.Average(i => grid[i / p, i % p] == labels[i / p, i % p] ? 1.0 : 0.0), 6);
            Assert.Contains("pairs held out of the train half, never trained on", File.ReadAllText(Path.Combine(report, "index.html")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        Assert.Contains("unexpected argument 'eis8'", InterpCli.Refusal(["case", "eis8"]));
        Assert.Contains("--steps", InterpCli.Refusal(["case", "eis7-transformer", "--steps", "x"]));
        Assert.Contains("--split must be challenge or seeded, got 'python'", InterpCli.Refusal(["case", "eis7-transformer", "--split", "python"]));
        Assert.Contains("not found", InterpCli.Refusal(["case", "eis7-cnn", "--model", "/nonexistent/model.pt"]));
        Assert.Contains("is a folder; this case reads the challenge's PyTorch state dict", InterpCli.Refusal(["case", "eis7-cnn", "--model", Path.GetTempPath()]));   // was "not found"
        Assert.Contains("initial weights not found: '/nonexistent/init.safetensors'",
            InterpCli.Refusal(["case", "eis7-transformer", "--init-from", "/nonexistent/init.safetensors"]));
        Assert.Contains("--stop must be none, fitted or validation, got 'early'", InterpCli.Refusal(["case", "eis7-transformer", "--stop", "early"]));
        Assert.Contains("--patience must be at least 0, got -1", InterpCli.Refusal(["case", "eis7-transformer", "--stop", "fitted", "--patience", "-1"]));
        Assert.Contains("--patience needs --stop fitted or --stop validation", InterpCli.Refusal(["case", "eis7-transformer", "--patience", "5"]));
        Assert.Contains("--validation-fraction must lie in (0, 1), got 1.5",
            InterpCli.Refusal(["case", "eis7-transformer", "--stop", "validation", "--validation-fraction", "1.5"]));
        Assert.Contains("--validation-fraction must be positive, got 0", InterpCli.Refusal(["case", "eis7-transformer", "--stop", "validation", "--validation-fraction", "0"]));
        Assert.Contains("--validation-fraction needs --stop validation",
            InterpCli.Refusal(["case", "eis7-transformer", "--stop", "fitted", "--validation-fraction", "0.2"]));
    }
}
