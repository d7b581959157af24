using System.Diagnostics;
using System.Globalization;
using Interp.Analysis.Heads;
using Interp.Analysis.Patching;
using Interp.Analysis.Residual;
using Interp.Analysis.Sae;
using Interp.Analysis.Plot;
using Interp.Training;

namespace Interp.Analysis.Cases;

/// <summary>The figures of a demo run, for its summary.</summary>
public sealed record InductionDemoResult(string Index, InductionResult Training, int Length, RankedHead TopInduction, double TopInductionShorter,
    string BestHead, double BestHeadRestores, double AttributionRHeads, double AttributionRResid, SaeRun Sae, ResidualNorms Norms, TimeSpan Wall);

/// <summary>
/// The main job (<c>interp demo</c>): train the 2-layer attention-only induction toy, then take it apart with every tool —
/// head scores, activation and attribution patching, a sparse autoencoder on its residual stream, residual norms — and
/// write one self-contained report (index.html) into a folder, the model in its model/ subfolder.
/// </summary>
public static class InductionDemo
{
    /// <summary>The test-sized model (vocabulary 16, L 8, 2 heads of 16), for the test that runs the demo.</summary>
    public static InductionOptions Small(int steps, ulong seed) => new(Steps: steps, Seed: seed, VocabSize: 16, Length: 8, DModel: 32, NHeads: 2, DHead: 16,
        BatchSize: 16, LearningRate: 3e-3, EvalEvery: Math.Min(100, steps), EvalBatch: 64);

    public static InductionDemoResult Run(InductionOptions options, int saeSteps, string outDir, Device device, Progress? progress = null)
    {
        ulong seed = options.Seed;
        var wall = Stopwatch.StartNew();
        progress ??= new Progress(quiet: true);
        Directory.CreateDirectory(outDir);
        progress.Note($"demo 1/5: training the induction toy ({options.Steps} steps; 2 layers, {options.NHeads} heads, d_model {options.DModel}, vocab {options.VocabSize}, L {options.Length}, on {device})");
        var run = ToyModels.TrainInduction(options, progress.Report,
            e => progress.Note($"step {e.Step}: held-out loss first half {e.FirstHalfLoss:F3}, repeated half {e.SecondHalfLoss:F3}"), device: device);
        progress.Finish();
        var model = run.Model;
        model.Eval();
        string modelDir = Path.Combine(outDir, "model");
        model.Save(modelDir);
        int L = options.Length, vocab = options.VocabSize;
        var report = new HtmlReport("Interp demo: an induction toy taken apart");
        report.Paragraph($"A 2-layer attention-only transformer (LayerNorm, shortformer positions, d_model {options.DModel}, {options.NHeads} heads of {options.DHead}, " +
            $"vocabulary {vocab}) trained for {run.Final.Step} steps of AdamW on [BOS] + {L} random tokens + the same {L} again, in {run.Wall.TotalSeconds:F0} s. " +
            $"Held-out next-token loss: {run.Final.FirstHalfLoss:F3} on the random first half (ln {vocab} = {Math.Log(vocab):F3}), {run.Final.SecondHalfLoss:F3} on the repeated half. " +
            $"Weights: model/model.safetensors (TransformerLens names) and model/config.json.");

        // 2. heads
        progress.Note("demo 2/5: head scores and attention patterns");
        var scan = HeadScan.OnRepeatedRandomTokens(model, L, batch: 16, bos: 0, seed: seed + 11);
        var shorter = HeadScan.OnRepeatedRandomTokens(model, L / 2 + 1, batch: 16, bos: 0, seed: seed + 12);
        HeadPlots.Scores(scan).SavePng(Path.Combine(outDir, "head_scores.png"));
        HeadPlots.Patterns(scan.Patterns).SavePng(Path.Combine(outDir, "head_patterns.png"));
        var ranked = scan.Ranked(HeadScoreKind.Induction);
        var top = ranked[0];
        double topShort = shorter.Induction.GetValue(top.Layer, top.Head);
        string kind = $"and {topShort:F3} at repeat length {L / 2 + 1}. A token-based induction head keeps its stripe at any repeat length; " +
            "a head that only looks a fixed number of positions back (a shortcut that training on one repeat length allows) loses it";
        report.Heading("1. Attention heads")
            .Paragraph($"Scores of every head on repeated random tokens: previous-token (attention to q − 1), duplicate-token (to the earlier copy of the same token) and induction (to the token after it, q − {L - 1}). Top induction head: {top.Label} at {top.Score:F3} {kind}.")
            .Image("head_scores.png", "previous-token, duplicate-token and induction scores [layer, head]")
            .Image("head_patterns.png", "attention patterns on one repeated sequence, a row per layer")
            .Table(["head", $"induction (L={L})", $"induction (L={L / 2 + 1})", "previous-token", "duplicate-token"],
                ranked.Select(r => (IReadOnlyList<string>)[r.Label, F(r.Score), F(shorter.Induction.GetValue(r.Layer, r.Head)),
                    F(scan.PreviousToken.GetValue(r.Layer, r.Head)), F(scan.DuplicateToken.GetValue(r.Layer, r.Head))]));

        // 3. patching
        progress.Note("demo 3/5: activation and attribution patching");
        var (clean, corrupted, answers, wrong) = InductionPrompts.Make(vocab, L, batch: 8, bos: 0, seed: seed + 13);
        var metric = PatchMetrics.NormalizedLogitDiff(model, clean, corrupted, answers, wrong);
        var residPatch = ActivationPatching.ResidPreByPosition(model, clean, corrupted, metric);
        var headPatch = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric);
        var attribution = AttributionPatching.Run(model, clean, corrupted, metric);
        var headAttrib = attribution.HeadsAllPositions;
        double rHeads = PatchStats.Correlation(headPatch, headAttrib);
        double rResid = PatchStats.Correlation(residPatch, attribution.ResidPreByPosition);
        PatchPlots.SaveHeatmap(Path.Combine(outDir, "patch_resid_pre.png"), residPatch, cellSize: 12);
        PatchPlots.SaveHeatmap(Path.Combine(outDir, "patch_heads.png"), headPatch, cellSize: 40);
        PatchPlots.SaveHeatmap(Path.Combine(outDir, "attrib_heads.png"), headAttrib, cellSize: 40);
        PatchPlots.SaveScatter(Path.Combine(outDir, "attrib_vs_patch.svg"), headPatch.Reshape(-1), headAttrib.Reshape(-1),
            "heads: attribution vs activation patching", "activation patching", "attribution patching");
        var headValues = headPatch.ToDoubleArray();
        int best = Array.IndexOf(headValues, headValues.Max());
        string bestHead = $"L{best / model.Config.NHeads}H{best % model.Config.NHeads}";
        report.Heading("2. Activation and attribution patching")
            .Paragraph($"Clean prompts repeat their first half; the corrupted ones alter it, so the last token's answer differs. Metric: the logit difference between the clean answer and the corrupted one at the last position, normalised to 0 on the corrupted run and 1 on the clean run. Denoising: each clean activation is patched into the corrupted run. The head that restores most alone: {bestHead} ({headValues.Max():F3}). Attribution patching (one forward and one backward pass per side) against activation patching: r = {rHeads:F3} over heads, {rResid:F3} over resid_pre [layer, position].")
            .Image("patch_resid_pre.png", "activation patching of resid_pre [layer, position] (blue 0 … red 1)")
            .Image("patch_heads.png", "activation patching per head (hook_z, all positions) [layer, head]")
            .Image("attrib_heads.png", "attribution patching per head [layer, head]")
            .Image("attrib_vs_patch.svg", "each head: attribution patching against activation patching");

        // 4. SAE
        progress.Note($"demo 4/5: a sparse autoencoder on blocks.0.hook_resid_post ({saeSteps} steps)");
        var sae = SaePipeline.Run(model, new SaePipelineOptions(Steps: saeSteps, Seed: seed, ModelName: "model"), Path.Combine(outDir, "sae"), progress);
        report.Heading("3. A sparse autoencoder on the residual stream")
            .Paragraph($"A ReLU SAE with L1 penalty (SAELens definitions) on blocks.0.hook_resid_post, {saeSteps} steps: L0 {F(sae.Metrics.L0)}, explained variance {F(sae.Metrics.ExplainedVariance)}, " +
                $"dead features {sae.Metrics.DeadFraction:P1}, dense {sae.Metrics.DenseFraction:P1}; cross-entropy loss recovered when its reconstruction replaces the activation: {F(sae.Ce.Recovered)}. " +
                "Weights in SAELens naming: sae/sae_weights.safetensors and sae/cfg.json; the feature report lists each feature's top-activating contexts and direct logit effects.")
            .Image("sae/report/feature_density.svg", "feature density (log10 of the fraction of rows each feature fires on)")
            .Paragraph("Feature report: sae/report/index.html");

        // 5. residual norms
        progress.Note("demo 5/5: residual-stream norms");
        var normTokens = new Interp.Data.Tasks.RepeatedTokens(vocab, L, bos: 0, seed: seed + 14).Batch(32);
        var norms = ResidualNorms.Measure(model, normTokens, excludeBos: true, modelName: "induction toy");
        ResidualNormsReport.Plot(norms).Save(Path.Combine(outDir, "resid_norms.svg"));
        report.Heading("4. Residual-stream norms")
            .Paragraph(ResidualNormsReport.Summary(norms))
            .Image("resid_norms.svg", "mean L2 norm of the residual stream per layer, with its exponential fit");
        report.Save(outDir);

        return new InductionDemoResult(Path.Combine(outDir, "index.html"), run, L, top, topShort, bestHead, headValues.Max(), rHeads, rResid, sae, norms, wall.Elapsed);
    }

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
