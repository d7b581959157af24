using System.Globalization;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Datasets;

/// <summary>One scalar feature against the model's label: its deciles, best threshold and best band.</summary>
public sealed record FeatureResult(string Name, FeatureBin[] Bins, Threshold Threshold, Band Band);

/// <summary>
/// Scalar features of the images against "the model gives label <c>Label</c>": each feature's decile table and band
/// search, best first (by the band's agreement), and an HTML section with the rules ready to paste into
/// <c>interp rule</c>.
/// </summary>
public sealed record FeatureStudy(int Label, double BaseRate, FeatureResult[] Features)
{
    public static FeatureStudy Run(IEnumerable<(string Name, double[] Values)> features, int[] modelLabels, int label = 1, int bins = 10)
    {
        var target = modelLabels.Select(l => l == label).ToArray();
        var results = features.Select(f =>
        {
            int bad = Array.FindIndex(f.Values, v => !double.IsFinite(v));
            if (bad >= 0) throw new ArgumentException($"feature '{f.Name}' is {f.Values[bad]} on image {bad} (an image index among those in use)");
            var (t, b) = BandSearch.Find(f.Values, target);
            return new FeatureResult(f.Name, DecileTable.Build(f.Values, modelLabels, label, bins), t, b);
        }).OrderByDescending(r => r.Band.Agreement).ThenBy(r => r.Name, StringComparer.Ordinal).ToArray();
        return new FeatureStudy(label, target.Average(b => b ? 1.0 : 0), results);
    }

    public void AddTo(HtmlReport report, string folder, string fileStem = "features")
    {
        report.Heading($"Image features against model label {Label}", 3);
        report.Paragraph($"The model gives label {Label} to {Pct(BaseRate)} of the digits. Each feature is cut into ten equal-count bins (deciles); " +
            "each cell is the share of the bin with that label. The band search finds the single threshold and the two-threshold band " +
            "(inside or outside) that agree best with the model; the rule column runs as is in `interp rule`.");
        report.Table(["feature", .. Enumerable.Range(1, Features.FirstOrDefault()?.Bins.Length ?? 10).Select(b => $"d{b}"), "best threshold", "agreement", "best band", "agreement"],
            Features.Select(f => (IReadOnlyList<string>)[f.Name, .. f.Bins.Select(b => Pct(b.Fraction)),
                f.Threshold.Rule(f.Name), Pct(f.Threshold.Agreement), f.Band.Rule(f.Name), Pct(f.Band.Agreement)]));
        if (Features.Length == 0) return;
        var plot = new LinePlot($"Share labelled {Label} by decile", "decile", $"share with label {Label}");
        foreach (var f in Features.Take(10)) plot.Line(f.Name, Enumerable.Range(1, f.Bins.Length).Select(i => (double)i).ToArray(), f.Bins.Select(b => b.Fraction).ToArray());
        string file = $"{fileStem}_deciles.svg";
        plot.Save(Path.Combine(folder, file));
        report.Image(file, $"The share of each decile that the model labels {Label}, for the first {Math.Min(10, Features.Length)} features above.");
        report.Table(["feature", "decile ranges (low .. high)"],
            Features.Select(f => (IReadOnlyList<string>)[f.Name, string.Join("  ", f.Bins.Select(b => b.Count == 0 ? "—" : $"{G(b.Low)}..{G(b.High)}"))]));
    }

    static string Pct(double v) => double.IsNaN(v) ? "—" : (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %";
    static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
