using FsCheck;
using FsCheck.Fluent;

namespace Interp.Testing;

/// <summary>
/// FsCheck Arbitraries (generator + structural shrinker) for use with <c>Prop.ForAll</c> and [Property] tests of
/// your own; <see cref="GradProperty"/> uses the same generators and shrinkers.
/// </summary>
public static class Arbitraries
{
    /// <summary>Shapes that shrink to fewer dims, then to smaller sizes.</summary>
    public static Arbitrary<int[]> Shape(CaseOptions? options = null)
    {
        var o = options ?? new CaseOptions();
        return Arb.From(Generators.Shape(o), s => ShrinkShape(s, o.MinRank));
    }

    static IEnumerable<int[]> ShrinkShape(int[] s, int minRank)
    {
        if (s.Length > minRank) for (int d = 0; d < s.Length; d++) yield return [.. s[..d], .. s[(d + 1)..]];
        for (int d = 0; d < s.Length; d++)
            if (s[d] > 1) { var r = (int[])s.Clone(); r[d] = s[d] == 2 ? 1 : s[d] - 1; yield return r; }
    }

    /// <summary>One input: shape, view chain, values from <paramref name="domain"/>, dtype, device.</summary>
    public static Arbitrary<TensorCase> TensorCase(Domain? domain = null, CaseOptions? options = null)
    {
        var (d, o) = (domain ?? Domain.Any, options ?? new CaseOptions());
        return Arb.From(Generators.TensorCase(d, o), c => Shrinkers.TensorCase(c, d, o));
    }

    /// <summary>Inputs of a multi-tensor op, one domain each, related by <see cref="CaseOptions.Pairing"/>.</summary>
    public static Arbitrary<TensorCase[]> Inputs(Domain[] domains, CaseOptions? options = null)
    {
        var o = options ?? new CaseOptions();
        return Arb.From(Generators.Inputs(domains, o), xs => Shrinkers.Inputs(xs, domains, o));
    }

    /// <summary>Dtypes, shrinking toward float64.</summary>
    public static Arbitrary<DType> DType(params DType[] dtypes) =>
        Arb.From(Generators.DType(dtypes), t => t == Interp.DType.Float64 ? [] : [Interp.DType.Float64]);

    /// <summary>Devices (default: every available one), shrinking toward the CPU.</summary>
    public static Arbitrary<Device> Device(params Device[] devices) =>
        Arb.From(Generators.Device(devices.Length == 0 ? Devices.Available() : devices), d => d == Interp.Device.Cpu ? [] : [Interp.Device.Cpu]);
}
