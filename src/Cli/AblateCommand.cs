using System.CommandLine;
using Interp.Analysis.Neurons;

namespace Interp.Cli;

/// <summary><c>interp ablate</c>: zero, mean or resample ablation of a set of units, and what it does to the labels.</summary>
public sealed class AblateCommand : Command
{
    readonly ModelInputs inputs = new();
    readonly Option<string> hook = Vocabulary.Text("--hook", "the layer whose units are ablated (features of a dense layer, channels of a conv layer, a transformer's " +
        "neurons on blocks.L.mlp.hook_post or heads on blocks.L.attn.hook_z, at every position); default as for neurons");
    readonly Option<string> units = Vocabulary.Text("--units", "comma-separated unit indices, e.g. 3,17,56 (required)");
    readonly Option<bool> keep = Vocabulary.Flag("--keep", "keep only --units and ablate every other unit of the hook");
    readonly Option<string> mode = Vocabulary.Choice("--mode", "mean", "zero, mean (over the images) or resample (from another image)", "zero", "mean", "resample");
    readonly Option<ulong> seed = Vocabulary.Seed("seed of resample ablation");
    readonly Option<int> show = Vocabulary.Int("--show", 10, "changed images to list", min: 0);

    public AblateCommand() : base("ablate", """
        Ablates a set of units and reports the effect on the metric and on the model's labels.

        Replaces the activation of --units of --hook (or, with --keep, of every other unit) by 0, by its mean over the
        inputs, or by its value on another input, and prints the agreement of the ablated model's labels with the
        full model's, the label changes by direction, and the mean metric (--logits) before and after. Takes a CNN or
        an MLP on images, or a transformer on token sequences (its labels: the arg-max logit at the position).
        """)
    {
        inputs.AddTo(this);
        foreach (var option in new Option[] { hook, units, keep, mode, seed, show }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var chosen = ModelInputs.ParseUnits(Vocabulary.Required(r, units), "--units");
        var run = inputs.Load(r);
        var (plus, minus) = inputs.Metric(r, run);
        string hook = ModelInputs.HookOr(r.GetValue(this.hook), run);
        var ablated = r.GetValue(keep) ? Ablation.AllBut(run, hook, chosen) : chosen;
        var result = Ablation.Run(run, hook, ablated, NeuronsCommand.ParseMode(r.GetValue(mode)!), plus, minus, r.GetValue(seed));
        Console.WriteLine($"{result.Mode.ToString().ToLowerInvariant()}-ablated {ablated.Length} of {Ablation.UnitCount(run, hook)} units of {hook}" +
            (r.GetValue(keep) ? $" (kept: {string.Join(" ", chosen)})" : $": {string.Join(" ", ablated)}"));
        Console.WriteLine($"labels unchanged: {100 * result.Agreement:F2} % of {run.Count} {run.InputName} ({result.Changed.Length} changed)");
        foreach (var ((from, to), count) in result.Changes) Console.WriteLine($"  {from} -> {to}: {count}");
        Console.WriteLine($"mean {ModelInputs.MetricName((plus, minus))}: {result.MetricBefore:F3} -> {result.MetricAfter:F3}");
        int n = Math.Min(r.GetValue(show), result.Changed.Length);
        string answer = run.OnImages ? "class" : "answer";
        if (n > 0) Console.WriteLine($"first changed {run.InputName} (index: {(run.Answers is null ? "" : answer + ", ")}label before -> after): " +
            string.Join("  ", result.Changed.Take(n).Select(i => $"{i}: {(run.Answers is { } a ? $"{a[i]}, " : "")}{run.Labels[i]}->{result.Labels[i]}")));
        return 0;
    }
}
