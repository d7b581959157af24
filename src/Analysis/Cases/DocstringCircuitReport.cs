using System.Globalization;
using Interp.Analysis.Patching;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Cases;

/// <summary>The docstring case study as a report section with its images (written into one folder).</summary>
public static class DocstringCircuitReport
{
    public static HtmlReport Write(DocstringCircuitResult r, string folder, string trainingSummary)
    {
        Directory.CreateDirectory(folder);
        const string metric = "normalised logit diff";
        string positions = string.Join(", ", r.PositionLabels.Select((l, i) => $"{i} {l}"));
        var report = new HtmlReport("Docstring circuit");
        report.Heading("A docstring circuit in a 4-layer attention-only model")
            .Paragraph(trainingSummary)
            .Paragraph($"Patching uses {r.Prompts.Length} held-out prompt pairs of one layout. Clean: the def names the parameters the docstring lists; corrupted: the def's names are replaced by other names. " +
                $"Metric: logit of the answer (the def's next parameter) minus the logit of the last name the docstring listed, at the final :param; {F(r.CleanLogitDiff)} on the clean prompts and {F(r.CorruptedLogitDiff)} on the corrupted ones, normalised to 1 and 0.")
            .Code("one clean prompt:\n" + PromptText(r) + "\npositions: " + positions)
            .Heading("Activation patching", 3)
            .Paragraph("Denoising restores one clean activation into the corrupted run (is it sufficient?); noising puts one corrupted activation into the clean run (is it necessary?); shown as the effect 1 − metric.")
            .Figure(PatchPlots.ByPositionFigure("denoising resid_pre", r.ResidPreDenoising, r.PositionLabels, valueLabel: metric),
                "denoising resid_pre [layer, position], the clean prompt's tokens below (white 0: nothing restored, red 1: all)", "resid_pre_denoising.svg")
            .Figure(PatchPlots.HeadsFigure("denoising per head", r.HeadsDenoising, valueLabel: metric),
                "denoising each head's output, all positions [layer, head]", "heads_denoising.svg")
            .Figure(PatchPlots.HeadsFigure("noising per head: effect 1 − metric", 1 - r.HeadsNoising, valueLabel: "1 − " + metric),
                "noising each head's output: the effect 1 − metric [layer, head]", "heads_noising.svg")
            .Heading("Attribution patching", 3)
            .Paragraph($"Attribution patching (gradients at the corrupted run) against denoising activation patching, per head: r = {F(r.AttributionCorrelation)}.")
            .Figure(PatchPlots.HeadsFigure("attribution patching per head", r.HeadsAttribution, valueLabel: metric),
                "attribution patching per head [layer, head]", "heads_attribution.svg")
            .Figure(PatchPlots.Scatter(r.HeadsDenoising.Reshape(-1), r.HeadsAttribution.Reshape(-1), "heads: attribution vs activation patching (denoising)",
                "activation patching", "attribution patching"), "each head: attribution against activation patching", "attribution_vs_activation.svg")
            .Heading("Path patching into the final layer and into the circuit's layers", 3)
            .Paragraph($"Receivers: the heads whose noising costs most in the model's final layer and in every other layer above 0 where some head matters ({string.Join(", ", r.Receivers.Select(x => x.ToString()))}). " +
                "Each grid is the effect (1 − metric) of noising the path from one earlier head into one receiver input (noising, the other heads frozen). " +
                "The corruption changes only the def's names, so a query-side effect can only come from the def positions; an effect on a key says the receiver finds the answer by the names it sees there, an effect on a value that it carries what an earlier head wrote.");
        foreach (var (name, grid) in r.PathPatching)
            report.Figure(PatchPlots.HeadsFigure($"path patching into {name}: effect 1 − metric", Effect(grid), valueLabel: "1 − " + metric),
                $"path patching into {name} [sender layer, sender head]; heads not upstream of the receiver show 0", $"path_{name}.svg");
        report.Heading("The circuit", 3)
            .Paragraph($"Heads whose patching moves the metric by at least 0.1 either way, or whose path into a receiver does: {string.Join(", ", r.Circuit.Select(c => c.Label))}. " +
                $"Denoising only these heads (everything else corrupted) restores {F(r.CircuitDenoised)} of the logit difference; noising every other head (only these clean) keeps {F(r.CircuitOnly)}.")
            .Table(["head", "denoising", "noising effect", "path effect into receivers (max)", "attention from the final :param (top 3, mean over prompts)"],
                r.Circuit.Select(c => (IReadOnlyList<string>)[c.Label, F(c.Denoising), F(c.NoisingEffect), F(PathEffect(r, c)), TopAttended(r, c.Label)]));
        foreach (var (label, pattern) in r.Patterns)
            report.Figure(new HeatmapFigure($"{label} attention pattern", pattern)
            {
                Rows = Axis.Tokens("query", r.PositionLabels), Columns = Axis.Tokens("key", r.PositionLabels), Scale = ColorScale.Sequential(0, 1),
                ValueLabel = "attention weight", CellSize = Math.Clamp(480 / r.PositionLabels.Length, 14, 36),
            }, $"{label}: attention pattern on the clean prompt above [query, key]", $"pattern_{label}.svg");
        report.Save(folder);
        return report;
    }

    // 1 − metric, with the non-upstream (NaN) cells as no effect
    static Tensor Effect(Tensor grid) => Tensor.FromArray(grid.ToDoubleArray().Select(v => double.IsNaN(v) ? 0 : 1 - v).ToArray(), grid.ShapeArray);

    static double PathEffect(DocstringCircuitResult r, CircuitHead c)
    {
        double best = 0;
        foreach (var grid in r.PathPatching.Values)
        {
            double v = grid.GetValue(c.Layer, c.Head);
            if (!double.IsNaN(v) && Math.Abs(1 - v) > Math.Abs(best)) best = 1 - v;
        }
        return best;
    }

    static string TopAttended(DocstringCircuitResult r, string label) =>
        string.Join(", ", r.LastPositionAttention[label].Select((w, i) => (w, i)).OrderByDescending(x => x.w).Take(3)
            .Select(x => $"{x.i} {r.PositionLabels[x.i]}: {F(x.w)}"));

    static string PromptText(DocstringCircuitResult r) => new Interp.Data.Tasks.DocstringTask().ToString(r.Prompts[0].Clean);

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
