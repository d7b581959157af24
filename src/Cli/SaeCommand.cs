using System.Diagnostics;
using System.Globalization;
using Interp.Analysis.Sae;
using Interp.Data.Tasks;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Cli;

/// <summary><c>interp sae</c>: trains a sparse autoencoder on one hook point of a model, evaluates it and writes a feature report.</summary>
public static class SaeCommand
{
    public const string Usage = """
        usage: interp sae [--model DIR] [--hook NAME] [--arch standard|topk] [--d-sae N] [--l1 X] [--k N] [--steps N]
                          [--batch N] [--lr X] [--resample-every N] [--data repeated|random] [--seed S] [--device cpu|cuda]
                          [--out DIR] [--features N] [--quiet]

        Trains a sparse autoencoder (SAELens's definitions: f = ReLU((x - b_dec) W_enc + b_enc), x^ = f W_dec + b_dec,
        unit-norm decoder rows, b_dec from the geometric median) on the activations of one hook point, fed from a
        shuffled buffer of activations of the model on generated token sequences. Then prints L0, MSE, explained
        variance, dead/dense feature fractions and the cross-entropy loss recovered when the reconstruction is spliced
        back into the model, and writes the SAE (SAELens names) and an HTML feature report.
          --model DIR        a folder from `interp train induction` (model.safetensors + config.json; default runs/induction)
          --hook NAME        hook point (default blocks.0.hook_resid_post, else the last block's hook_resid_post)
          --arch A           standard (ReLU, L1 penalty weighted by decoder norms; default) or topk
          --d-sae N          features (default 8 x d_in)
          --l1 X             L1 coefficient of the standard SAE (default 0.5, for activations of squared norm ~5)
          --k N              active features of the topk SAE (default 8)
          --steps N          optimizer steps (default 1000)
          --batch N          activation rows per step (default 1024)
          --lr X             Adam learning rate (default 3e-3)
          --resample-every N resample features dead for N steps (default 250; 0 = never)
          --data D           token source: repeated ([BOS] + L random tokens + the same L again, the induction task,
                             L = (n_ctx - 1) / 2; default) or random (n_ctx uniform tokens)
          --features N       features shown in the report (default 24, spread over the live features by density)
          --seed S           seed of the SAE, the data and the shuffles (default 0)
          --out DIR          sae.safetensors, cfg.json, metrics.json and report/ go here (default runs/sae)
          --quiet            no progress lines
        The BOS position is not used for training or metrics (its activation is atypical).
        """;

    const int SequencesPerBatch = 32, EvalBatches = 16;

    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("interp sae", args,
            ["--model", "--hook", "--arch", "--d-sae", "--l1", "--k", "--steps", "--batch", "--lr", "--resample-every", "--data",
             "--features", "--seed", "--out", "--device"], ["--quiet"]).NoPositionals();
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        var wall = Stopwatch.StartNew();
        string arch = a.Get("--arch", "standard");
        if (arch is not ("standard" or "topk")) throw new CliError($"interp sae: --arch must be standard or topk, got '{arch}'");
        double lr = a.GetDouble("--lr", 3e-3);
        if (!(lr > 0)) throw new CliError($"interp sae: --lr must be positive, got {lr}");
        int steps = a.GetInt("--steps", 1000, min: 1), resampleEvery = a.GetInt("--resample-every", 250, min: 0);
        int shownCount = a.GetInt("--features", 24, min: 0);
        var device = a.GetDevice();
        string modelPath = a.Get("--model", Path.Combine("runs", "induction"));
        var model = ModelFiles.LoadTransformer(modelPath, device);
        model.Eval();
        string hook = a.Get("--hook") ?? DefaultHook(model);
        if (!model.HookPoints.ContainsKey(hook))
            throw new CliError($"interp sae: the model has no hook point '{hook}' (e.g. {string.Join(", ", model.HookPoints.Keys.Where(k => k.Contains("resid")).Take(6))})");
        ulong seed = a.GetSeed();
        string outDir = a.Get("--out", Path.Combine("runs", "sae"));
        try { Directory.CreateDirectory(outDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliError($"interp sae: cannot create the output folder '{outDir}': {e.Message}");
        }

        var (nextTokens, firstPosition, dataName) = TokenSource(model, a.Get("--data", "repeated"), seed);
        int batch = a.GetInt("--batch", 1024, min: 1);
        if (a.Has("--l1") && !(a.GetDouble("--l1", 0) >= 0)) throw new CliError($"interp sae: --l1 must be >= 0, got {a.Get("--l1")}");
        var store = new ActivationStore(model, hook, nextTokens, batch, Math.Max(16 * batch, 2 * batch), seed, firstPosition);
        int dIn = store.DIn;
        var config = new SaeConfig
        {
            Architecture = arch, DIn = dIn, DSae = a.GetInt("--d-sae", 8 * dIn, min: 1), HookName = hook,
            K = arch == "topk" ? a.GetInt("--k", 8, min: 1) : 0, L1Coefficient = arch == "topk" ? 0 : a.GetDouble("--l1", 0.5),
            ModelName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath))), ContextSize = model.Config.NCtx, Seed = seed,
        };
        SparseAutoencoder sae;
        try { sae = new SparseAutoencoder(config); }
        catch (ArgumentException e) { throw new CliError($"interp sae: {e.Message}"); }
        sae.To(device);
        var options = new SaeTrainingOptions(Steps: steps, LearningRate: lr, ResampleEvery: resampleEvery, ResampleRows: 8 * batch, InitRows: 8192);
        var progress = new Progress(a.Has("--quiet"));
        progress.Note($"sae: {arch} d_in {dIn} -> d_sae {config.DSae} on {hook} of {modelPath} ({dataName} tokens); " +
            (arch == "topk" ? $"k {config.K}" : $"l1 {config.L1Coefficient}") + $", Adam lr {options.LearningRate}, {options.Steps} steps of {batch} rows, seed {seed}");
        var trainer = new SaeTrainer(sae, store.NextBatch, store.Collect, options, seed);
        var training = trainer.Run(progress.Report, progress.Note);
        progress.Finish();

        progress.Note("evaluating ...");
        // held-out sequences from their own stream, the same for every run with this seed whatever the training consumed
        var (nextEvalTokens, _, _) = TokenSource(model, a.Get("--data", "repeated"), seed ^ 0xE7A1);
        var evalTokens = Enumerable.Range(0, EvalBatches).Select(_ => nextEvalTokens()).ToList();
        var metrics = SaeMetrics.Compute(sae, evalTokens.Select(t => ActivationStore.Rows(model, hook, t, firstPosition)));
        var ce = CeLossRecovered.Compute(model, sae, hook, evalTokens, firstPosition);
        var examples = FeatureAnalysis.TopActivatingExamples(model, sae, hook, evalTokens, topN: 5, contextBefore: 8, firstPosition);
        var effects = dIn == model.Config.DModel ? FeatureAnalysis.DirectLogitEffects(model, sae) : null;
        var shown = ShownFeatures(metrics.FeatureDensity, shownCount);

        var (weights, cfg) = sae.Save(outDir);
        string metricsPath = Path.Combine(outDir, "metrics.json");
        Interp.Analysis.Plot.AtomicFile.WriteAllText(metricsPath, System.Text.Json.JsonSerializer.Serialize(new
        {
            hook, arch, d_in = dIn, d_sae = config.DSae, steps = options.Steps, batch, training_seconds = training.Wall.TotalSeconds,
            final_loss = training.Losses[^1], resampled = training.Resamplings.Select(r => new { step = r.Step, features = r.Resampled }),
            l0 = metrics.L0, mse = metrics.Mse, mse_per_row = metrics.MsePerRow, explained_variance = metrics.ExplainedVariance,
            dead_fraction = metrics.DeadFraction, dense_fraction = metrics.DenseFraction, eval_rows = metrics.Rows,
            ce_clean = ce.Clean, ce_spliced = ce.Spliced, ce_zero_ablation = ce.ZeroAblation, ce_loss_recovered = ce.Recovered,
        }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        var (index, histogram) = FeatureReport.Write(Path.Combine(outDir, "report"), sae, metrics, ce, examples, effects, shown);

        Console.WriteLine($"sae: {arch}, d_in {dIn}, d_sae {config.DSae}, hook {hook}, {options.Steps} steps of {batch} rows in {training.Wall.TotalSeconds:F1} s" +
            (training.Resamplings.Count > 0 ? $", resampled {string.Join("/", training.Resamplings.Select(r => r.Resampled))} dead features" : ""));
        Console.WriteLine($"L0: {F(metrics.L0)}   MSE: {F(metrics.Mse)} (per row {F(metrics.MsePerRow)})   explained variance: {F(metrics.ExplainedVariance)}");
        Console.WriteLine($"dead features: {metrics.DeadFraction:P1}   dense (> {metrics.DenseThreshold:P0} of rows): {metrics.DenseFraction:P1}   over {metrics.Rows:N0} rows");
        Console.WriteLine($"CE loss: clean {F(ce.Clean)}, SAE spliced {F(ce.Spliced)}, zero ablation {F(ce.ZeroAblation)}; recovered {F(ce.Recovered)}");
        Console.WriteLine($"wrote {weights}, {cfg}, {metricsPath}, {index}, {histogram}; wall time {wall.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    static string DefaultHook(HookedTransformer model) =>
        model.HookPoints.ContainsKey("blocks.0.hook_resid_post") && model.Config.NLayers > 1
            ? "blocks.0.hook_resid_post" : $"blocks.{model.Config.NLayers - 1}.hook_resid_post";

    /// <summary>The token batches, the first position to use and a name for the data.</summary>
    static (Func<Tensor> Next, int FirstPosition, string Name) TokenSource(HookedTransformer model, string data, ulong seed)
    {
        int vocab = model.Config.DVocab, nCtx = model.Config.NCtx;
        switch (data)
        {
            case "repeated":
                if (nCtx < 3 || vocab < 2) throw new CliError($"interp sae: --data repeated needs n_ctx >= 3 and a vocabulary of 2+, the model has {nCtx} and {vocab}");
                var task = new RepeatedTokens(vocab, (nCtx - 1) / 2, bos: 0, seed: seed ^ 0x5AE5AE);
                return (() => task.Batch(SequencesPerBatch), 1, $"repeated random (BOS + {task.Length} + {task.Length})");
            case "random":
                var gen = new Generator(seed ^ 0x5AE5AE);
                return (() => Tensor.RandInt(0, vocab, [SequencesPerBatch, nCtx], gen), 0, $"uniform random ({nCtx})");
            default:
                throw new CliError($"interp sae: --data must be repeated or random, got '{data}'");
        }
    }

    /// <summary>Up to n live features, spread evenly over the live features ranked by density (most frequent first).</summary>
    static int[] ShownFeatures(double[] density, int n)
    {
        var live = Enumerable.Range(0, density.Length).Where(i => density[i] > 0).OrderByDescending(i => density[i]).ToArray();
        if (n >= live.Length) return live;
        return Enumerable.Range(0, n).Select(j => live[(int)((long)j * live.Length / n)]).ToArray();
    }

    static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
