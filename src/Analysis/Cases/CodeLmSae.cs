using System.Globalization;
using Interp.Analysis.Plot;
using Interp.Analysis.Sae;
using Interp.Autograd;
using Interp.Data;
using Interp.IO;
using Interp.Tokenizer;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Analysis.Cases;

/// <summary>One feature in the browser: its density, top held-out contexts (tokens and the feature's activation on each), nonzero activations and the tokens whose logits it raises most.</summary>
public sealed record CodeLmFeature(int Index, double Density, IReadOnlyList<(string[] Tokens, double[] Acts)> Contexts, double[] Activations,
    IReadOnlyList<(string Token, double Effect)> LogitsUp);

public sealed record CodeLmSaeRun(SparseAutoencoder Sae, SaeTrainingResult Training, SaeMetrics Metrics, CeLossRecovered Ce, IReadOnlyList<CodeLmFeature> Features,
    string Dir, string Browser);

/// <summary>
/// A top-k SAE (k = 32, so L0 ≤ 32; d_sae = 8 × d_model; dead features resampled every 250 steps) on the one-layer
/// model's MLP output, trained on its activations over training code and measured on held-out code with SAELens's
/// metrics (L0, explained variance, dead fraction, cross-entropy loss recovered), plus a feature browser page
/// (sae/index.html): for each shown feature its top-activating held-out contexts with the activating token highlighted, the histogram of
/// its nonzero activations and the tokens whose logits its decoder direction raises most (W_dec·W_U).
/// The first position of each window (the EOT that opens a file) is left out, as the BOS is in SaePipeline.
/// </summary>
public static class CodeLmSae
{
    public const string Hook = "blocks.0.hook_mlp_out";
    const int Sequences = 16, EvalWindows = 32, Shown = 16, K = 32;

    public static CodeLmSaeRun Run(HookedTransformer model, CodeTokens tokens, ITokenizer tokenizer, int steps, ulong seed, string outDir, Progress progress)
    {
        model.Eval();
        int ctx = model.Config.NCtx;
        var gen = new Generator(seed ^ 0x5AE);
        Tensor Next() => tokens.TrainBatch(Sequences, ctx, gen).To(model.Device);
        var store = new ActivationStore(model, Hook, Next, batchSize: 1024, bufferRows: 16 * 1024, seed, firstPosition: 1);
        var config = new SaeConfig
        {
            Architecture = "topk", DIn = store.DIn, DSae = 8 * store.DIn, HookName = Hook, K = K, ModelName = "code-lm 1l-mlp", ContextSize = ctx, Seed = seed,
        };
        var sae = new SparseAutoencoder(config);
        sae.To(model.Device);
        var options = new SaeTrainingOptions(Steps: steps, LearningRate: 1e-3, ResampleEvery: Math.Min(250, Math.Max(2, steps / 4)), ResampleRows: 8192, InitRows: 8192);
        var training = new SaeTrainer(sae, store.NextBatch, store.Collect, options, seed).Run(progress.Report, progress.Note);
        progress.Finish();

        var windows = tokens.HeldOutWindows(ctx, EvalWindows);
        var batches = Enumerable.Range(0, (windows.Size(0) + 7) / 8).Select(i => windows.Narrow(0, 8 * i, Math.Min(8, windows.Size(0) - 8 * i)).To(model.Device)).ToList();
        var metrics = SaeMetrics.Compute(sae, batches.Select(b => ActivationStore.Rows(model, Hook, b, 1)));
        var ce = CeLossRecovered.Compute(model, sae, Hook, batches, firstPosition: 1);
        var (weights, cfg) = sae.Save(outDir);
        JsonFile.Write(Path.Combine(outDir, "metrics.json"), new
        {
            hook = Hook, arch = "topk", k = K, d_in = config.DIn, d_sae = config.DSae, steps, training_seconds = training.Wall.TotalSeconds, eval_rows = metrics.Rows,
            l0 = metrics.L0, explained_variance = metrics.ExplainedVariance, mse = metrics.Mse, dead_fraction = metrics.DeadFraction, dense_fraction = metrics.DenseFraction,
            ce_clean = ce.Clean, ce_spliced = ce.Spliced, ce_zero_ablation = ce.ZeroAblation, ce_loss_recovered = ce.Recovered,
        });

        var features = Browse(model, sae, tokenizer, windows, metrics.FeatureDensity);
        string browser = WriteBrowser(outDir, sae, metrics, ce, features);
        return new CodeLmSaeRun(sae, training, metrics, ce, features, outDir, browser);
    }

    /// <summary>The shown features: the live ones spread evenly over the density ranking.</summary>
    static IReadOnlyList<CodeLmFeature> Browse(HookedTransformer model, SparseAutoencoder sae, ITokenizer tokenizer, Tensor windows, double[] density)
    {
        using var _ = GradMode.NoGrad();
        var live = Enumerable.Range(0, density.Length).Where(i => density[i] > 0).OrderByDescending(i => density[i]).ToArray();
        var shown = live.Length <= Shown ? live : Enumerable.Range(0, Shown).Select(j => live[j * live.Length / Shown]).ToArray();
        int n = windows.Size(0), pos = windows.Size(1);
        var ids = windows.ToIntArray();
        // acts[feature][seq * pos + p], position 0 left at 0
        var acts = shown.Select(_ => new double[n * pos]).ToArray();
        for (int s = 0; s < n; s++)
        {
            var rows = ActivationStore.Rows(model, Hook, windows.Narrow(0, s, 1).To(model.Device), 1);
            var f = sae.Encode(rows.To(sae.Config.DType).To(sae.Device)).To(DType.Float64).To(Device.Cpu);
            for (int j = 0; j < shown.Length; j++)
            {
                var column = f.Select(1, shown[j]).ToDoubleArray();
                Array.Copy(column, 0, acts[j], s * pos + 1, pos - 1);
            }
        }
        var unembed = FeatureAnalysis.DirectLogitEffects(model, sae);
        string Text(int t) => tokenizer.Decode([t]);
        return shown.Select((feature, j) =>
        {
            var a = acts[j];
            var top = Enumerable.Range(0, a.Length).Where(i => a[i] > 0).OrderByDescending(i => a[i]).ToList();
            var contexts = new List<(string[], double[])>();
            var used = new HashSet<(int, int)>();
            foreach (int i in top)
            {
                int s = i / pos, p = i % pos;
                if (used.Any(u => u.Item1 == s && Math.Abs(u.Item2 - p) < 8)) continue;   // one context per stretch of text
                used.Add((s, p));
                int from = Math.Max(1, p - 12), to = Math.Min(pos - 1, p + 3);
                contexts.Add((Enumerable.Range(from, to - from + 1).Select(q => Text(ids[s * pos + q])).ToArray(),
                    Enumerable.Range(from, to - from + 1).Select(q => a[s * pos + q]).ToArray()));
                if (contexts.Count == 5) break;
            }
            var effect = unembed.Select(0, feature).To(DType.Float64).To(Device.Cpu).ToDoubleArray();
            var up = Enumerable.Range(0, effect.Length).OrderByDescending(t => effect[t]).Take(8).Select(t => (Text(t), effect[t])).ToList();
            return new CodeLmFeature(feature, density[feature], contexts, top.Select(i => a[i]).ToArray(), up);
        }).ToList();
    }

    static string WriteBrowser(string folder, SparseAutoencoder sae, SaeMetrics m, CeLossRecovered ce, IReadOnlyList<CodeLmFeature> features)
    {
        var report = new HtmlReport($"Feature browser: top-k SAE on {Hook} of the 1-layer code model");
        report.Paragraph($"d_sae {sae.DSae}, k {sae.Config.K}. Held-out code ({m.Rows:N0} positions): L0 {F(m.L0)}, explained variance {F(m.ExplainedVariance)}, " +
            $"dead {m.DeadFraction:P1}, CE loss clean {F(ce.Clean)}, with the SAE spliced in {F(ce.Spliced)}, MLP output zeroed {F(ce.ZeroAblation)}: recovered {F(ce.Recovered)}.");
        foreach (var f in features)
        {
            report.Heading($"Feature {f.Index} (density {f.Density:G3})", 3);
            if (f.Contexts.Count > 0)
                report.Tokens(new TokenView($"feature {f.Index}: top held-out contexts", f.Contexts.Select(c => (IReadOnlyList<string>)c.Tokens).ToList(),
                    f.Contexts.Select(c => (IReadOnlyList<double>)c.Acts).ToList()) { Scale = ColorScale.Sequential(0, Math.Max(1e-6, f.Activations.DefaultIfEmpty(0).Max())), ValueLabel = "activation" },
                    "each row one held-out context (12 tokens before the strongest activation, 3 after), coloured by the feature's activation");
            report.Figure(Histogram(f), $"feature {f.Index}: histogram of its {f.Activations.Length:N0} nonzero activations on held-out code");
            report.Paragraph("Raises the logits of: " + string.Join(", ", f.LogitsUp.Select(u => $"{Show(u.Token)} ({F(u.Effect)})")));
        }
        report.Save(folder);
        return Path.Combine(folder, "index.html");
    }

    static LinePlot Histogram(CodeLmFeature f)
    {
        double max = Math.Max(1e-6, f.Activations.DefaultIfEmpty(0).Max());
        const int bins = 20;
        var counts = new double[bins];
        foreach (var a in f.Activations) counts[Math.Min(bins - 1, (int)(a / max * bins))]++;
        var x = new List<double>();
        var y = new List<double>();
        for (int b = 0; b < bins; b++)
        {
            x.Add(b * max / bins); y.Add(counts[b]);
            x.Add((b + 1) * max / bins); y.Add(counts[b]);
        }
        return new LinePlot($"feature {f.Index} activations", "activation", "positions").Line("positions per bin", x, y);
    }

    /// <summary>A token's text made visible (spaces as ·, newlines as ⏎).</summary>
    public static string Show(string token) => "'" + token.Replace(" ", "·").Replace("\n", "⏎").Replace("\t", "⇥") + "'";

    static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
