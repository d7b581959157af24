using System.Globalization;
using Interp.Analysis.Linalg;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Neurons;

/// <summary>
/// Principal components of a hook's unit values over the images (<see cref="ModelOnDataset.UnitValues"/>: a dense
/// layer's features, a convolutional layer's channel maxima), by <see cref="Pca"/>: the variance each explains and
/// each image's coordinates [image, component].
/// </summary>
public sealed record HookPca(string Hook, PcaResult Pca, double[,] Coordinates, int[] Labels)
{
    public static HookPca Run(ModelOnDataset run, string hook, int components = 10)
    {
        var values = run.UnitValues(hook);
        var x = Tensor.FromArray(values);
        components = Math.Min(components, values.GetLength(1));
        var pca = Linalg.Pca.Fit(x, components);
        return new HookPca(hook, pca, ModelOnDataset.ToRows(pca.Project(x)), run.Labels);
    }

    /// <summary>Image i's coordinate on component c (0-based).</summary>
    public double[] Component(int c) => Enumerable.Range(0, Coordinates.GetLength(0)).Select(i => Coordinates[i, c]).ToArray();

    /// <summary>Variance explained, and the PC1/PC2 scatter coloured by the model's label (at most <paramref name="maxPoints"/> inputs, evenly spaced).</summary>
    public void AddTo(HtmlReport report, string folder, int maxPoints = 2000)
    {
        string name = Hook.Replace("hook_", "").Replace('.', '_');
        report.Heading($"PCA of {Hook}", 3);
        report.Table(["component", "variance", "explained", "cumulative"], Pca.ExplainedRatio.Select((r, c) => (IReadOnlyList<string>)[
            $"PC{c + 1}", F(Pca.Variances[c]), Pct(r), Pct(Pca.ExplainedRatio.Take(c + 1).Sum())]));
        if (Coordinates.GetLength(1) < 2) return;
        int n = Labels.Length, step = Math.Max(1, (n + maxPoints - 1) / maxPoints);
        var plot = new LinePlot($"{Hook}: PC1 against PC2, coloured by the model's label", "PC1", "PC2");
        // at most 10 colours: the 10 most frequent labels, the rest as "other" (a transformer has d_vocab labels)
        var shown = Labels.CountBy(l => l).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(10).Select(kv => kv.Key).Order().ToList();
        foreach (int? label in shown.Select(l => (int?)l).Append(null))
        {
            var rows = Enumerable.Range(0, n).Where(i => i % step == 0 && (label is int l ? Labels[i] == l : !shown.Contains(Labels[i]))).ToArray();
            if (rows.Length == 0) continue;
            plot.Points(label is int k ? $"label {k}" : "other labels", rows.Select(i => Coordinates[i, 0]).ToArray(), rows.Select(i => Coordinates[i, 1]).ToArray());
        }
        string file = $"{name}_pca.svg";
        plot.Save(Path.Combine(folder, file));
        report.Image(file, $"Each image's coordinates on the first two principal components of {Hook} ({(step == 1 ? "all" : $"every {step}th")} image).");
    }

    static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
    static string Pct(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %";
}
