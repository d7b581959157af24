using System.Globalization;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Sae;

/// <summary>
/// An HTML report of a trained SAE (index.html + feature_density.svg in one folder): the metrics, a histogram of
/// log10 feature density, and for a selection of features their top-activating contexts and direct logit effects.
/// </summary>
public static class FeatureReport
{
    public const string HistogramFile = "feature_density.svg";

    /// <param name="examples">per feature, its top-activating examples (see FeatureAnalysis.TopActivatingExamples)</param>
    /// <param name="logitEffects">[d_sae, d_vocab] direct logit effects, or null when the hook is not in the residual basis</param>
    /// <param name="features">the features to show</param>
    /// <param name="tokenText">how a token id is shown (default: the id)</param>
    /// <returns>the paths of index.html and the histogram</returns>
    public static (string Index, string Histogram) Write(string folder, SparseAutoencoder sae, SaeMetrics metrics, CeLossRecovered? ce,
        IReadOnlyList<IReadOnlyList<FeatureExample>> examples, Tensor? logitEffects, IReadOnlyList<int> features,
        Func<int, string>? tokenText = null, int logitsShown = 5)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(metrics);
        tokenText ??= t => t.ToString(CultureInfo.InvariantCulture);
        Directory.CreateDirectory(folder);
        string histogram = Path.Combine(folder, HistogramFile);
        var (starts, counts, dead) = FeatureAnalysis.DensityHistogram(metrics.FeatureDensity);

        var report = new HtmlReport($"Sparse autoencoder on {sae.Config.HookName}");
        report.Paragraph($"{sae.Config.Architecture} SAE, d_in {sae.DIn}, d_sae {sae.DSae}" +
            (sae.Config.IsTopK ? $", k {sae.Config.K}" : $", l1 coefficient {F(sae.Config.L1Coefficient)}") + $"; metrics over {metrics.Rows:N0} activation rows.");
        report.Table(["metric", "value"], MetricRows(metrics, ce));
        report.Figure(HistogramPlot(starts, counts, dead, metrics.Rows, sae.DSae), $"log10 feature density over {metrics.Rows:N0} rows ({dead} dead features not shown)", HistogramFile);
        report.Heading("Features");
        report.Paragraph("Top-activating contexts: the tokens before the active position, the active token in [brackets], " +
            "with the activation. Direct logit effect: the largest and smallest entries of W_dec[i]·W_U.");
        report.Table(["feature", "density", "top contexts", "logits up", "logits down"],
            features.Select(i => FeatureRow(i, metrics.FeatureDensity[i], examples[i], logitEffects, tokenText, logitsShown)));
        string index = Path.Combine(folder, "index.html");
        report.Save(folder);
        return (index, histogram);
    }

    static LinePlot HistogramPlot(double[] starts, int[] counts, int dead, int rows, int dSae)
    {
        // a step outline: each bin's count held over [start, start + width)
        double width = starts.Length > 1 ? starts[1] - starts[0] : 1;
        var x = new List<double>();
        var y = new List<double>();
        for (int i = 0; i < starts.Length; i++)
        {
            x.Add(starts[i]); y.Add(counts[i]);
            x.Add(starts[i] + width); y.Add(counts[i]);
        }
        return new LinePlot($"Feature density ({dSae} features, {dead} dead, {rows:N0} rows)", "log10(fraction of rows where the feature fires)", "features")
            .Line("features per bin", x, y);
    }

    static IEnumerable<IReadOnlyList<string>> MetricRows(SaeMetrics m, CeLossRecovered? ce)
    {
        yield return ["L0 (mean active features per row)", F(m.L0)];
        yield return ["MSE (per element)", F(m.Mse)];
        yield return ["‖x − x̂‖² per row", F(m.MsePerRow)];
        yield return ["explained variance", F(m.ExplainedVariance)];
        yield return ["dead fraction (never fired)", F(m.DeadFraction)];
        yield return [$"dense fraction (density > {F(m.DenseThreshold)})", F(m.DenseFraction)];
        if (ce is null) yield break;
        yield return ["CE loss, clean", F(ce.Clean)];
        yield return ["CE loss, SAE spliced in", F(ce.Spliced)];
        yield return ["CE loss, zero ablation", F(ce.ZeroAblation)];
        yield return ["CE loss recovered", F(ce.Recovered)];
    }

    static IReadOnlyList<string> FeatureRow(int i, double density, IReadOnlyList<FeatureExample> examples, Tensor? effects,
        Func<int, string> tokenText, int shown)
    {
        string contexts = examples.Count == 0 ? "(never fired)" : string.Join(" | ", examples.Select(e =>
            $"{string.Join(" ", e.Context[..^1].Select(tokenText))} [{tokenText(e.Context[^1])}] ({F(e.Activation)} @ seq {e.Sequence} pos {e.Position})"));
        string up = "", down = "";
        if (effects is not null)
        {
            var row = effects.Select(0, i).ToDoubleArray();
            var order = Enumerable.Range(0, row.Length).OrderByDescending(t => row[t]).ToArray();
            up = string.Join(", ", order.Take(shown).Select(t => $"{tokenText(t)} {F(row[t])}"));
            down = string.Join(", ", order.Reverse().Take(shown).Select(t => $"{tokenText(t)} {F(row[t])}"));
        }
        return [i.ToString(CultureInfo.InvariantCulture), density.ToString("G3", CultureInfo.InvariantCulture), contexts, up, down];
    }

    static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
