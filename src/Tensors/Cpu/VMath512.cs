using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Interp.Cpu;

/// <summary>
/// The 512-bit twins of <see cref="VMath"/>'s float GELU lanes (exact, tanh, and exact GELU's gradient): the same operations in the same order,
/// so each lane gives the same bits as the 256-bit version (a test holds them to it). Each is inlined into the one
/// loop that calls it: a call per vector passing lanes through memory cost as much as the arithmetic.
/// </summary>
internal static class VMath512
{
    /// <summary>gelu(x) = x·Φ(x) (see <see cref="VMath.NormalCdf"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Gelu(Vector512<float> x) => x * NormalCdf(x).Cdf;

    /// <summary>gelu'(x) = Φ(x) + x·φ(x) (see <see cref="VMath.GeluGrad(Vector256{float})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GeluGrad(Vector512<float> x)
    {
        var (cdf, gauss) = NormalCdf(x);
        return Vector512.FusedMultiplyAdd(x * Vector512.Create(0.398942280f), gauss, cdf);
    }

    /// <summary>gelu_tanh(x) = x·σ(2u) with h = e^(−|u|), u in double (see <see cref="VMath.GeluTanh(Vector256{float})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GeluTanh(Vector512<float> x)
    {
        var (x0, x1) = Vector512.Widen(x);
        var (a0, a1) = (NegAbsGeluTanhU(x0), NegAbsGeluTanhU(x1));
        var aHi = Vector512.Narrow(a0, a1);
        var (hi0, hi1) = Vector512.Widen(aHi);
        var h = ExpNonPositive(aHi, Vector512.Narrow(a0 - hi0, a1 - hi1));
        var numerator = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), x * h * h, x);
        return numerator / Vector512.FusedMultiplyAdd(h, h, Vector512<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> NegAbsGeluTanhU(Vector512<double> x) =>
        -Vector512.Abs(Vector512.Create(0.7978845608028654) * (x + Vector512.Create(0.044715) * x * x * x));

    /// <summary>
    /// e^a for a ≤ 0 (a softmax's s − max), about 1 ulp: <see cref="ExpNonPositive"/> without the carried term, except
    /// that NaN stays NaN (a NaN score must spoil its row, as the library exp does); below a = −87.3 the result is 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpOfNonPositive(Vector512<float> a) =>
        Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(-87.3f)), Vector512<float>.Zero, ExpReduced(a, Vector512<float>.Zero));

    /// <summary>e^(a + c) for a ≤ 0, |c| ≪ ulp(a) (see <see cref="VMath"/>'s ExpNonPositive); 0 below −87.3 and for NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> ExpNonPositive(Vector512<float> a, Vector512<float> c) =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512.Create(-87.3f)), ExpReduced(a, c), Vector512<float>.Zero);

    /// <summary>
    /// e^(a + c) = 2^k·e^r, a = k·ln2 + r (ln2 in two parts), e^r by its Taylor series to r⁷; valid where 2^k is normal
    /// (the callers choose what lies below −87.3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> ExpReduced(Vector512<float> a, Vector512<float> c)
    {
        var k = Vector512.Round(a * Vector512.Create(1.44269504f));
        var r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-0.693145751953125f), a);
        r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-1.428606765330187e-6f), r) + c;
        var p = Vector512.Create(1f / 5040);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 720));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        var twoK = (Vector512.ConvertToInt32(Vector512.MaxNative(k, Vector512.Create(-126f))) + Vector512.Create(127) << 23).AsSingle();
        return p * twoK;
    }

    /// <summary>Φ(x) (see <see cref="VMath.NormalCdf"/>: the small-|x| erf series and the erfc fit, the same coefficients).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector512<float> Cdf, Vector512<float> Gauss) NormalCdf(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var y = ax * Vector512.Create(0.70710678f);
        var hi = x * x;
        var lo = Vector512.FusedMultiplyAdd(x, x, -hi);
        var gauss = ExpNonPositive(Vector512.Create(-0.5f) * hi, Vector512.Create(-0.5f) * lo);

        var y2 = y * y;
        var erfSmall = Vector512.Create(0.004728139991432755f);
        erfSmall = Vector512.FusedMultiplyAdd(erfSmall, y2, Vector512.Create(-0.026762659492292576f));
        erfSmall = Vector512.FusedMultiplyAdd(erfSmall, y2, Vector512.Create(0.11282918951188681f));
        erfSmall = Vector512.FusedMultiplyAdd(erfSmall, y2, Vector512.Create(-0.3761261450147678f));
        erfSmall = Vector512.FusedMultiplyAdd(erfSmall, y2, Vector512.Create(1.1283791663964498f)) * y;
        var half = Vector512.Create(0.5f);
        var small = half + (half * erfSmall ^ (x & Vector512.Create(-0f)));

        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(ax, Vector512.Create(0.353553391f), Vector512<float>.One);
        var s = t - Vector512.Create(0.4f);
        var g = Vector512.Create(-0.0319506161f);
        g = Vector512.FusedMultiplyAdd(g, s, Vector512.Create(-0.0410611158f));
        g = Vector512.FusedMultiplyAdd(g, s, Vector512.Create(0.101842523f));
        g = Vector512.FusedMultiplyAdd(g, s, Vector512.Create(0.0406489462f));
        g = Vector512.FusedMultiplyAdd(g, s, Vector512.Create(-0.146987975f));
        g = Vector512.FusedMultiplyAdd(g, s, Vector512.Create(-0.107889469f));
        g = Vector512.FusedMultiplyAdd(g, s, Vector512.Create(0.202485679f));
        g = Vector512.FusedMultiplyAdd(g, s, Vector512.Create(0.506060235f));
        g = Vector512.FusedMultiplyAdd(g, s, Vector512.Create(0.580375964f));
        g = Vector512.FusedMultiplyAdd(g, s, Vector512.Create(0.447502877f));
        var halfErfc = half * (gauss * (t * g));
        var tail = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), halfErfc, Vector512<float>.One - halfErfc);
        return (Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.70710678f)), small, tail), gauss);
    }
}
