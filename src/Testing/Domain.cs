using FsCheck;
using FsCheck.Fluent;

namespace Interp.Testing;

/// <summary>
/// Where an op's input values may lie: the range they are drawn from, which values are allowed at all, and the simple
/// values a failing case shrinks them toward (small integers, as a person would write them).
/// </summary>
public sealed class Domain
{
    readonly (double Low, double High)[] ranges;
    readonly Func<double, bool> allows;
    readonly double[] simplest;

    public string Name { get; }

    /// <summary>True when no two values may be equal (max, sort, median: ties have no derivative).</summary>
    public bool NoTies { get; }

    /// <summary>
    /// True for integer values held as int32: a mask or an index tensor. Such an input is a constant of the op, not
    /// something to differentiate, so a caller keeps it out of the inputs it hands to <see cref="GradProperty"/>.
    /// </summary>
    public bool IsInteger { get; }

    /// <summary>The smallest value drawn.</summary>
    public double Low => ranges.Min(r => r.Low);

    /// <summary>The largest value drawn (n − 1 for <see cref="IndicesBelow"/>).</summary>
    public double High => ranges.Max(r => r.High);

    Domain(string name, (double, double)[] ranges, Func<double, bool> allows, double[] simplest, bool noTies = false, bool isInteger = false)
    {
        Name = name;
        this.ranges = ranges;
        this.allows = allows;
        this.simplest = simplest;
        NoTies = noTies;
        IsInteger = isInteger;
    }

    /// <summary>Values in [−2, 2]; shrinks toward 0.</summary>
    public static Domain Any { get; } = new("Any", [(-2, 2)], double.IsFinite, [0, 1, -1, 2, -2]);

    /// <summary>Values in [0.5, 2.5] (log, sqrt, reciprocal); shrinks toward 1.</summary>
    public static Domain Positive { get; } = new("Positive", [(0.5, 2.5)], v => v >= 0.5 && v <= 1e6, [1, 2]);

    /// <summary>Values with 0.5 ≤ |v| ≤ 2.5 (divisors, ops with a kink at 0 such as abs and relu); shrinks toward 1.</summary>
    public static Domain AwayFromZero { get; } =
        new("AwayFromZero", [(-2.5, -0.5), (0.5, 2.5)], v => Math.Abs(v) >= 0.5 && Math.Abs(v) <= 1e6, [1, -1, 2, -2]);

    /// <summary>Distinct values in [−2, 2], at least 0.001 apart (max, min, sort); shrinks toward distinct small integers.</summary>
    public static Domain Distinct { get; } = new("Distinct", [(-2, 2)], double.IsFinite, [0, 1, -1, 2, -2, 3, -3, 4, -4], noTies: true);

    /// <summary>Values in [low, high] (clamp's pass-through range, asin's domain); shrinks toward the integers inside.</summary>
    public static Domain Bounded(double low, double high)
    {
        if (!(low < high)) throw new ArgumentException($"Domain.Bounded: low {low} must be below high {high}");
        var inside = Enumerable.Range(-4, 9).Select(i => (double)i).Where(v => v >= low && v <= high).OrderBy(Math.Abs);
        return new($"Bounded({low}, {high})", [(low, high)], v => v >= low && v <= high, [.. inside, (low + high) / 2]);
    }

    /// <summary>0 or 1 (where's condition, masked_fill's mask); shrinks toward 0.</summary>
    public static Domain Mask { get; } = IntegersUpTo("Mask", 1);

    /// <summary>Integers 0 … n − 1 (indices into a dim of size n: gather, embedding, class targets); shrinks toward 0.</summary>
    public static Domain IndicesBelow(int n)
    {
        if (n < 1) throw new ArgumentException($"Domain.IndicesBelow: n is {n}, at least 1 is needed");
        return IntegersUpTo($"IndicesBelow({n})", n - 1);
    }

    static Domain IntegersUpTo(string name, int high) =>
        new(name, [(0, high)], v => v == Math.Round(v) && v >= 0 && v <= high, [0], isInteger: true);

    /// <summary>Whether every value is allowed (and, under NoTies, no two are closer than 0.001).</summary>
    public bool Allows(IReadOnlyList<double> values)
    {
        foreach (var v in values) if (!allows(v)) return false;
        if (!NoTies) return true;
        var sorted = values.Order().ToArray();
        for (int i = 1; i < sorted.Length; i++) if (sorted[i] - sorted[i - 1] < 1e-3) return false;
        return true;
    }

    /// <summary>One value, on a grid of 0.001 so that reports stay readable (a whole number in an integer domain).</summary>
    public Gen<double> Value => IsInteger ? Gen.Choose((int)ranges[0].Low, (int)ranges[0].High).Select(i => (double)i) : Gen.Elements(ranges).SelectMany(r =>
        Gen.Choose((int)Math.Ceiling(r.Low * 1000), (int)Math.Floor(r.High * 1000)).Select(i => i / 1000.0));

    /// <summary><paramref name="count"/> values this domain allows.</summary>
    public Gen<double[]> Values(int count) => NoTies
        ? Gen.Shuffle(Grid()).Select(all => all.Take(count).ToArray()).Where(Allows)
        : Gen.ArrayOf(Value, count).Where(Allows);

    double[] Grid() => ranges.SelectMany(r => Enumerable.Range((int)Math.Ceiling(r.Low * 1000), (int)Math.Floor(r.High * 1000) - (int)Math.Ceiling(r.Low * 1000) + 1))
        .Select(i => i / 1000.0).ToArray();

    /// <summary>The i-th simplest value (for NoTies, i-th distinct one), used to fill a shrunk case.</summary>
    public double Simplest(int i) => NoTies ? simplest[i % simplest.Length] + 10 * (i / simplest.Length) : simplest[0];

    /// <summary>The first <paramref name="count"/> of <paramref name="values"/>, filled up with simple values.</summary>
    public double[] Fit(IReadOnlyList<double> values, int count)
    {
        var r = new double[count];
        for (int i = 0; i < count; i++) r[i] = i < values.Count ? values[i] : Simplest(i);
        return Allows(r) ? r : Enumerable.Range(0, count).Select(Simplest).ToArray();
    }

    /// <summary>Simpler versions of the values: all simplest at once, then one value at a time toward a small integer.</summary>
    public IEnumerable<double[]> Shrink(double[] values)
    {
        var allSimple = Enumerable.Range(0, values.Length).Select(Simplest).ToArray();
        if (!allSimple.SequenceEqual(values) && Allows(allSimple)) yield return allSimple;
        for (int i = 0; i < values.Length; i++)
            foreach (var c in SimplerValues(values[i]))
            {
                var next = (double[])values.Clone();
                next[i] = c;
                if (Allows(next)) yield return next;
            }
    }

    IEnumerable<double> SimplerValues(double v) =>
        simplest.Append(Math.Round(v)).Append(Math.Truncate(v)).Append(Math.Round(v * 2) / 2)
            .Distinct().Where(c => Complexity(c).CompareTo(Complexity(v)) < 0);

    /// <summary>Integers before fractions, then smaller magnitudes, then positive before negative.</summary>
    static (int, double, int) Complexity(double v) => (v == Math.Round(v) ? 0 : v * 2 == Math.Round(v * 2) ? 1 : 2, Math.Abs(v), v < 0 ? 1 : 0);

    public override string ToString() => Name;
}
