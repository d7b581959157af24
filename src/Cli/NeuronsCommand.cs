using System.CommandLine;
using System.Globalization;
using Interp.Analysis.Neurons;
using Interp.Analysis.Plot;

namespace Interp.Cli;

/// <summary><c>interp neurons</c>: census, direct attribution, co-activation groups and faithfulness of one hidden layer.</summary>
public sealed class NeuronsCommand : Command
{
    readonly ModelInputs inputs = new();
    readonly Option<string> hook = Vocabulary.Text("--hook", ModelInputs.HookHelp);
    readonly Option<double> similarity = Vocabulary.Double("--similarity", 0.5, "least mean Jaccard similarity at which co-activation groups merge", min: 0);
    readonly Option<string> mode = Vocabulary.Choice("--mode", "mean", "how the faithfulness curve ablates: zero, mean or resample", "zero", "mean", "resample");
    readonly Option<int> top = Vocabulary.Int("--top", 20, "units listed by attribution", min: 1);
    readonly Option<ulong> seed = Vocabulary.Seed("seed of resample ablation");
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "neurons"), "the report folder");

    public NeuronsCommand() : base("neurons", """
        Census, direct attribution, co-activation groups and faithfulness of a hidden layer.

        Runs the model over its inputs (images for a CNN or an MLP, token sequences for a transformer, measured at one
        position) and, for the units of --hook (features, channels, a transformer's MLP neurons or, on hook_z, its
        heads): counts the dead, sparse and always-on ones; when a direct path reads the hook into the logits (a linear
        layer; a transformer's W_out or W_O, the final LayerNorm and W_U), each unit's direct contribution to --logits
        (mean, spread, mean by the model's label); groups of units that fire together (and pairs of groups that never
        do); and the faithfulness curve: keep the top k units, ablate the rest, agreement with the full model. Writes an
        HTML report.
        """)
    {
        inputs.AddTo(this);
        foreach (var option in new Option[] { hook, similarity, mode, top, seed, outDir }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string folder = Vocabulary.Folder(r.GetValue(outDir)!);
        var run = inputs.Load(r);
        var (plus, minus) = inputs.Metric(r, run);
        var options = new NeuronStudyOptions(ModelInputs.HookOr(r.GetValue(hook), run), plus, minus, r.GetValue(similarity), ParseMode(r.GetValue(mode)!), r.GetValue(seed));
        var study = NeuronStudy.Run(run, options);
        Print(study, r.GetValue(top), run.InputName);
        var report = new HtmlReport($"Neurons of {options.Hook}");
        report.Paragraph($"{run.Count} {run.InputName}; metric {ModelInputs.MetricName((plus, minus))}.");
        NeuronReport.Add(report, study, run, folder, r.GetValue(top));
        report.Save(folder);
        Console.WriteLine($"report: {Path.Combine(folder, "index.html")}");
        return 0;
    }

    public static AblationMode ParseMode(string text) => Enum.Parse<AblationMode>(text, ignoreCase: true);

    static void Print(NeuronStudy s, int top, string inputs)
    {
        var c = s.Census;
        Console.WriteLine($"{c.Hook}: {c.Units.Length} units; dead {c.Count(UnitKind.Dead)}, sparse {c.Count(UnitKind.Sparse)}, " +
            $"ordinary {c.Count(UnitKind.Ordinary)}, always on {c.Count(UnitKind.AlwaysOn)}");
        if (c.Count(UnitKind.Dead) > 0) Console.WriteLine($"dead: {string.Join(" ", c.Of(UnitKind.Dead))}");
        if (s.Attribution is { } a)
        {
            Console.WriteLine($"direct attribution to {a.Target} ({(a.Complete ? $"bias {F(a.Bias)}" : "the rest of the residual stream adds the remainder")}): {a.Units.Count(u => u.Mean > 0)} units push up, {a.Units.Count(u => u.Mean < 0)} down; top {top}:");
            Console.WriteLine($"  unit      mean       std  {string.Join(" ", a.LabelsShown.Select(k => $"{"label " + k,8}"))}  active");
            foreach (int u in s.Ranking.Take(top))
                Console.WriteLine($"  {u,4}  {F(a.Units[u].Mean),8}  {F(a.Units[u].Std),8}  {string.Join(" ", a.Units[u].MeanByLabel.Select(v => $"{F(v),8}"))}  {100 * c.Units[u].FractionActive,5:F1} %");
        }
        var groups = s.Groups.Groups;
        var order = Enumerable.Range(0, groups.Length).OrderByDescending(g => Math.Abs(s.GroupContribution(groups[g])?.Average() ?? groups[g].FractionActive)).ToArray();
        Console.WriteLine($"co-activation groups ({groups.Length}; the 8 largest by {(s.Attribution is null ? "share active" : "|mean summed contribution|")}):");
        foreach (int g in order.Take(8))
        {
            string contribution = s.GroupContribution(groups[g]) is { } v ? $", mean summed contribution {F(v.Average())}" : "";
            Console.WriteLine($"  group {g}: units {string.Join(" ", groups[g].Units)}; active on {100 * groups[g].FractionActive:F1} %{contribution}");
        }
        foreach (var (ga, gb) in s.Groups.NeverTogether()) Console.WriteLine($"  groups {ga} and {gb} are never active together (each active on at least 5 % of the inputs)");
        Console.WriteLine($"faithfulness (keep top k, {s.Options.Mode.ToString().ToLowerInvariant()}-ablate the rest): " +
            string.Join("  ", s.Curve.Select(p => $"k={p.Kept}: {100 * p.Agreement:F1} %")));
    }

    static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
}
