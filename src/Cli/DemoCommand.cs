using System.CommandLine;
using System.Globalization;
using Interp.Analysis.Cases;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp demo</c> (also <c>interp</c> alone), the main job: <see cref="InductionDemo"/>, then a five-line summary.</summary>
public sealed class DemoCommand : Command
{
    readonly Option<int> steps = Vocabulary.Steps(1000, "training steps of the transformer (about 13 seconds on 2 idle cores)");
    readonly Option<int> saeSteps = Vocabulary.Int("--sae-steps", 300, "SAE training steps", min: 1);
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the model, data and SAE");
    readonly Option<string> outDir = Vocabulary.Out("report", "report folder; the model is saved in its model/ subfolder");
    readonly Option<bool> detectAnomaly = Vocabulary.DetectAnomaly();
    readonly Option<Device> device = Vocabulary.Device();
    readonly Option<bool> quiet = Vocabulary.Quiet();
    // the test-sized model (vocabulary 16, L 8, 2 heads of 16), for the test that runs the demo
    readonly Option<string> size = new Option<string>("--size") { Hidden = true, DefaultValueFactory = _ => "full" };

    public DemoCommand() : base("demo", """
        The main job: trains the induction toy, takes it apart, writes report/index.html.

        The main job, with no downloads: trains the 2-layer attention-only transformer (LayerNorm, shortformer positions,
        d_model 64, 4 heads, vocabulary 64) on [BOS] + 24 random tokens + the same 24 again, then
          1. scores every head (previous-token, duplicate-token, induction) on repeated random tokens, at the trained
             repeat length and a shorter one (token-based or positional?);
          2. patches activations from clean into corrupted prompts (second copy altered) per layer and position and per
             head, and compares attribution patching with it;
          3. trains a sparse autoencoder on blocks.0.hook_resid_post (as interp sae);
          4. measures the residual-stream norm per layer with its exponential fit;
        and writes index.html into --out with the heatmaps, plots and tables. Progress goes to stderr, a summary to stdout.
        """)
    {
        size.Validators.Add(r => { if (r.GetValueOrDefault<string>() is not ("full" or "small")) r.AddError($"--size must be full or small, got '{r.GetValueOrDefault<string>()}'"); });
        foreach (var option in new Option[] { steps, saeSteps, seed, outDir, detectAnomaly, device, quiet, size }) Add(option);
        SetAction(Run);
    }

    public int Run(ParseResult r)
    {
        int trainSteps = r.GetValue(steps);
        ulong s = r.GetValue(seed);
        var options = r.GetValue(size) == "small" ? InductionDemo.Small(trainSteps, s) : new InductionOptions(Steps: trainSteps, Seed: s);
        string dir = Vocabulary.Folder(r.GetValue(outDir)!);
        InductionDemoResult d;
        using (Vocabulary.AnomalyMode(r.GetValue(detectAnomaly)))
            d = InductionDemo.Run(options, r.GetValue(saeSteps), dir, r.GetValue(device)!, new Progress(r.GetValue(quiet)));
        var (run, L) = (d.Training, d.Length);
        Console.WriteLine($"report: {Path.GetFullPath(d.Index)} ({d.Wall.TotalSeconds:F0} s)");
        Console.WriteLine($"model: {run.Final.Step} steps in {run.Wall.TotalSeconds:F0} s; held-out loss {run.Final.FirstHalfLoss:F3} (random half) vs {run.Final.SecondHalfLoss:F3} (repeated half)");
        Console.WriteLine($"heads: top induction score {d.TopInduction.Label} {d.TopInduction.Score:F3} at repeat length {L}, {d.TopInductionShorter:F3} at repeat length {L / 2 + 1}");
        Console.WriteLine($"patching: {d.BestHead} restores {d.BestHeadRestores:F3} of the logit difference alone; attribution vs activation r = {d.AttributionRHeads:F3} (heads), {d.AttributionRResid:F3} (resid_pre)");
        Console.WriteLine($"sae: L0 {F(d.Sae.Metrics.L0)}, explained variance {F(d.Sae.Metrics.ExplainedVariance)}, CE loss recovered {F(d.Sae.Ce.Recovered)}; " +
            $"residual norm grows {d.Norms.Fit.G:F2}x per layer (R² {d.Norms.Fit.R2:F3})");
        return 0;
    }

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
