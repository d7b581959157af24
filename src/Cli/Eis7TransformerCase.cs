using Interp.Analysis.Cases;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp case eis7-transformer</c>: retrain the challenge-2 transformer (or load a saved run) and write its report.</summary>
public static class Eis7TransformerCase
{
    public const string Usage = """
        usage: interp case eis7-transformer [--steps N] [--seed S] [--max-pairs N] [--labels FILE] [--out DIR]
                                            [--save DIR] [--model DIR] [--quiet]

        Trains the EIS VII challenge-2 transformer (1 layer, d_model 128, 8 heads of 16, ReLU MLP 1024, no LayerNorm,
        no attention/unembed biases, learned positions; tokens "x y =", label 0/1 predicted at "=") with full-batch AdamW
        (lr 5e-4, betas 0.9/0.98, weight decay 1, 10 warm-up steps) on a seeded random half of the 113 x 113 pairs, prints
        the test-half accuracy and the wall time, and writes a report: true vs learned label grids, Fourier spectrum of
        the embedding, attention from "=", PCA of the residual before the MLP, logit contribution of x, y and the rest.
          --steps N       optimizer steps (default 5000)
          --seed S        seed of the initialisation and the split (default 0)
          --max-pairs N   train and test on N random pairs only (a quick check; default all 12,769)
          --labels FILE   the labels (default ../shared/data/eis7/transformer_labels.safetensors)
          --out DIR       the report folder (default report/eis7-transformer)
          --save DIR      also save the trained model and run (default DIR/run inside the report folder)
          --model DIR     skip training: report on a run saved with --save
          --quiet         no progress lines
        Progress goes to stderr; Ctrl-C stops training after the current step and reports on the model as it is.
        """;

    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("interp case eis7-transformer", args,
            ["--steps", "--seed", "--max-pairs", "--labels", "--out", "--save", "--model"], ["--quiet"]).NoPositionals();
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        string labelsPath = a.Get("--labels") ?? Eis7Labels.DefaultPath
            ?? throw new CliError("interp case eis7-transformer: no shared data folder found; name the labels with --labels FILE");
        if (!File.Exists(labelsPath)) throw new CliError($"interp case eis7-transformer: labels file not found: '{labelsPath}'");
        var labels = Eis7Labels.Load(labelsPath);
        string outDir = a.Get("--out", Path.Combine("report", "eis7-transformer"));
        Directory.CreateDirectory(outDir);
        var progress = new Progress(a.Has("--quiet"));

        Eis7TransformerRun run;
        if (a.Get("--model") is string saved)
        {
            run = Eis7TransformerRunFiles.Load(saved, labels.Size);
            progress.Note($"eis7-transformer: loaded the run in {saved} ({run.Final.Step} steps)");
        }
        else
        {
            var options = new Eis7TransformerOptions(Steps: a.GetInt("--steps", 5000, min: 1), Seed: a.GetSeed(),
                MaxPairs: a.Has("--max-pairs") ? a.GetInt("--max-pairs", 0, min: 4) : null);
            progress.Note($"eis7-transformer: d_model {options.DModel}, {options.NHeads}x{options.DHead} heads, d_mlp {options.DMlp}; full-batch AdamW lr {options.LearningRate}, " +
                $"wd {options.WeightDecay}, {options.Steps} steps, seed {options.Seed}{(options.MaxPairs is int m ? $", {m} pairs" : "")}");
            run = TrainWithCtrlC(labels, options, progress);
            string saveDir = a.Get("--save", Path.Combine(outDir, "run"));
            Eis7TransformerRunFiles.Save(run, saveDir);
            Console.WriteLine($"saved the model and run to {saveDir}");
        }
        var f = run.Final;
        Console.WriteLine($"test accuracy: {100 * f.TestAccuracy:F2} % on {run.TestPairs.Length} held-out pairs (train {100 * f.TrainAccuracy:F2} % on {run.TrainPairs.Length})");
        Console.WriteLine($"steps: {f.Step}, training wall time: {run.Wall.TotalSeconds:F1} s");
        progress.Note("eis7-transformer: analysing (Fourier, attention, PCA, logit paths) and writing the report");
        Eis7TransformerReport.Build(run, labels, outDir, "interp case eis7-transformer " + string.Join(' ', args));
        Console.WriteLine($"report: {Path.Combine(outDir, "index.html")}");
        return 0;
    }

    static Eis7TransformerRun TrainWithCtrlC(Eis7Labels labels, Eis7TransformerOptions options, Progress progress)
    {
        using var stop = new StopOnCtrlC();
        try
        {
            return Eis7Transformer.Train(labels, options, progress.Report,
                e => progress.Note($"step {e.Step}: train loss {e.TrainLoss:F4} acc {100 * e.TrainAccuracy:F2} %, test loss {e.TestLoss:F4} acc {100 * e.TestAccuracy:F2} %"),
                stop.Requested);
        }
        finally { progress.Finish(); }
    }
}
