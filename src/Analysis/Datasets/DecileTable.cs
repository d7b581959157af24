namespace Interp.Analysis.Datasets;

/// <summary>One bin of a feature: its value range, the images in it and the share of them the model gives the label.</summary>
public sealed record FeatureBin(double Low, double High, int Count, int WithLabel)
{
    public double Fraction => Count == 0 ? double.NaN : (double)WithLabel / Count;
}

/// <summary>
/// A scalar feature in equal-count bins (deciles by default), each with the share of its images that the model gives
/// <c>label</c>: a trend, a U-shape or a step across the bins says how the label depends on the feature. Equal values
/// share a bin (a cut inside a run of ties moves to its end), so a bin may hold more than its share or none: split by
/// the images' order instead, a constant feature would show the label's trend over the dataset's order.
/// </summary>
public static class DecileTable
{
    public static FeatureBin[] Build(double[] values, int[] labels, int label, int bins = 10)
    {
        if (values.Length != labels.Length) throw new ArgumentException($"decile table: {values.Length} values but {labels.Length} labels");
        if (bins < 1 || values.Length == 0) throw new ArgumentException($"decile table: needs at least one bin and one value, got {bins} bins and {values.Length} values");
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var result = new FeatureBin[bins];
        int start = 0;
        for (int b = 0; b < bins; b++)
        {
            int end = Math.Max(start, (b + 1) * order.Length / bins);
            while (end > 0 && end < order.Length && values[order[end]] == values[order[end - 1]]) end++;   // ties stay together
            var rows = order[start..end];
            result[b] = rows.Length == 0 ? new FeatureBin(double.NaN, double.NaN, 0, 0)
                : new FeatureBin(values[rows[0]], values[rows[^1]], rows.Length, rows.Count(i => labels[i] == label));
            start = end;
        }
        return result;
    }
}
