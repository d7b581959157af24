namespace Interp.Analysis.Patching;

/// <summary>Comparing two patching results of the same shape (e.g. attribution against activation patching).</summary>
public static class PatchStats
{
    /// <summary>Pearson correlation over the finite pairs of elements; NaN when either side is constant.</summary>
    public static double Correlation(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!ShapeUtil.SameShape(a.ShapeArray, b.ShapeArray))
            throw new ArgumentException($"correlation: shapes {ShapeUtil.Format(a.ShapeArray)} and {ShapeUtil.Format(b.ShapeArray)} differ");
        var pairs = a.ToDoubleArray().Zip(b.ToDoubleArray()).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToArray();
        if (pairs.Length < 2) return double.NaN;
        double ma = pairs.Average(p => p.First), mb = pairs.Average(p => p.Second);
        double cov = pairs.Sum(p => (p.First - ma) * (p.Second - mb));
        double va = pairs.Sum(p => (p.First - ma) * (p.First - ma)), vb = pairs.Sum(p => (p.Second - mb) * (p.Second - mb));
        return va > 0 && vb > 0 ? cov / Math.Sqrt(va * vb) : double.NaN;
    }

    /// <summary>The largest |a − b| over the elements.</summary>
    public static double MaxAbsDifference(Tensor a, Tensor b)
    {
        if (!ShapeUtil.SameShape(a.ShapeArray, b.ShapeArray))
            throw new ArgumentException($"max_abs_difference: shapes {ShapeUtil.Format(a.ShapeArray)} and {ShapeUtil.Format(b.ShapeArray)} differ");
        return a.ToDoubleArray().Zip(b.ToDoubleArray(), (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
    }
}
