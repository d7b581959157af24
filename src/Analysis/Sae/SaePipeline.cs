using System.Text.Json;
using Interp.Data.Tasks;
using Interp.IO;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Analysis.Sae;

/// <summary>What <see cref="SaePipeline.Run"/> trains, on which activations; the defaults are <c>interp sae</c>'s.</summary>
/// <param name="Hook">the hook point; null: <see cref="SaePipeline.DefaultHook"/></param>
/// <param name="Architecture">standard (ReLU, L1 penalty weighted by decoder norms) or topk</param>
/// <param name="DSae">features; null: 8 x d_in</param>
/// <param name="L1">L1 coefficient of the standard SAE (0.5 suits activations of squared norm ~5)</param>
/// <param name="K">active features of the topk SAE</param>
/// <param name="ResampleEvery">resample features dead for this many steps (0: never)</param>
/// <param name="Data">repeated ([BOS] + L random tokens + the same L again, L = (n_ctx - 1) / 2) or random (n_ctx uniform tokens)</param>
/// <param name="Features">features shown in the report, spread over the live features by density</param>
public sealed record SaePipelineOptions(string? Hook = null, string Architecture = "standard", int? DSae = null, double L1 = 0.5, int K = 8,
    int Steps = 1000, int Batch = 1024, double LearningRate = 3e-3, int ResampleEvery = 250, string Data = "repeated", int Features = 24,
    ulong Seed = 0, string ModelName = "model");

/// <summary>The trained SAE, its figures and the files written.</summary>
public sealed record SaeRun(SparseAutoencoder Sae, SaeTrainingResult Training, SaeMetrics Metrics, CeLossRecovered Ce, string DataName,
    string WeightsFile, string ConfigFile, string MetricsFile, string ReportFile, string HistogramFile);

/// <summary>
/// The whole SAE pipeline on one hook point of a model: a shuffled buffer of the model's activations on generated
/// tokens, training (SAELens's definitions, dead-feature resampling), evaluation on held-out sequences (L0, MSE,
/// explained variance, dead/dense fractions, cross-entropy loss recovered), and the files: the SAE (SAELens names),
/// metrics.json and an HTML feature report. The BOS position is left out of training and metrics (its activation is
/// atypical).
/// </summary>
public static class SaePipeline
{
    const int SequencesPerBatch = 32, EvalBatches = 16;

    /// <summary>blocks.0.hook_resid_post for a model of two or more layers, else the last block's hook_resid_post.</summary>
    public static string DefaultHook(HookedTransformer model) =>
        model.HookPoints.ContainsKey("blocks.0.hook_resid_post") && model.Config.NLayers > 1
            ? "blocks.0.hook_resid_post" : $"blocks.{model.Config.NLayers - 1}.hook_resid_post";

    /// <summary>Trains, evaluates and writes into <paramref name="outDir"/>; ArgumentException for options the model cannot take.</summary>
    public static SaeRun Run(HookedTransformer model, SaePipelineOptions o, string outDir, Progress? progress = null)
    {
        progress ??= new Progress(quiet: true);
        if (o.Architecture is not ("standard" or "topk")) throw new ArgumentException($"the architecture must be standard or topk, got '{o.Architecture}'");
        if (!(o.LearningRate > 0)) throw new ArgumentException($"the learning rate must be positive, got {o.LearningRate}");
        if (!(o.L1 >= 0)) throw new ArgumentException($"the L1 coefficient must be >= 0, got {o.L1}");
        model.Eval();
        string hook = o.Hook ?? DefaultHook(model);
        if (!model.HookPoints.ContainsKey(hook))
            throw new ArgumentException($"the model has no hook point '{hook}' (e.g. {string.Join(", ", model.HookPoints.Keys.Where(k => k.Contains("resid")).Take(6))})");
        var (nextTokens, firstPosition, dataName) = TokenSource(model, o.Data, o.Seed);
        Directory.CreateDirectory(outDir);

        var store = new ActivationStore(model, hook, nextTokens, o.Batch, Math.Max(16 * o.Batch, 2 * o.Batch), o.Seed, firstPosition);
        int dIn = store.DIn;
        bool topk = o.Architecture == "topk";
        var config = new SaeConfig
        {
            Architecture = o.Architecture, DIn = dIn, DSae = o.DSae ?? 8 * dIn, HookName = hook, K = topk ? o.K : 0, L1Coefficient = topk ? 0 : o.L1,
            ModelName = o.ModelName, ContextSize = model.Config.NCtx, Seed = o.Seed,
        };
        var sae = new SparseAutoencoder(config);
        sae.To(model.Device);
        var options = new SaeTrainingOptions(Steps: o.Steps, LearningRate: o.LearningRate, ResampleEvery: o.ResampleEvery, ResampleRows: 8 * o.Batch, InitRows: 8192);
        progress.Note($"sae: {o.Architecture} d_in {dIn} -> d_sae {config.DSae} on {hook} of {o.ModelName} ({dataName} tokens); " +
            (topk ? $"k {config.K}" : $"l1 {config.L1Coefficient}") + $", Adam lr {options.LearningRate}, {options.Steps} steps of {o.Batch} rows, seed {o.Seed}");
        var training = new SaeTrainer(sae, store.NextBatch, store.Collect, options, o.Seed).Run(progress.Report, progress.Note);
        progress.Finish();

        progress.Note("evaluating ...");
        // held-out sequences from their own stream, the same for every run with this seed whatever the training consumed
        var (nextEvalTokens, _, _) = TokenSource(model, o.Data, o.Seed ^ 0xE7A1);
        var evalTokens = Enumerable.Range(0, EvalBatches).Select(_ => nextEvalTokens()).ToList();
        var metrics = SaeMetrics.Compute(sae, evalTokens.Select(t => ActivationStore.Rows(model, hook, t, firstPosition)));
        var ce = CeLossRecovered.Compute(model, sae, hook, evalTokens, firstPosition);
        var examples = FeatureAnalysis.TopActivatingExamples(model, sae, hook, evalTokens, topN: 5, contextBefore: 8, firstPosition);
        var effects = dIn == model.Config.DModel ? FeatureAnalysis.DirectLogitEffects(model, sae) : null;

        var (weights, cfg) = sae.Save(outDir);
        string metricsFile = Path.Combine(outDir, "metrics.json");
        JsonFile.Write(metricsFile, new
        {
            hook, arch = o.Architecture, d_in = dIn, d_sae = config.DSae, steps = options.Steps, batch = o.Batch, training_seconds = training.Wall.TotalSeconds,
            final_loss = training.Losses[^1], resampled = training.Resamplings.Select(r => new { step = r.Step, features = r.Resampled }),
            l0 = metrics.L0, mse = metrics.Mse, mse_per_row = metrics.MsePerRow, explained_variance = metrics.ExplainedVariance,
            dead_fraction = metrics.DeadFraction, dense_fraction = metrics.DenseFraction, eval_rows = metrics.Rows,
            ce_clean = ce.Clean, ce_spliced = ce.Spliced, ce_zero_ablation = ce.ZeroAblation, ce_loss_recovered = ce.Recovered,
        });
        var (index, histogram) = FeatureReport.Write(Path.Combine(outDir, "report"), sae, metrics, ce, examples, effects,
            ShownFeatures(metrics.FeatureDensity, o.Features));
        return new SaeRun(sae, training, metrics, ce, dataName, weights, cfg, metricsFile, index, histogram);
    }

    /// <summary>The token batches, the first position to use and a name for the data.</summary>
    static (Func<Tensor> Next, int FirstPosition, string Name) TokenSource(HookedTransformer model, string data, ulong seed)
    {
        int vocab = model.Config.DVocab, nCtx = model.Config.NCtx;
        switch (data)
        {
            case "repeated":
                if (nCtx < 3 || vocab < 2) throw new ArgumentException($"repeated data needs n_ctx >= 3 and a vocabulary of 2+, the model has {nCtx} and {vocab}");
                var task = new RepeatedTokens(vocab, (nCtx - 1) / 2, bos: 0, seed: seed ^ 0x5AE5AE);
                return (() => task.Batch(SequencesPerBatch), 1, $"repeated random (BOS + {task.Length} + {task.Length})");
            case "random":
                var gen = new Generator(seed ^ 0x5AE5AE);
                return (() => Tensor.RandInt(0, vocab, [SequencesPerBatch, nCtx], gen), 0, $"uniform random ({nCtx})");
            default:
                throw new ArgumentException($"the data must be repeated or random, got '{data}'");
        }
    }

    /// <summary>Up to n live features, spread evenly over the live features ranked by density (most frequent first).</summary>
    static int[] ShownFeatures(double[] density, int n)
    {
        var live = Enumerable.Range(0, density.Length).Where(i => density[i] > 0).OrderByDescending(i => density[i]).ToArray();
        if (n >= live.Length) return live;
        return Enumerable.Range(0, n).Select(j => live[(int)((long)j * live.Length / n)]).ToArray();
    }
}
