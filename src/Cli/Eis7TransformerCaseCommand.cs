using System.CommandLine;
using Interp.Analysis.Cases;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp case eis7-transformer</c>: retrain the challenge-2 transformer (or load a saved run) and write its report.</summary>
public sealed class Eis7TransformerCaseCommand : Command
{
    readonly Option<int> steps = Vocabulary.Steps(5000);
    readonly Option<double> lr = Vocabulary.Lr(new Eis7TransformerOptions().LearningRate, "peak AdamW learning rate");
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the initialisation (and of the split with --split seeded)");
    readonly Option<string> split = Vocabulary.Choice("--split", "challenge",
        "challenge: the challenge's own split (CPython random.seed(0), random.shuffle of the pairs, first half trains); seeded: a random half drawn from --seed",
        Eis7TransformerOptions.Splits);
    readonly Option<string> init = Vocabulary.Choice("--init", "grokking",
        "grokking: Nanda's initialisation, as the challenge's code (weights ~ N(0, 1/d_model), unembed N(0, 1/d_vocab)); transformer-lens: TransformerLens's",
        Eis7TransformerOptions.Inits);
    readonly Option<string> initFrom = Vocabulary.Text("--init-from",
        "start from these weights instead of --init (a safetensors file in TransformerLens's names, e.g. PyTorch's initial weights from bench/peers/eis7_grokking.py --save-init)");
    readonly Option<string> stopRule = Vocabulary.Choice("--stop", "none",
        "none: run every step (the recipe as published); fitted: stop at the first evaluation where every training pair is right (or --patience steps after); " +
        "validation: hold out --validation-fraction of the train half (a fixed-seed slice), train on the rest, keep the checkpoint with the lowest " +
        "validation loss, stop after --patience steps without a lower one. Neither reads the test half",
        Eis7TransformerStop.Rules);
    readonly Option<int?> patience = Vocabulary.MaybeInt("--patience", "steps to go on after the stop rule's point (default 0 for fitted, 100 for validation)", min: 0);
    readonly Option<double> validationFraction = Vocabulary.Double("--validation-fraction", new Eis7TransformerOptions().ValidationFraction,
        "with --stop validation: the share of the train half held out (default 0.1: 638 of 6,384 pairs, which are then not trained on)", positive: true);
    readonly Option<int?> evalEvery = Vocabulary.MaybeInt("--eval-every", "evaluate (and check the stop rule) every N steps (default 500, or 10 with --stop)", min: 1);
    readonly Option<int?> maxPairs = Vocabulary.MaybeInt("--max-pairs", "train and test on N random pairs only (a quick check; default all 12,769)", min: 4);
    readonly Option<string> labels = Vocabulary.Text("--labels", "the labels (default ../shared/data/eis7/transformer_labels.safetensors)");
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "eis7-transformer"), "the report folder");
    readonly Option<string> save = Vocabulary.Text("--save", "also save the trained model and run here (default: run/ inside the report folder)");
    readonly Option<string> model = Vocabulary.Model("skip training: report on a run saved with --save");
    readonly Option<bool> detectAnomaly = Vocabulary.DetectAnomaly();
    readonly Option<bool> quiet = Vocabulary.Quiet();

    public Eis7TransformerCaseCommand() : base("eis7-transformer", """
        The EIS VII challenge-2 transformer, retrained and analysed.

        Trains the EIS VII challenge-2 transformer (1 layer, d_model 128, 8 heads of 16, ReLU MLP 1024, no LayerNorm,
        no attention/unembed biases, learned positions; tokens "x y =", label 0/1 predicted at "=") with the challenge's
        recipe: Nanda's init, full-batch AdamW (lr 5e-4 unless --lr, betas 0.9/0.98, weight decay 1, rate min(step/10, 1)),
        cross-entropy over the whole vocabulary, on the challenge's own split of the 113 x 113 pairs (its first half
        trains). The recipe as published runs every step; --stop fitted or --stop validation ends the run early by a
        rule that reads training data only, never the test half. Prints the test-half accuracy beside the challenge
        model's on the same half and the wall time, and writes a report: true vs learned label grids, Fourier spectrum
        of the embedding, attention from "=", PCA of the residual before the MLP, logit contribution of x, y and the rest.
        Progress goes to stderr; Ctrl-C stops training after the current step and reports on the model as it is.
        """)
    {
        foreach (var option in new Option[] { steps, lr, seed, split, init, initFrom, stopRule, patience, validationFraction, evalEvery, maxPairs, labels, outDir, save, model, detectAnomaly, quiet }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        CheckStopOptions(r);
        string labelsPath = r.GetValue(this.labels) ?? Eis7Labels.DefaultPath
            ?? throw new CliError("no shared data folder found; name the labels with --labels FILE");
        if (!File.Exists(labelsPath)) throw new CliError($"labels file not found: '{labelsPath}'");
        if (r.GetValue(initFrom) is string initFile && !File.Exists(initFile)) throw new CliError($"initial weights not found: '{initFile}'");
        string outDir = Vocabulary.Folder(r.GetValue(this.outDir)!);
        string saveDir = r.GetValue(save) ?? Path.Combine(outDir, "run");
        if (r.GetValue(model) is null) Vocabulary.Folder(saveDir, "--save");
        var labels = Eis7Labels.Load(labelsPath);
        var progress = new Progress(r.GetValue(quiet));

        Eis7TransformerRun run;
        if (r.GetValue(model) is string saved)
        {
            run = Eis7TransformerRunFiles.Load(saved, labels.Size);
            progress.Note($"eis7-transformer: loaded the run in {saved} ({run.StepsRun} steps)");
        }
        else
        {
            string rule = r.GetValue(stopRule)!;
            double vf = r.GetValue(validationFraction);
            var options = new Eis7TransformerOptions(Steps: r.GetValue(steps), Seed: r.GetValue(seed), MaxPairs: r.GetValue(maxPairs), LearningRate: r.GetValue(lr),
                Split: r.GetValue(split)!, Init: r.GetValue(init)!, InitFrom: r.GetValue(initFrom),
                EvalEvery: r.GetValue(evalEvery) ?? (rule == "none" ? 500 : 10), Stop: rule, Patience: r.GetValue(patience), ValidationFraction: vf);
            progress.Note($"eis7-transformer: d_model {options.DModel}, {options.NHeads}x{options.DHead} heads, d_mlp {options.DMlp}, {(options.InitFrom is string from ? $"weights from {from}" : $"{options.Init} init")}; full-batch AdamW lr {options.LearningRate}, " +
                $"wd {options.WeightDecay}, {options.Steps} steps, seed {options.Seed}, {options.Split} split{(options.MaxPairs is int m ? $", {m} pairs" : "")}; " +
                Eis7TransformerStop.Describe(options));
            using (Vocabulary.AnomalyMode(r.GetValue(detectAnomaly))) run = TrainWithCtrlC(labels, options, progress);
            Eis7TransformerRunFiles.Save(run, saveDir);
            Console.WriteLine($"saved the model and run to {saveDir}");
        }
        var f = run.Final;
        if (run.Options.Stop != "none")
            Console.WriteLine($"stop rule {run.Options.Stop}: trained {run.StepsRun} steps, kept step {f.Step}" +
                (run.ValidationPairs is { Length: > 0 } v ? $" (validation loss {f.ValidationLoss:F4}, accuracy {100 * f.ValidationAccuracy:F2} % on {v.Length} pairs held out of the train half)" : ""));
        Console.WriteLine($"test accuracy: {100 * f.TestAccuracy:F2} % on {run.TestPairs.Length} held-out pairs (train {100 * f.TrainAccuracy:F2} % on {run.TrainPairs.Length}; {run.Options.Split} split)");
        if (labels.ModelLabels is { } theirs)
            Console.WriteLine($"the challenge's model on the same pairs: test {100 * Eis7Labels.Agreement(theirs, labels.Labels, run.TestPairs):F2} %, " +
                $"train {100 * Eis7Labels.Agreement(theirs, labels.Labels, run.TrainPairs):F2} %");
        Console.WriteLine($"steps: {run.StepsRun}, training wall time: {run.Wall.TotalSeconds:F1} s");
        progress.Note("eis7-transformer: analysing (Fourier, attention, PCA, logit paths) and writing the report");
        Eis7TransformerReport.Build(run, labels, outDir, "interp case eis7-transformer " + string.Join(' ', r.Tokens.Skip(2).Select(t => t.Value)));
        Console.WriteLine($"report: {Path.Combine(outDir, "index.html")}");
        return 0;
    }

    /// <summary>The stop options that only make sense together, refused before anything is read or written.</summary>
    void CheckStopOptions(ParseResult r)
    {
        string rule = r.GetValue(stopRule)!;
        if (rule != "validation" && r.GetResult(validationFraction) is { Implicit: false })
            throw new CliError("--validation-fraction needs --stop validation");
        if (rule == "none" && r.GetValue(patience) is not null) throw new CliError("--patience needs --stop fitted or --stop validation");
        if (r.GetValue(validationFraction) >= 1) throw new CliError($"--validation-fraction must lie in (0, 1), got {r.GetValue(validationFraction)}");
    }

    static Eis7TransformerRun TrainWithCtrlC(Eis7Labels labels, Eis7TransformerOptions options, Progress progress)
    {
        using var stop = new StopOnCtrlC();
        try
        {
            return Eis7Transformer.Train(labels, options, progress.Report,
                e => progress.Note($"step {e.Step}: train loss {Progress.FormatLoss(e.TrainLoss)} acc {100 * e.TrainAccuracy:F2} %, " +
                    (double.IsNaN(e.ValidationLoss) ? "" : $"validation loss {e.ValidationLoss:F4} acc {100 * e.ValidationAccuracy:F2} %, ") +
                    $"test loss {e.TestLoss:F4} acc {100 * e.TestAccuracy:F2} %"),
                stop.Requested);
        }
        finally { progress.Finish(); }
    }
}
