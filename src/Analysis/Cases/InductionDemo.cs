using System.Diagnostics;
using System.Globalization;
using Interp.Analysis.Heads;
using Interp.Analysis.Patching;
using Interp.Analysis.Residual;
using Interp.Analysis.Sae;
using Interp.Analysis.Plot;
using Interp.Training;
using Interp.Transformers;

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
        var ranked = scan.Ranked(HeadScoreKind.Induction);
        var top = ranked[0];
        double topShort = shorter.Induction.GetValue(top.Layer, top.Head);
        string kind = $"and {topShort:F3} at repeat length {L / 2 + 1}. A token-based induction head keeps its stripe at any repeat length; " +
            "a head that only looks a fixed number of positions back (a shortcut that training on one repeat length allows) loses it";
        report.Heading("1. Attention heads")
            .Paragraph($"Scores of every head on repeated random tokens: previous-token (attention to q − 1), duplicate-token (to the earlier copy of the same token) and induction (to the token after it, q − {L - 1}). Top induction head: {top.Label} at {top.Score:F3} {kind}.")
            .Figure(HeadPlots.ScoreFigures(scan), "previous-token, duplicate-token and induction score of every head [layer, head]; hover a cell for its value", "head_scores.svg")
            .Attention(HeadPlots.AttentionView(scan, selected: (top.Layer, top.Head)),
                $"attention patterns on one repeated sequence (token ids; position 0 is BOS), {top.Label} first: choose a layer and a head")
            .Tokens(TokenLoss(model, scan.Tokens.Narrow(0, 0, 1)), "next-token loss of each token of the same sequence: high on the random first half, low once it repeats")
            .Table(["head", $"induction (L={L})", $"induction (L={L / 2 + 1})", "previous-token", "duplicate-token"],
                ranked.Select(r => (IReadOnlyList<string>)[r.Label, F(r.Score), F(shorter.Induction.GetValue(r.Layer, r.Head)),
                    F(scan.PreviousToken.GetValue(r.Layer, r.Head)), F(scan.DuplicateToken.GetValue(r.Layer, r.Head))]));

        // heads as units: each ablated alone on the task, the answer's logit at the second-to-last position
        var task = new Interp.Data.Tasks.RepeatedTokens(vocab, L, bos: 0, seed: seed + 15);
        var sequences = task.Batch(128);
        int length = task.SequenceLength;
        var lastTokens = sequences.ToIntArray().Where((_, i) => i % length == length - 1).ToArray();
        var units = new Neurons.ModelOnDataset(Neurons.TransformerClassifier.Of(model, length - 2), sequences, lastTokens);
        report.Heading("Ablating each head", 3);
        Neurons.TransformerUnitsReport.Add(report, model, units, Neurons.ModelOnDataset.Answer, null, outDir, "128 repeated random sequences",
            "interp ablate --model REPORT/model --data repeat --hook blocks.1.attn.hook_z --units 0 --mode mean\ninterp neurons --model REPORT/model --data repeat --hook blocks.1.attn.hook_z", seed: seed);

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
        var headValues = headPatch.ToDoubleArray();
        int best = Array.IndexOf(headValues, headValues.Max());
        string bestHead = $"L{best / model.Config.NHeads}H{best % model.Config.NHeads}";
        report.Heading("2. Activation and attribution patching")
            .Paragraph($"Clean prompts repeat their first half; the corrupted ones alter it, so the last token's answer differs. Metric: the logit difference between the clean answer and the corrupted one at the last position, normalised to 0 on the corrupted run and 1 on the clean run. Denoising: each clean activation is patched into the corrupted run. The head that restores most alone: {bestHead} ({headValues.Max():F3}). Attribution patching (one forward and one backward pass per side) against activation patching: r = {rHeads:F3} over heads, {rResid:F3} over resid_pre [layer, position].")
            .Figure(PatchPlots.ByPositionFigure("activation patching of resid_pre", residPatch, TokenStrings(clean), valueLabel: "normalised logit diff"),
                "denoising resid_pre [layer, position], the first clean prompt's tokens below; white = no effect (0), red = the clean answer restored (1)", "patch_resid_pre.svg")
            .Figure(PatchPlots.HeadsFigure("activation patching per head", headPatch, valueLabel: "normalised logit diff"),
                "denoising each head's output (hook_z, all positions) [layer, head]", "patch_heads.svg")
            .Figure(PatchPlots.HeadsFigure("attribution patching per head", headAttrib, valueLabel: "normalised logit diff"),
                "the linear estimate of the same, from one forward and backward pass per side [layer, head]", "attrib_heads.svg")
            .Figure(PatchPlots.Scatter(headPatch.Reshape(-1), headAttrib.Reshape(-1), "heads: attribution vs activation patching", "activation patching", "attribution patching"),
                "each head: attribution patching against activation patching", "attrib_vs_patch.svg")
            .Tokens(new TokenView("patching resid_pre at layer 1, by position", TokenStrings(clean), residPatch.Select(0, Math.Min(1, residPatch.Size(0) - 1)).ToDoubleArray())
                { Scale = ColorScale.Signed(1), ValueLabel = "normalised logit diff" },
                "the first clean prompt coloured by the effect of restoring its clean residual stream at layer 1 at that position");

        // 4. SAE
        progress.Note($"demo 4/5: a sparse autoencoder on blocks.0.hook_resid_post ({saeSteps} steps)");
        var sae = SaePipeline.Run(model, new SaePipelineOptions(Steps: saeSteps, Seed: seed, ModelName: "model"), Path.Combine(outDir, "sae"), progress);
        report.Heading("3. A sparse autoencoder on the residual stream")
            .Paragraph($"A ReLU SAE with L1 penalty (SAELens definitions) on blocks.0.hook_resid_post, {saeSteps} steps: L0 {F(sae.Metrics.L0)}, explained variance {F(sae.Metrics.ExplainedVariance)}, " +
                $"dead features {sae.Metrics.DeadFraction:P1}, dense {sae.Metrics.DenseFraction:P1}; cross-entropy loss recovered when its reconstruction replaces the activation: {F(sae.Ce.Recovered)}. " +
                "Weights in SAELens naming: sae/sae_weights.safetensors and sae/cfg.json; the feature report lists each feature's top-activating contexts and direct logit effects.")
            .Image("sae/report/feature_density.svg", "feature density (log10 of the fraction of rows each feature fires on)")
            .Tokens(FeatureActivations(model, sae, scan.Tokens.Narrow(0, 0, 1)),
                "the same repeated sequence coloured by the activation of the SAE feature that fires on the most tokens (BOS left out, as in training)")
            .Paragraph("Feature report: sae/report/index.html");

        // 5. residual norms
        progress.Note("demo 5/5: residual-stream norms");
        var normTokens = new Interp.Data.Tasks.RepeatedTokens(vocab, L, bos: 0, seed: seed + 14).Batch(32);
        var norms = ResidualNorms.Measure(model, normTokens, excludeBos: true, modelName: "induction toy");
        report.Heading("4. Residual-stream norms")
            .Paragraph(ResidualNormsReport.Summary(norms))
            .Figure(ResidualNormsReport.Plot(norms), "mean L2 norm of the residual stream per layer, with its exponential fit", "resid_norms.svg");
        report.Save(outDir);

        return new InductionDemoResult(Path.Combine(outDir, "index.html"), run, L, top, topShort, bestHead, headValues.Max(), rHeads, rResid, sae, norms, wall.Elapsed);
    }

    /// <summary>The next-token loss of each token after the first (the first has no prediction), on one sequence [1, pos].</summary>
    static TokenView TokenLoss(HookedTransformer model, Tensor sequence)
    {
        using var _ = Interp.Autograd.GradMode.NoGrad();
        int n = sequence.Size(1);
        var logits = model.Forward(sequence).Select(0, 0).Narrow(0, 0, n - 1);   // position p predicts token p + 1
        var loss = logits.CrossEntropy(sequence.Select(0, 0).Narrow(0, 1, n - 1), reduction: "none").ToDoubleArray();
        var tokens = TokenStrings(sequence).Skip(1).ToArray();
        return new TokenView("next-token loss", tokens, loss) { Scale = ColorScale.Sequential(0, Math.Max(loss.Max(), 1e-6)), ValueLabel = "loss (nats)" };
    }

    /// <summary>The activation of the densest feature at each token of one sequence [1, pos], position 0 (BOS) left out.</summary>
    static TokenView FeatureActivations(HookedTransformer model, SaeRun run, Tensor sequence)
    {
        using var _ = Interp.Autograd.GradMode.NoGrad();
        var density = run.Metrics.FeatureDensity;
        int feature = Array.IndexOf(density, density.Max());
        var acts = run.Sae.Encode(ActivationStore.Rows(model, run.Sae.Config.HookName, sequence, firstPosition: 1)).Select(1, feature).ToDoubleArray();
        return new TokenView($"SAE feature {feature} (density {density[feature]:F3})", TokenStrings(sequence).Skip(1).ToArray(), acts)
            { Scale = ColorScale.Sequential(0, Math.Max(acts.Max(), 1e-6)), ValueLabel = "activation" };
    }

    static string[] TokenStrings(Tensor tokens) => tokens.Select(0, 0).ToDoubleArray().Select(t => ((long)t).ToString(CultureInfo.InvariantCulture)).ToArray();

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
