using Interp.Analysis.Cases;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// The neuron and dataset verbs (neurons, ablate, pca, readout, features, transform, rule) end to end on the EIS VII
/// CNN and every 50th digit (200): what they print and write, and how a bad rule is refused.
/// </summary>
[Collection("Console")]
public class ResearchVerbTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "interp-research-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    static string Model => Eis7Cnn.DefaultModelPath is string p && File.Exists(p) ? p : throw new Xunit.Sdk.XunitException("../shared/data/eis7/mnist_model.pt not found");

    (string Out, string Err) Ok(params string[] args)
    {
        var (exit, output, err) = InterpCli.Run([.. args, "--model", Model, "--stride", "50"]);
        Assert.True(exit == 0, err);
        return (output, err);
    }

    [Fact]
    public void RulePrintsAgreementTheConfusionCountsAndTheDigitsItGetsWrong()
    {
        var (output, _) = Ok("rule", "ink > 0.1 or l2(img, mean:1) < 6", "--show", "3");
        Assert.Contains("agreement with the model:", output);
        Assert.Contains("of 200 digits", output);
        Assert.Contains("rule yes, model yes:", output);
        Assert.Contains("rule no,  model no:", output);
        Assert.Matches(@"digits wrong; the first 3", output);
    }

    [Fact]
    public void ABadRuleIsRefusedWithACaretUnderItsColumn()
    {
        var (exit, _, err) = InterpCli.Run("rule", "ink > 0.1 or widht < 3", "--model", Model);
        Assert.Equal(2, exit);   // bad input
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("  ink > 0.1 or widht < 3", lines[0]);
        Assert.Equal("               ^", lines[1]);
        Assert.StartsWith("interp rule: rule, column 14: unknown name 'widht'", lines[2]);
    }

    [Fact]
    public void NeuronsAndAblateReportTheHiddenLayer()
    {
        var (neurons, _) = Ok("neurons", "--out", Path.Combine(dir, "neurons"), "--top", "5");
        Assert.Contains("hook_relu3: 200 units; dead", neurons);
        Assert.Contains("direct attribution to logit 1 − logit 0", neurons);
        Assert.Contains("faithfulness (keep top k, mean-ablate the rest): k=0:", neurons);
        var html = File.ReadAllText(Path.Combine(dir, "neurons", "index.html"));
        Assert.Contains("Co-activation groups", html);
        Assert.True(File.Exists(Path.Combine(dir, "neurons", "relu3_faithfulness.svg")));
        var (ablate, _) = Ok("ablate", "--units", "1,2,3", "--keep", "--mode", "zero");
        Assert.Contains("zero-ablated 197 of 200 units of hook_relu3 (kept: 1 2 3)", ablate);
        Assert.Contains("labels unchanged:", ablate);
    }

    [Fact]
    public void ReadoutWritesAWeightMapThatFeaturesAndRulesRead()
    {
        string folder = Path.Combine(dir, "readout");
        var (readout, _) = Ok("readout", "--target", "pc:1", "--out", folder);
        Assert.Contains("readout of hook_relu3 PC1 from the pixels of 200 images: R²", readout);
        Assert.Contains("'pc:201': '201' is not a component in 1..200", InterpCli.Refusal(["readout", "--model", Model, "--stride", "50", "--target", "pc:201", "--out", folder]));
        Assert.Contains("feature 'ink/0' is", InterpCli.Refusal(["features", "--model", Model, "--stride", "50", "--feature", "ink/0", "--out", Path.Combine(dir, "f0")]));   // was: "the feature has NaN ..." without its name
        Assert.Contains("components count from 1 (1..200)", InterpCli.Refusal(["readout", "--model", Model, "--stride", "50", "--target", "pc:0", "--out", folder]));
        string weights = Path.Combine(folder, "readout_weights.txt");
        Assert.Equal(28, File.ReadAllLines(weights).Length);
        var (features, _) = Ok("features", "--feature", "ink", "--feature", $"dot(img, file:{weights})", "--out", Path.Combine(dir, "features"));
        Assert.Contains("      band:      ink", features);
        Assert.Contains($"      threshold: dot(img, file:{weights})", features);
        Ok("rule", $"dot(img, file:{weights}) > 0");
        var (pca, _) = Ok("pca", "--components", "3", "--out", Path.Combine(dir, "pca"));
        Assert.Contains("PC3", pca);
        Assert.True(File.Exists(Path.Combine(dir, "pca", "relu3_pca.svg")));
    }

    [Fact]
    public void TransformCountsFlipsByClass()
    {
        var (output, _) = Ok("transform", "--transform", "invert", "--transform", "brightness:1", "--out", Path.Combine(dir, "transform"));
        Assert.Contains("brightness:1: 0 of 200 labels change (none)", output);
        Assert.Matches(@"invert: \d+ of 200 labels change", output);
    }

    [Fact]
    public void FeatvizOfChosenUnitsSkipsTheDeadOnesAndSaysHowTheyWereScored()
    {
        string folder = Path.Combine(dir, "featviz");
        var (exit, output, err) = InterpCli.Run("featviz", "--model", Model, "--layer", "fc1", "--units", "0,2,7", "--steps", "2", "--top", "2", "--out", folder, "--quiet");
        Assert.True(exit == 0, err);
        Assert.Contains("fc1: skipped dead units (zero after the ReLU on every dataset image): 0", output);   // fc1 unit 0 is zero on all 10k digits
        Assert.Contains("fc1: 2 units", output);
        Assert.Contains("scored by mean pre-ReLU activation", output);
        Assert.Contains("featviz_fc1.png: units 2 7", output);
        var (_, logits, _) = InterpCli.Run("featviz", "--model", Model, "--layer", "logits", "--units", "1", "--score", "margin", "--steps", "2", "--data", "none", "--out", folder, "--quiet");
        Assert.Contains("scored by logit margin", logits);
    }
}
