using System.CommandLine;
using Interp.Analysis.Neurons;

namespace Interp.Cli;

/// <summary><c>interp ablate</c>: zero, mean or resample ablation of a set of units, and what it does to the labels.</summary>
public sealed class AblateCommand : Command
{
    readonly ImageModelInputs inputs = new();
    readonly Option<string> hook = Vocabulary.Text("--hook", "the layer whose units are ablated (features of a dense layer, channels of a conv layer)", "hook_relu3");
    readonly Option<string> units = Vocabulary.Text("--units", "comma-separated unit indices, e.g. 3,17,56 (required)");
    readonly Option<bool> keep = Vocabulary.Flag("--keep", "keep only --units and ablate every other unit of the hook");
    readonly Option<string> mode = Vocabulary.Choice("--mode", "mean", "zero, mean (over the images) or resample (from another image)", "zero", "mean", "resample");
    readonly Option<ulong> seed = Vocabulary.Seed("seed of resample ablation");
    readonly Option<int> show = Vocabulary.Int("--show", 10, "changed images to list", min: 0);

    public AblateCommand() : base("ablate", """
        Ablates a set of units and reports the effect on the metric and on the model's labels.

        Replaces the activation of --units of --hook (or, with --keep, of every other unit) by 0, by its mean over the
        images, or by its value on another image, and prints the agreement of the ablated model's labels with the
        full model's, the label changes by direction, and the mean metric (--logits) before and after.
        """)
    {
        inputs.AddTo(this);
        foreach (var option in new Option[] { hook, units, keep, mode, seed, show }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var chosen = ImageModelInputs.ParseUnits(Vocabulary.Required(r, units), "--units");
        var run = inputs.Load(r);
        var (plus, minus) = inputs.Metric(r);
        string hook = r.GetValue(this.hook)!;
        var ablated = r.GetValue(keep) ? Ablation.AllBut(run, hook, chosen) : chosen;
        var result = Ablation.Run(run, hook, ablated, NeuronsCommand.ParseMode(r.GetValue(mode)!), plus, minus, r.GetValue(seed));
        Console.WriteLine($"{result.Mode.ToString().ToLowerInvariant()}-ablated {ablated.Length} of {Ablation.UnitCount(run, hook)} units of {hook}" +
            (r.GetValue(keep) ? $" (kept: {string.Join(" ", chosen)})" : $": {string.Join(" ", ablated)}"));
        Console.WriteLine($"labels unchanged: {100 * result.Agreement:F2} % of {run.Count} images ({result.Changed.Length} changed)");
        for (int from = 0; from < run.Classes; from++)
            for (int to = 0; to < run.Classes; to++)
                if (result.Changes[from, to] > 0) Console.WriteLine($"  {from} -> {to}: {result.Changes[from, to]}");
        Console.WriteLine($"mean {ImageModelInputs.MetricName((plus, minus))}: {result.MetricBefore:F3} -> {result.MetricAfter:F3}");
        int n = Math.Min(r.GetValue(show), result.Changed.Length);
        if (n > 0) Console.WriteLine($"first changed images (index: class, label before -> after): " +
            string.Join("  ", result.Changed.Take(n).Select(i => $"{i}: {run.Data.Labels[i]}, {run.Labels[i]}->{result.Labels[i]}")));
        return 0;
    }
}
