using System.Globalization;
using Interp.Analysis.Neurons;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Datasets;

/// <summary>
/// How a transform moves the model's labels: <see cref="Changes"/>[from, to] over all images and, per dataset class,
/// <see cref="ByClass"/>[class][from, to] (changed labels only; the diagonal stays 0).
/// </summary>
public sealed record TransformFlips(string Transform, int Count, int Changed, int[,] Changes, IReadOnlyDictionary<int, int[,]> ByClass, IReadOnlyDictionary<int, int> ClassCounts)
{
    public double Agreement => 1 - (double)Changed / Count;

    /// <summary>Runs the model on transformed copies of the images and compares its labels with those on the originals.</summary>
    public static TransformFlips Measure(ModelOnDataset run, ImageTransform transform)
    {
        var after = new ModelOnDataset(run.Model, transform.Apply(run.Data), run.BatchSize).Labels;
        int k = run.Classes, changed = 0;
        var changes = new int[k, k];
        var byClass = new SortedDictionary<int, int[,]>();
        var counts = new SortedDictionary<int, int>();
        for (int i = 0; i < run.Count; i++)
        {
            int c = run.Data.Labels[i];
            counts[c] = counts.GetValueOrDefault(c) + 1;
            if (!byClass.ContainsKey(c)) byClass[c] = new int[k, k];
            if (after[i] == run.Labels[i]) continue;
            changed++;
            changes[run.Labels[i], after[i]]++;
            byClass[c][run.Labels[i], after[i]]++;
        }
        return new TransformFlips(transform.Name, run.Count, changed, changes, byClass, counts);
    }

    /// <summary>"0→1 12, 1→0 3" for a change matrix.</summary>
    public static string Directions(int[,] m)
    {
        var parts = new List<string>();
        for (int a = 0; a < m.GetLength(0); a++)
            for (int b = 0; b < m.GetLength(1); b++)
                if (m[a, b] > 0) parts.Add($"{a}→{b} {m[a, b]}");
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    /// <summary>A table of label changes per transform and class.</summary>
    public static void AddTo(HtmlReport report, IReadOnlyList<TransformFlips> all)
    {
        report.Heading("Transformed inputs: which labels flip", 3);
        report.Paragraph("The model runs on transformed copies of the images; each cell counts the labels that changed, by direction " +
            "(model label on the original → on the copy), within one dataset class.");
        if (all.Count == 0) return;
        var classes = all[0].ClassCounts.Keys.ToArray();
        report.Table(["transform", "labels unchanged", .. classes.Select(c => $"class {c}")],
            all.Select(t => (IReadOnlyList<string>)[t.Transform, (100 * t.Agreement).ToString("F1", CultureInfo.InvariantCulture) + " %",
                .. classes.Select(c => Directions(t.ByClass[c]))]));
    }
}
