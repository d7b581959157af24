using System.Globalization;
using Interp.Analysis.Heads;
using Interp.Analysis.Patching;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Cases;

/// <summary>The index.html of <c>interp case code-lm</c>: corpus, training curves, in-context learning, heads, patching, lens, SAE.</summary>
public static class CodeLmReport
{
    public static void Write(CodeLmCaseResult r, string outDir)
    {
        var c = r.Corpus;
        var report = new HtmlReport("Interp case study: small language models trained on real code");
        double bytesPerToken = (double)c.Train.Sum(f => f.Bytes) / Math.Max(1, r.Tokens.Train.Length);
        report.Paragraph($"Corpus: the {c.Files.Count} .py files of {c.Source} ({c.Root}), {c.TotalBytes / 1e6:F1} MB, without site-packages and the test packages; " +
            $"split by file with seed {c.Seed}: {c.Train.Count} training files, {c.HeldOut.Count} held out. SHA-256 of the file list and hashes: {c.Sha256} (corpus.json lists every file). " +
            $"Tokenizer: {r.TokenizerName}; {r.Tokens.Train.Length:N0} training tokens ({bytesPerToken:F2} bytes a token), {r.Tokens.HeldOutTokens:N0} held-out tokens. " +
            $"Each file starts with the end-of-text token. Whole run: {r.Wall.TotalMinutes:F1} min.");

        Training(report, r);
        InContextLearning(report, r);
        Heads(report, r);
        Circuits(report, r);
        Sae(report, r);
        report.Save(outDir);
    }

    static void Training(HtmlReport report, CodeLmCaseResult r)
    {
        report.Heading("1. Training");
        report.Paragraph("AdamW (lr 1e-3, weight decay 0.01, warm-up over 5 % of the steps, cosine decay) on random windows of the training stream, " +
            "next-token cross-entropy at every position. Held-out loss: mean over windows opening held-out files (then their later windows).");
        report.Table(["model", "shape", "steps", "tokens seen", "train time", "held-out loss", "ICL score", "stopped early"],
            r.Models.Select(m => (IReadOnlyList<string>)[m.Name, Shape(m), m.Training.Final.Step.ToString(CultureInfo.InvariantCulture),
                m.Training.TokensSeen.ToString("N0", CultureInfo.InvariantCulture), $"{m.Training.Wall.TotalMinutes:F1} min", F(m.Training.Final.Loss),
                F(m.Training.Final.IclScore), m.Training.Stopped ? "yes" : "no"]));
        var loss = new LinePlot("held-out loss over training", "training tokens (millions)", "loss (nats)");
        var icl = new LinePlot("in-context-learning score over training", "training tokens (millions)", "loss late − loss early (nats)");
        foreach (var m in r.Models)
        {
            var x = m.Training.Curve.Select(e => e.TokensSeen / 1e6).ToArray();
            loss.Line(m.Name, x, m.Training.Curve.Select(e => e.Loss).ToArray());
            icl.Line(m.Name, x, m.Training.Curve.Select(e => e.IclScore).ToArray());
        }
        report.Figure(loss, "mean held-out next-token loss at each evaluation", "held_out_loss.svg");
        var (early, late) = Interp.Training.CodeLmEval.IclPositions(r.Models.Count > 0 ? r.Models[0].Options.Context : 256);
        report.Figure(icl, $"ICL score (Olsson et al.): loss at position {late} minus loss at position {early} (each averaged over 5 positions), on the same held-out tokens (each window and its twin moved on by {late - early} tokens); more negative = more use of the context", "icl_score.svg");
    }

    static void InContextLearning(HtmlReport report, CodeLmCaseResult r)
    {
        report.Heading("2. Loss by position in the context");
        report.Paragraph("The in-context-learning curve: held-out loss of predicting token t + 1 from tokens 0..t, at several points of training, over windows spread evenly through the held-out files. " +
            "A model that uses its context predicts later tokens better; the induction \"bump\" of Olsson et al. is a sudden fall of the late-position loss (and of the ICL score) during training.");
        foreach (var m in r.Models)
        {
            var plot = new LinePlot($"{m.Name}: loss by position", "position in the window", "loss (nats)");
            var curve = m.Training.Curve;
            foreach (int i in new[] { 0, curve.Count / 3, 2 * curve.Count / 3, curve.Count - 1 }.Distinct().Where(i => i >= 0 && i < curve.Count))
                plot.Line($"step {curve[i].Step}", curve[i].PerPosition);
            report.Figure(plot, $"{m.Name}: per-position held-out loss at four evaluations", $"icl_curve_{m.Name}.svg");
        }
    }

    static void Heads(HtmlReport report, CodeLmCaseResult r)
    {
        report.Heading("3. Attention heads");
        report.Paragraph("Previous-token, duplicate-token and induction scores (TransformerLens's definitions) of every head, on repeated random tokens " +
            "([EOT] + L random tokens + the same L again; the duplicate and induction scores count the repeated half) and on natural held-out code " +
            "(every query whose token occurred earlier in the window counts).");
        foreach (var m in r.Models)
        {
            report.Heading(m.Name, 3);
            report.Figure(HeadPlots.ScoreFigures(m.Repeated, $"{m.Name}: head scores on repeated random tokens (L = {m.RepeatLength})"), "rows: layers, columns: heads; hover a cell for its value", $"heads_repeated_{m.Name}.svg");
            report.Figure(HeadPlots.ScoreFigures(m.Natural, $"{m.Name}: head scores on held-out code"), "the same scores on 16 held-out windows of code", $"heads_code_{m.Name}.svg");
            var ranked = m.Repeated.Ranked(HeadScoreKind.Induction).Take(6);
            report.Table(["head", "induction (random)", "induction (code)", "previous-token (random)", "previous-token (code)", "duplicate (code)"],
                ranked.Select(h => (IReadOnlyList<string>)[h.Label, F(h.Score), F(m.Natural.Induction.GetValue(h.Layer, h.Head)),
                    F(m.Repeated.PreviousToken.GetValue(h.Layer, h.Head)), F(m.Natural.PreviousToken.GetValue(h.Layer, h.Head)), F(m.Natural.DuplicateToken.GetValue(h.Layer, h.Head))]));
        }
    }

    static void Circuits(HtmlReport report, CodeLmCaseResult r)
    {
        report.Heading("4. Copying an identifier: activation patching");
        report.Paragraph($"Prompts of {CodeLmCircuits.PromptLength} held-out tokens whose next token is an identifier that followed the current token earlier in the prompt. " +
            "The corrupted prompt replaces every earlier occurrence of that identifier by another one. Metric: logit(answer) − logit(replacement) at the last position, " +
            "normalised to 0 on the corrupted run and 1 on the clean one; each head's clean output (hook_z, all positions) is patched into the corrupted run.");
        foreach (var run in r.Circuits)
        {
            if (run.Copying is not { } p) { report.Paragraph($"{run.Model}: too few such prompts in the held-out files."); continue; }
            if (p.Heads is not { } patched)
            {
                report.Paragraph($"{run.Model}, {p.Prompts} prompts: clean logit difference {F(p.CleanLogitDiff)}, corrupted {F(p.CorruptedLogitDiff)}. " +
                    $"The model scores them within {CodeLmCircuits.MinLogitDiffGap} of each other, so it does not copy the identifier yet and no head is patched.");
                report.Code(string.Join("\n", p.Examples));
                continue;
            }
            var values = patched.ToDoubleArray();
            int best = Array.IndexOf(values, values.Max());
            int nHeads = patched.Size(1);
            report.Figure(PatchPlots.HeadsFigure($"{run.Model}: patching each head", patched, valueLabel: "normalised logit diff"),
                $"{run.Model}, {p.Prompts} prompts: clean logit difference {F(p.CleanLogitDiff)}, corrupted {F(p.CorruptedLogitDiff)}; L{best / nHeads}H{best % nHeads} restores most ({F(values.Max())})",
                $"patch_copy_{run.Model}.svg");
            report.Code(string.Join("\n", p.Examples));
        }

        report.Heading("5. Logit lens and direct logit attribution");
        report.Paragraph("Natural held-out prompts ending just before a closing bracket, before a name that already occurs in the prompt, and before the name after `self.`. " +
            "Logit lens: the mean log-probability of the true next token read from the residual stream after each stage (final LayerNorm and unembedding applied). " +
            "Direct logit attribution: each component's direct contribution to the true token's logit (final LayerNorm scale frozen), the largest six in size.");
        foreach (var run in r.Circuits)
            foreach (var lens in run.Lens)
            {
                report.Heading($"{run.Model}: {lens.Prompts.Kind} ({lens.Prompts.Prompts.Size(0)} prompts)", 3);
                report.Table(["stage", "log p(true next token)"], lens.Lens.Select(s => (IReadOnlyList<string>)[s.Stage, F(s.LogProb)]));
                report.Table(["component", "direct logit attribution"], lens.Dla.Take(6).Select(d => (IReadOnlyList<string>)[d.Component, F(d.Dla)]));
                report.Code(string.Join("\n", lens.Prompts.Tails.Take(4)));
            }
    }

    static void Sae(HtmlReport report, CodeLmCaseResult r)
    {
        report.Heading("6. A sparse autoencoder on the 1-layer model's MLP output");
        if (r.Sae is not { } s) { report.Paragraph("Not run (the 1-layer model was not trained in this run, or --sae-steps 0)."); return; }
        var m = s.Metrics;
        report.Paragraph($"Top-k SAE (k {s.Sae.Config.K}, d_sae {s.Sae.DSae}) on {CodeLmSae.Hook}, {s.Training.Losses.Count} steps in {s.Training.Wall.TotalSeconds:F0} s. " +
            $"On held-out code ({m.Rows:N0} positions): L0 {F(m.L0)}, explained variance {F(m.ExplainedVariance)}, dead features {m.DeadFraction:P1}, " +
            $"cross-entropy loss recovered {F(s.Ce.Recovered)} (clean {F(s.Ce.Clean)}, spliced {F(s.Ce.Spliced)}, zero-ablated {F(s.Ce.ZeroAblation)}). " +
            "Goal: recovered ≥ 0.9 at L0 ≤ 50 with under 10 % dead. Feature browser: sae/index.html; weights in SAELens naming: sae/sae_weights.safetensors, sae/cfg.json.");
    }

    static string Shape(CodeLmModelRun m)
    {
        var c = m.Options.ModelConfig;
        return $"{c.NLayers}L, d_model {c.DModel}, {c.NHeads}×{c.DHead} heads" + (c.AttnOnly ? ", attn-only" : $", MLP {c.DMlp}") + $", ctx {c.NCtx}, vocab {c.DVocab}";
    }

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
