using System.Globalization;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Neurons;

/// <summary>
/// The HTML section of a <see cref="NeuronStudy"/>: census counts and the dead units, the top units by direct
/// attribution (mean, spread, mean by the model's label), the co-activation groups with their top digits, and the
/// faithfulness curve.
/// </summary>
public static class NeuronReport
{
    public static void Add(HtmlReport report, NeuronStudy study, ModelOnDataset run, string folder, int topUnits = 20, int digitsPerGroup = 8)
    {
        var o = study.Options;
        string hook = o.Hook, name = hook.Replace("hook_", "").Replace('.', '_');
        Census(report, study.Census, run.OnImages ? "digit" : "sequence");
        if (study.Attribution is { } a) Attribution(report, study, a, run, topUnits);
        else report.Paragraph($"No linear layer reads {hook} straight into the logits, so there is no direct attribution; units are ranked by mean activation.");
        Groups(report, study, run, folder, name, digitsPerGroup);
        if (study.Curve.Length > 0) Curve(report, study, folder, name);
    }

    static string F(double v) => double.IsNaN(v) ? "—" : v.ToString("F3", CultureInfo.InvariantCulture);
    static string P(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %";

    static void Census(HtmlReport report, NeuronCensus c, string input)
    {
        var s = c.Settings;
        report.Heading($"Census of {c.Hook} ({c.Units.Length} units)", 3);
        report.Paragraph($"A unit is active on a {input} when its value exceeds {F(s.Threshold)} (for a convolutional channel: its largest value over the image; " +
            $"for a transformer: its value at the metric's position, a head's the norm of its z). " +
            $"Dead: never active. Always on: active on at least {P(s.AlwaysOn)} of the {input}s. Sparse: on fewer than {P(s.Sparse)}.");
        report.Table(["dead", "sparse", "ordinary", "always on"],
            [[.. new[] { UnitKind.Dead, UnitKind.Sparse, UnitKind.Ordinary, UnitKind.AlwaysOn }.Select(k => c.Count(k).ToString(CultureInfo.InvariantCulture))]]);
        if (c.Count(UnitKind.Dead) > 0) report.Paragraph($"Dead units: {string.Join(", ", c.Of(UnitKind.Dead))}.");
    }

    static void Attribution(HtmlReport report, NeuronStudy study, DirectAttribution a, ModelOnDataset run, int top)
    {
        var census = study.Census;
        report.Heading($"Direct attribution to {a.Target}", 3);
        int positive = a.Units.Count(u => u.Mean > 0), negative = a.Units.Count(u => u.Mean < 0);
        string sum = a.Complete ? $"the contributions and the bias ({F(a.Bias)}) add up to the metric exactly"
            : "the contributions are each unit's share of the metric; the rest of the residual stream (embeddings, other layers, biases) adds the remainder";
        report.Paragraph($"Each unit's activation times its readout weight difference: {sum}. " +
            $"{positive} units push it up on average, {negative} down, the rest never contribute. The top {Math.Min(top, a.Units.Length)} by |mean|:");
        var labels = a.LabelsShown.Select(k => $"mean, model label {k}").ToArray();
        report.Table(["unit", "mean", "std", .. labels, "active on"],
            study.Ranking.Take(top).Select(u => (IReadOnlyList<string>)[
                u.ToString(CultureInfo.InvariantCulture), F(a.Units[u].Mean), F(a.Units[u].Std), .. a.Units[u].MeanByLabel.Select(F), P(census.Units[u].FractionActive)]));
    }

    static void Groups(HtmlReport report, NeuronStudy study, ModelOnDataset run, string folder, string name, int k)
    {
        var g = study.Groups;
        report.Heading("Co-activation groups", 3);
        report.Paragraph($"Live units grouped by how often they fire on the same inputs (Jaccard similarity, average linkage, merged down to " +
            $"{F(study.Options.GroupSimilarity)}). \"Active on\" is the share of inputs where any unit of the group fires.");
        var contributions = g.Groups.Select(study.GroupContribution).ToArray();
        report.Table(["group", "units", "active on", "mean summed contribution", "never together with"],
            g.Groups.Select((grp, i) => (IReadOnlyList<string>)[
                i.ToString(CultureInfo.InvariantCulture), Units(grp.Units), P(grp.FractionActive),
                contributions[i] is { } c ? F(c.Average()) : "—",
                string.Join(", ", g.NeverTogether().Where(p => p.A == i || p.B == i).Select(p => p.A == i ? p.B : p.A))]));
        var big = Enumerable.Range(0, g.Groups.Length).Where(i => g.Groups[i].Units.Length > 1 || g.Groups.Length <= 8).Take(8).ToArray();
        if (big.Length == 0 || !run.OnImages) return;
        var rows = big.SelectMany(i => TopDigits(run, study, g.Groups[i], k)).ToArray();
        string file = $"{name}_groups_top.png";
        ImageGrid.Save(Path.Combine(folder, file), run.Batch(rows), columns: k, scale: 2, range: (0, 1));
        report.Image(file, $"The {k} digits on which each group fires hardest (summed activation), one row per group: {string.Join(", ", big)}.");
    }

    static int[] TopDigits(ModelOnDataset run, NeuronStudy study, UnitGroup g, int k)
    {
        var values = run.UnitValues(study.Options.Hook);
        return Enumerable.Range(0, run.Count).OrderByDescending(i => g.Units.Sum(u => values[i, u])).ThenBy(i => i).Take(k).ToArray();
    }

    static string Units(int[] units) => units.Length <= 24 ? string.Join(" ", units) : string.Join(" ", units.Take(24)) + $" … ({units.Length})";

    static void Curve(HtmlReport report, NeuronStudy study, string folder, string name)
    {
        var curve = study.Curve;
        report.Heading("Faithfulness: keep the top k units, ablate the rest", 3);
        string file = $"{name}_faithfulness.svg";
        new LinePlot($"Keep the top k units of {study.Options.Hook}, {study.Options.Mode.ToString().ToLowerInvariant()}-ablate the rest", "k", "agreement with the full model")
            .Line("agreement", curve.Select(p => (double)p.Kept).ToArray(), curve.Select(p => p.Agreement).ToArray())
            .Save(Path.Combine(folder, file));
        report.Image(file, "Share of inputs whose label is unchanged when only the top k units are kept.");
        report.Table(["k", "agreement", "mean metric"], curve.Select(p => (IReadOnlyList<string>)[p.Kept.ToString(CultureInfo.InvariantCulture), P(p.Agreement), F(p.Metric)]));
    }
}
