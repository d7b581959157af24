namespace Interp.Analysis.Datasets;

/// <summary>One bin of a feature: its value range, the images in it and the share of them the model gives the label.</summary>
public sealed record FeatureBin(double Low, double High, int Count, int WithLabel)
{
    public double Fraction => Count == 0 ? double.NaN : (double)WithLabel / Count;
}

/// <summary>
/// A scalar feature in equal-count bins (deciles by default), each with the share of its images that the model gives
/// <c>label</c>: a trend, a U-shape or a step across the bins says how the label depends on the feature.
/// </summary>
public static class DecileTable
{
    public static FeatureBin[] Build(double[] values, int[] labels, int label, int bins = 10)
    {
        if (values.Length != labels.Length) throw new ArgumentException($"decile table: {values.Length} values but {labels.Length} labels");
        if (bins < 1 || values.Length == 0) throw new ArgumentException($"decile table: needs at least one bin and one value, got {bins} bins and {values.Length} values");
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        return Enumerable.Range(0, bins).Select(b =>
        {
            int start = b * order.Length / bins, end = (b + 1) * order.Length / bins;
            var rows = order[start..end];
            return rows.Length == 0 ? new FeatureBin(double.NaN, double.NaN, 0, 0)
                : new FeatureBin(values[rows[0]], values[rows[^1]], rows.Length, rows.Count(i => labels[i] == label));
        }).ToArray();
    }
}
