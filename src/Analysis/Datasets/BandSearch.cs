using System.Globalization;

namespace Interp.Analysis.Datasets;

/// <summary>"feature &gt; Value" (Above) or "feature &lt; Value" predicts the label; its agreement with the model.</summary>
/// An infinite Value labels every image the same way.
public sealed record Threshold(double Value, bool Above, double Agreement)
{
    public string Rule(string feature) => double.IsFinite(Value) ? $"{feature} {(Above ? ">" : "<")} {Num(Value)}"
        : (Above == double.IsNegativeInfinity(Value)) ? "1 > 0" : "1 < 0";

    internal static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>"Low &lt; feature &lt; High" (Inside) or "feature &lt; Low or feature &gt; High" predicts the label; an end may be infinite.</summary>
public sealed record Band(double Low, double High, bool Inside, double Agreement)
{
    public string Rule(string feature)
    {
        var sides = Inside
            ? new[] { new Threshold(Low, true, 0).Rule(feature), new Threshold(High, false, 0).Rule(feature) }
            : [new Threshold(Low, false, 0).Rule(feature), new Threshold(High, true, 0).Rule(feature)];
        return string.Join(Inside ? " and " : " or ", sides.Where(r => !r.StartsWith("1 ")).DefaultIfEmpty(sides[0]));
    }
}

/// <summary>
/// The best single threshold and the best two-threshold band on a scalar feature for predicting a binary target
/// (e.g. "the model labels 1"), scored by agreement. With the images sorted by the feature and tied values grouped,
/// let s_g = (targets) − (non-targets) in group g. A band [a, b] labelled 1 inside agrees on
/// N₀ + Σ_{g∈[a,b]} s_g images (N₀ = non-targets overall), so the best inside band is the maximum-sum run of groups
/// (Kadane's algorithm) and the best outside band the minimum-sum run; a threshold is a run touching one end.
/// Cut points lie halfway between neighbouring values; an open end is ±∞.
/// </summary>
public static class BandSearch
{
    public static (Threshold Threshold, Band Band) Find(double[] values, bool[] target)
    {
        if (values.Length != target.Length || values.Length == 0)
            throw new ArgumentException($"band search: needs as many targets as values (got {values.Length} and {target.Length}), at least one");
        if (values.Any(v => !double.IsFinite(v))) throw new ArgumentException("band search: the feature has NaN or infinite values");
        var (cuts, s) = Groups(values, target);
        int n = values.Length, positives = target.Count(t => t), negatives = n - positives;
        return (BestThreshold(cuts, s, n, positives, negatives), BestBand(cuts, s, n, positives, negatives));
    }

    // distinct values in order; s[g] = targets − non-targets with that value; cuts[g] = cut before group g (cuts[0] = −∞, cuts[G] = +∞)
    static (double[] Cuts, int[] S) Groups(double[] values, bool[] target)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var distinct = new List<double>();
        var s = new List<int>();
        foreach (int i in order)
        {
            if (distinct.Count == 0 || values[i] != distinct[^1]) { distinct.Add(values[i]); s.Add(0); }
            s[^1] += target[i] ? 1 : -1;
        }
        var cuts = new double[distinct.Count + 1];
        cuts[0] = double.NegativeInfinity;
        cuts[^1] = double.PositiveInfinity;
        for (int g = 1; g < distinct.Count; g++) cuts[g] = (distinct[g - 1] + distinct[g]) / 2;
        return (cuts, s.ToArray());
    }

    static Threshold BestThreshold(double[] cuts, int[] s, int n, int positives, int negatives)
    {
        // cut c lies before group c; with tail = Σ_{g ≥ c} s_g, "above ⇒ 1" agrees on negatives + tail, "below ⇒ 1" on positives − tail
        Threshold? best = null;
        int tail = s.Sum();
        for (int c = 0; c < cuts.Length; c++)
        {
            foreach (var t in new[] { new Threshold(cuts[c], true, (double)(negatives + tail) / n), new Threshold(cuts[c], false, (double)(positives - tail) / n) })
                if (best is null || t.Agreement > best.Agreement) best = t;
            if (c < s.Length) tail -= s[c];
        }
        return best!;
    }

    static Band BestBand(double[] cuts, int[] s, int n, int positives, int negatives)
    {
        var (maxLo, maxHi, maxSum) = ExtremeRun(s, +1);
        var (minLo, minHi, minSum) = ExtremeRun(s, -1);
        var inside = new Band(cuts[maxLo], cuts[maxHi + 1], true, (double)(negatives + maxSum) / n);
        var outside = new Band(cuts[minLo], cuts[minHi + 1], false, (double)(positives - minSum) / n);
        return inside.Agreement >= outside.Agreement ? inside : outside;
    }

    /// <summary>The run of groups [lo, hi] with the largest (sign +1) or smallest (sign −1) sum, by Kadane's algorithm.</summary>
    static (int Lo, int Hi, int Sum) ExtremeRun(int[] s, int sign)
    {
        int bestLo = 0, bestHi = 0, best = sign * s[0], runLo = 0, run = 0;
        for (int g = 0; g < s.Length; g++)
        {
            if (run <= 0) { run = 0; runLo = g; }
            run += sign * s[g];
            if (run > best) (best, bestLo, bestHi) = (run, runLo, g);
        }
        return (bestLo, bestHi, sign * best);
    }
}
