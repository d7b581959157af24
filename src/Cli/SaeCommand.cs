using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Interp.Analysis.Sae;
using Interp.IO;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp sae</c>: trains a sparse autoencoder on one hook point of a model (<see cref="SaePipeline"/>) and prints its figures.</summary>
public sealed class SaeCommand : Command
{
    readonly Option<string> model = Vocabulary.Model("a folder from `interp train induction` (model.safetensors + config.json)", Path.Combine("runs", "induction"));
    readonly Option<string> hook = Vocabulary.Text("--hook", "hook point (default blocks.0.hook_resid_post, else the last block's hook_resid_post)");
    readonly Option<string> arch = Vocabulary.Choice("--arch", "standard", "standard (ReLU, L1 penalty weighted by decoder norms) or topk", "standard", "topk");
    readonly Option<int?> dSae = Vocabulary.MaybeInt("--d-sae", "features (default 8 x d_in)", min: 1);
    readonly Option<double> l1 = Vocabulary.Double("--l1", 0.5, "L1 coefficient of the standard SAE (0.5 suits activations of squared norm ~5)", min: 0);
    readonly Option<int> k = Vocabulary.Int("--k", 8, "active features of the topk SAE", min: 1);
    readonly Option<int> steps = Vocabulary.Steps(1000);
    readonly Option<int> batch = Vocabulary.Int("--batch", 1024, "activation rows per step", min: 1);
    readonly Option<double> lr = Vocabulary.Lr(3e-3, "Adam learning rate");
    readonly Option<int> resampleEvery = Vocabulary.Int("--resample-every", 250, "resample features dead for N steps (0 = never)", min: 0);
    readonly Option<string> data = Vocabulary.Choice("--data", "repeated",
        "token source: repeated ([BOS] + L random tokens + the same L again, L = (n_ctx - 1) / 2) or random (n_ctx uniform tokens)", "repeated", "random");
    readonly Option<int> features = Vocabulary.Int("--features", 24, "features shown in the report, spread over the live features by density", min: 0);
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the SAE, the data and the shuffles");
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("runs", "sae"), "sae_weights.safetensors, cfg.json, metrics.json and report/ go here");
    readonly Option<bool> detectAnomaly = Vocabulary.DetectAnomaly();
    readonly Option<Device> device = Vocabulary.Device();
    readonly Option<bool> quiet = Vocabulary.Quiet();

    public SaeCommand() : base("sae", """
        A sparse autoencoder on a hook point: metrics, SAELens-named weights, a feature report.

        Trains a sparse autoencoder (SAELens's definitions: f = ReLU((x - b_dec) W_enc + b_enc), x^ = f W_dec + b_dec,
        unit-norm decoder rows, b_dec from the geometric median) on the activations of one hook point, fed from a
        shuffled buffer of activations of the model on generated token sequences. Then prints L0, MSE, explained
        variance, dead/dense feature fractions and the cross-entropy loss recovered when the reconstruction is spliced
        back into the model, and writes the SAE (SAELens names) and an HTML feature report. The BOS position is not
        used for training or metrics (its activation is atypical).
        """)
    {
        foreach (var option in new Option[] { model, hook, arch, dSae, l1, k, steps, batch, lr, resampleEvery, data, features, seed, outDir, detectAnomaly, device, quiet })
            Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var wall = Stopwatch.StartNew();
        string path = r.GetValue(model)!, dir = Vocabulary.Folder(r.GetValue(outDir)!);
        var transformer = ModelFiles.LoadTransformer(path, r.GetValue(device));
        var options = new SaePipelineOptions(Hook: r.GetValue(hook), Architecture: r.GetValue(arch)!, DSae: r.GetValue(dSae), L1: r.GetValue(l1), K: r.GetValue(k),
            Steps: r.GetValue(steps), Batch: r.GetValue(batch), LearningRate: r.GetValue(lr), ResampleEvery: r.GetValue(resampleEvery), Data: r.GetValue(data)!,
            Features: r.GetValue(features), Seed: r.GetValue(seed), ModelName: Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path))));
        SaeRun run;
        using (Vocabulary.AnomalyMode(r.GetValue(detectAnomaly))) run = SaePipeline.Run(transformer, options, dir, new Progress(r.GetValue(quiet)));
        var (cfg, m, ce, t) = (run.Sae.Config, run.Metrics, run.Ce, run.Training);
        Console.WriteLine($"sae: {cfg.Architecture}, d_in {cfg.DIn}, d_sae {cfg.DSae}, hook {cfg.HookName}, {options.Steps} steps of {options.Batch} rows in {t.Wall.TotalSeconds:F1} s" +
            (t.Resamplings.Count > 0 ? $", resampled {string.Join("/", t.Resamplings.Select(x => x.Resampled))} dead features" : ""));
        Console.WriteLine($"L0: {F(m.L0)}   MSE: {F(m.Mse)} (per row {F(m.MsePerRow)})   explained variance: {F(m.ExplainedVariance)}");
        Console.WriteLine($"dead features: {m.DeadFraction:P1}   dense (> {m.DenseThreshold:P0} of rows): {m.DenseFraction:P1}   over {m.Rows:N0} rows");
        Console.WriteLine($"CE loss: clean {F(ce.Clean)}, SAE spliced {F(ce.Spliced)}, zero ablation {F(ce.ZeroAblation)}; recovered {F(ce.Recovered)}");
        Console.WriteLine($"wrote {run.WeightsFile}, {run.ConfigFile}, {run.MetricsFile}, {run.ReportFile}, {run.HistogramFile}; wall time {wall.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
