using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Interp.Cpu;

/// <summary>An elementwise function of one value with two scalar parameters, scalar and (optionally) SIMD.</summary>
internal interface IUnaryFn
{
    static abstract T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T>;
    static virtual bool HasVector => false;
    static virtual Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException();
    /// <summary>Whether float32 has a 512-bit form (<see cref="Apply512"/>) giving the same bits as the 256-bit one.</summary>
    static virtual bool HasVector512Float => false;
    static virtual Vector512<float> Apply512(Vector512<float> x) => throw new NotSupportedException();
}

/// <summary>An elementwise function of two values, scalar and (optionally) SIMD, 256-bit and (for the costly ones) 512-bit.</summary>
internal interface IBinaryFn
{
    static abstract T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>;
    static virtual bool HasVector => false;
    static virtual Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException();
    /// <summary>Whether float32 has a 512-bit form (<see cref="Apply512"/>) giving the same bits as the 256-bit one.</summary>
    static virtual bool HasVector512Float => false;
    static virtual Vector512<float> Apply512(Vector512<float> a, Vector512<float> b) => throw new NotSupportedException();
}

internal static class VMath
{
    public static Vector256<T> Exp<T>(Vector256<T> x) where T : unmanaged =>
        typeof(T) == typeof(float) ? Vector256.Exp(x.AsSingle()).As<float, T>() : Vector256.Exp(x.AsDouble()).As<double, T>();

    public static Vector256<T> Log<T>(Vector256<T> x) where T : unmanaged =>
        typeof(T) == typeof(float) ? Vector256.Log(x.AsSingle()).As<float, T>() : Vector256.Log(x.AsDouble()).As<double, T>();

    public static Vector256<T> Bool<T>(Vector256<T> mask) where T : unmanaged, IFloatingPointIeee754<T> => mask & Vector256.Create(T.One);

    public static T Bool<T>(bool b) where T : IFloatingPointIeee754<T> => b ? T.One : T.Zero;

    public static T C<T>(double v) where T : IFloatingPointIeee754<T> => T.CreateChecked(v);

    /// <summary>tanh of float lanes, evaluated in double (see <see cref="TanhViaExp"/>) and rounded once.</summary>
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var (lo, hi) = Vector256.Widen(x);
        return Vector256.Narrow(TanhViaExp(lo), TanhViaExp(hi));
    }

    /// <summary>
    /// tanh|x| = 1 − 2/(e^(2|x|) + 1), sign copied from x (e^(2|x|) = ∞ gives exactly 1). Its relative error grows
    /// like 1e-16/|x| from the cancellation, so below |x| = 1e-3 the odd series x·(1 − x²/3 + 2x⁴/15) is used instead
    /// (dropped term 17x⁷/315: relative error below 1e-18). Relative error ≤ ~1e-13: plenty for float32 results.
    /// </summary>
    static Vector256<double> TanhViaExp(Vector256<double> x)
    {
        var one = Vector256<double>.One;
        var ax = Vector256.Abs(x);
        var viaExp = (one - Vector256.Create(2.0) / (Vector256.Exp(ax + ax) + one)) | (x & Vector256.Create(-0.0));   // ≥ 0, so OR in x's sign
        var x2 = x * x;
        var series = x * (one + x2 * (Vector256.Create(-1.0 / 3) + x2 * Vector256.Create(2.0 / 15)));
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(1e-3)), series, viaExp);
    }

    /// <summary>gelu_tanh(x) = x·σ(2u) = x / (1 + e^(−2u)) in double lanes (see <see cref="UnaryFns.GeluTanh"/>).</summary>
    public static Vector256<double> GeluTanh(Vector256<double> x)
    {
        var u = Vector256.Create(0.7978845608028654) * (x + Vector256.Create(0.044715) * x * x * x);
        return x / (Vector256<double>.One + Vector256.Exp(-(u + u)));
    }

    /// <summary>
    /// gelu_tanh in float lanes, within a few ulps of the double path: with h = e^(−|u|), σ(2u) is 1/(1 + h²) for
    /// u ≥ 0 and h²/(1 + h²) for u &lt; 0 (u has x's sign), so the exponential never overflows and the negative tail,
    /// x·h·h, underflows gradually. Only u is computed in double (a few multiplies, against the double e^x this replaced:
    /// 3 % of a GPT-2 small forward at 1 x 128), and −|u| goes to the float exponential as hi + lo: rounded to float
    /// first, e^(−|u|) would carry |u| times u's relative rounding error (2e-6 at x = −5).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluTanh(Vector256<float> x)
    {
        var (x0, x1) = Vector256.Widen(x);
        var (a0, a1) = (NegAbsGeluTanhU(x0), NegAbsGeluTanhU(x1));
        var aHi = Vector256.Narrow(a0, a1);
        var (hi0, hi1) = Vector256.Widen(aHi);
        var h = ExpNonPositive(aHi, Vector256.Narrow(a0 - hi0, a1 - hi1));   // NaN or ±∞ in a: 0
        var numerator = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), x * h * h, x);
        return numerator / Vector256.FusedMultiplyAdd(h, h, Vector256<float>.One);
    }

    /// <summary>−|u|, u = √(2/π)·(x + 0.044715·x³).</summary>
    static Vector256<double> NegAbsGeluTanhU(Vector256<double> x) =>
        -Vector256.Abs(Vector256.Create(0.7978845608028654) * (x + Vector256.Create(0.044715) * x * x * x));

    /// <summary>
    /// e^(a + c) in float lanes for a ≤ 0 and |c| ≪ ulp(a) (a's rounding error, carried along), about 1 ulp:
    /// a = k·ln2 + r with |r| ≤ ln2/2 (ln2 split in two so k·ln2_hi is exact), r += c, e^r from its Taylor series to r⁷
    /// (truncation &lt; 5.2e-9), times 2^k put into the exponent bits. Below a = −87.3 (where 2^k would leave the normal
    /// range) the result is 0, also where c is NaN (x² overflowed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> ExpNonPositive(Vector256<float> a, Vector256<float> c)
    {
        var k = Vector256.Round(a * Vector256.Create(1.44269504f));
        var r = Vector256.FusedMultiplyAdd(k, Vector256.Create(-0.693145751953125f), a);
        r = Vector256.FusedMultiplyAdd(k, Vector256.Create(-1.428606765330187e-6f), r) + c;
        var p = Vector256.Create(1f / 5040);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 720));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        var twoK = (Vector256.ConvertToInt32(Vector256.Max(k, Vector256.Create(-126f))) + Vector256.Create(127) << 23).AsSingle();
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256.Create(-87.3f)), p * twoK, Vector256<float>.Zero);
    }

    /// <summary>
    /// Φ(x) = P(N(0,1) ≤ x) and g = e^(−x²/2) in float lanes, each within a few ulps over the whole float range, tails
    /// included (what exact GELU and its gradient need). With y = |x|/√2:
    /// |x| &lt; 1/√2: Φ = ½ ± ½·erf(y), erf(y) = y·P(y²) (P fitted, relative error 1.5e-9);
    /// otherwise erfc(y) = e^(−y²)·t·G(t), t = 1/(1 + y/2), G fitted to erfc(y)·e^(y²)/t over y ∈ [0.5, 10.5] (relative
    /// error 2.8e-9; Horner in t − 0.4), and Φ = ½·erfc(y) for x &lt; 0 (no cancellation in the negative tail), 1 − ½·erfc(y) for x &gt; 0.
    /// e^(−x²/2) takes x² as hi + lo (lo from a fused multiply-add), so the exponent is exact even where x² is large.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Cdf, Vector256<float> Gauss) NormalCdf(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var y = ax * Vector256.Create(0.70710678f);
        var hi = x * x;
        var lo = Vector256.FusedMultiplyAdd(x, x, -hi);
        var gauss = ExpNonPositive(Vector256.Create(-0.5f) * hi, Vector256.Create(-0.5f) * lo);

        var y2 = y * y;
        var erfSmall = Vector256.Create(0.004728139991432755f);
        erfSmall = Vector256.FusedMultiplyAdd(erfSmall, y2, Vector256.Create(-0.026762659492292576f));
        erfSmall = Vector256.FusedMultiplyAdd(erfSmall, y2, Vector256.Create(0.11282918951188681f));
        erfSmall = Vector256.FusedMultiplyAdd(erfSmall, y2, Vector256.Create(-0.3761261450147678f));
        erfSmall = Vector256.FusedMultiplyAdd(erfSmall, y2, Vector256.Create(1.1283791663964498f)) * y;
        var half = Vector256.Create(0.5f);
        var small = half + (half * erfSmall ^ (x & Vector256.Create(-0f)));   // ½ ± ½·erf(y), the sign of x

        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(ax, Vector256.Create(0.353553391f), Vector256<float>.One);   // y/2 from x: one rounding
        var s = t - Vector256.Create(0.4f);   // exact for t in [0.2, 0.8]; Horner in t − 0.4 loses less than in t
        var g = Vector256.Create(-0.0319506161f);
        g = Vector256.FusedMultiplyAdd(g, s, Vector256.Create(-0.0410611158f));
        g = Vector256.FusedMultiplyAdd(g, s, Vector256.Create(0.101842523f));
        g = Vector256.FusedMultiplyAdd(g, s, Vector256.Create(0.0406489462f));
        g = Vector256.FusedMultiplyAdd(g, s, Vector256.Create(-0.146987975f));
        g = Vector256.FusedMultiplyAdd(g, s, Vector256.Create(-0.107889469f));
        g = Vector256.FusedMultiplyAdd(g, s, Vector256.Create(0.202485679f));
        g = Vector256.FusedMultiplyAdd(g, s, Vector256.Create(0.506060235f));
        g = Vector256.FusedMultiplyAdd(g, s, Vector256.Create(0.580375964f));
        g = Vector256.FusedMultiplyAdd(g, s, Vector256.Create(0.447502877f));
        var halfErfc = half * (gauss * (t * g));
        var tail = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), halfErfc, Vector256<float>.One - halfErfc);
        var cdf = Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.70710678f)), small, tail);
        return (cdf, gauss);
    }

    /// <summary>gelu(x) = x·Φ(x) in float lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gelu(Vector256<float> x) => x * NormalCdf(x).Cdf;

    /// <summary>gelu'(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π), in float lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluGrad(Vector256<float> x)
    {
        var (cdf, gauss) = NormalCdf(x);
        return Vector256.FusedMultiplyAdd(x * Vector256.Create(0.398942280f), gauss, cdf);
    }
}

internal static class UnaryFns
{
    public struct Neg : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => -x;
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> => -x;
    }
    public struct Exp : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => T.Exp(x);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Exp(x);
    }
    public struct Log : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => T.Log(x);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Log(x);
    }
    public struct Sqrt : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => T.Sqrt(x);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Sqrt(x);
    }
    public struct Rsqrt : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => T.One / T.Sqrt(x);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Create(T.One) / Vector256.Sqrt(x);
    }
    public struct Abs : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => T.Abs(x);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Abs(x);
    }
    /// <summary>±1, and x itself for ±0 and NaN. Branch-free in the vector form: on random signs (ReLU's backward uses it)
    /// the scalar branches mispredict half the time.</summary>
    public struct Sign : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? T.One : x < T.Zero ? -T.One : x;
        public static bool HasVector => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), Vector256.Create(T.One),
                Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), Vector256.Create(-T.One), x));
    }
    /// <summary>Float32 lanes are vectorised (<see cref="VMath.Tanh(Vector256{float})"/>); float64 stays on the libm tanh, lane by lane.</summary>
    public struct Tanh : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => T.Tanh(x);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (typeof(T) == typeof(float)) return VMath.Tanh(x.AsSingle()).As<float, T>();
            var d = x.AsDouble();
            return Vector256.Create(Math.Tanh(d[0]), Math.Tanh(d[1]), Math.Tanh(d[2]), Math.Tanh(d[3])).As<double, T>();
        }
    }
    /// <summary>σ(x) = 1 / (1 + e^(−x)).</summary>
    public struct Sigmoid : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector256.Create(T.One) / (Vector256.Create(T.One) + VMath.Exp(-x));
    }
    public struct Relu : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => x <= T.Zero ? T.Zero : x;
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<T>.Zero), Vector256<T>.Zero, x);
    }
    public struct Square : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => x * x;
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> => x * x;
    }
    public struct Reciprocal : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => T.One / x;
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Create(T.One) / x;
    }
    /// <summary>
    /// gelu(x) = x·Φ(x) = x/2 · (1 + erf(x/√2)): float64 in double with the series erf, float32 in float lanes
    /// (<see cref="VMath.NormalCdf"/>; a lone element goes through the same lanes, so both paths agree to the bit).
    /// </summary>
    public struct Gelu : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (typeof(T) == typeof(float)) return VMath.Gelu(Vector256.Create(x).AsSingle()).As<float, T>()[0];
            double v = double.CreateChecked(x);
            return T.CreateChecked(0.5 * v * (1 + SpecialFunctions.Erf(v * 0.70710678118654752)));
        }
        public static bool HasVector => true;
        public static bool HasVector512Float => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply512(Vector512<float> x) => VMath512.Gelu(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (typeof(T) == typeof(float)) return VMath.Gelu(x.AsSingle()).As<float, T>();
            var d = x.AsDouble();   // float64 keeps the series erf, lane by lane
            return Vector256.Create(Apply(d[0], 0.0, 0), Apply(d[1], 0.0, 0), Apply(d[2], 0.0, 0), Apply(d[3], 0.0, 0)).As<double, T>();
        }
    }
    /// <summary>gelu'(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).</summary>
    public struct GeluGrad : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (typeof(T) == typeof(float)) return VMath.GeluGrad(Vector256.Create(x).AsSingle()).As<float, T>()[0];
            double v = double.CreateChecked(x);
            double cdf = 0.5 * (1 + SpecialFunctions.Erf(v * 0.70710678118654752));
            return T.CreateChecked(cdf + v * Math.Exp(-0.5 * v * v) * 0.3989422804014327);
        }
        public static bool HasVector => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]   // into the optimised loops of BinaryRun (GELU's backward)
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (typeof(T) == typeof(float)) return VMath.GeluGrad(x.AsSingle()).As<float, T>();
            var d = x.AsDouble();
            return Vector256.Create(Apply(d[0], 0.0, 0), Apply(d[1], 0.0, 0), Apply(d[2], 0.0, 0), Apply(d[3], 0.0, 0)).As<double, T>();
        }
    }
    /// <summary>
    /// gelu_tanh(x) = x/2 · (1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), computed as x·σ(2u) = x / (1 + e^(−2u)) since
    /// 1 + tanh(u) = 2σ(2u): no cancellation for negative x (where 1 + tanh(u) → 0), and e^(−2u) = ∞ gives −0.
    /// The scalar path evaluates float32 in double and rounds once; float32 lanes run in float (see
    /// <see cref="VMath.GeluTanh(Vector256{float})"/>), a few ulps from it.
    /// </summary>
    public struct GeluTanh : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T>
        {
            double v = double.CreateChecked(x);
            double u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
            return T.CreateChecked(v / (1 + Math.Exp(-(u + u))));
        }
        public static bool HasVector => true;
        public static bool HasVector512Float => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply512(Vector512<float> x) => VMath512.GeluTanh(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> =>
            typeof(T) == typeof(float) ? VMath.GeluTanh(x.AsSingle()).As<float, T>() : VMath.GeluTanh(x.AsDouble()).As<double, T>();
    }
    /// <summary>d/dx = (1 + t)/2 + x/2 · (1 − t²) · √(2/π) · (1 + 3·0.044715·x²), t = tanh(u).</summary>
    public struct GeluTanhGrad : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T k = VMath.C<T>(0.7978845608028654), c = VMath.C<T>(0.044715), half = VMath.C<T>(0.5);
            T t = T.Tanh(k * (x + c * x * x * x));
            return half * (T.One + t) + half * x * (T.One - t * t) * k * (T.One + VMath.C<T>(3) * c * x * x);
        }
    }
    public struct Erf : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> =>
            T.CreateChecked(SpecialFunctions.Erf(double.CreateChecked(x)));
    }
    /// <summary>
    /// x^p1; as PyTorch, p1 = 2 is x·x, p1 = ½ is √x and p1 = −½ is 1/√x, so pow(−∞, ½) = NaN and pow(−0, −½) = −∞
    /// as for sqrt and rsqrt (C's pow gives +∞ and +∞).
    /// </summary>
    public struct PowScalar : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> =>
            p1 == VMath.C<T>(2) ? x * x : p1 == VMath.C<T>(0.5) ? T.Sqrt(x) : p1 == VMath.C<T>(-0.5) ? T.One / T.Sqrt(x) : T.Pow(x, p1);
    }
    /// <summary>min(max(x, p1), p2), NaN kept; with p1 &gt; p2 every element is p2, as in PyTorch.</summary>
    public struct Clamp : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (T.IsNaN(x)) return x;
            T low = x < p1 ? p1 : x;
            return low > p2 ? p2 : low;
        }
    }
    public struct InRange : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool<T>(x >= p1 && x <= p2);
    }
}

internal static class BinaryFns
{
    /// <summary>a·sign(b), sign as <see cref="UnaryFns.Sign"/> (sign(±0) = ±0, sign(NaN) = NaN).</summary>
    public struct MulSign : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a * UnaryFns.Sign.Apply(b, b, b);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a * UnaryFns.Sign.Apply(b, b, b);
    }
    /// <summary>a·gelu'(b), gelu' as <see cref="UnaryFns.GeluGrad"/>; float32 also on sixteen lanes, to the same bits.</summary>
    public struct GeluBackward : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a * UnaryFns.GeluGrad.Apply(b, b, b);
        public static bool HasVector => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a * UnaryFns.GeluGrad.Apply(b, b, b);
        public static bool HasVector512Float => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply512(Vector512<float> a, Vector512<float> b) => a * VMath512.GeluGrad(b);
    }
    public struct Add : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;
    }
    public struct Sub : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a - b;
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a - b;
    }
    public struct Mul : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a * b;
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a * b;
    }
    public struct Div : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a / b;
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a / b;
    }
    public struct Pow : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => T.Pow(a, b);
    }
    public struct Maximum : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => T.IsNaN(a) || a > b ? a : b;
    }
    public struct Minimum : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => T.IsNaN(a) || a < b ? a : b;
    }
    public struct Eq : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool<T>(a == b);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool(Vector256.Equals(a, b));
    }
    public struct Ne : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool<T>(a != b);
    }
    public struct Lt : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool<T>(a < b);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool(Vector256.LessThan(a, b));
    }
    public struct Le : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool<T>(a <= b);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool(Vector256.LessThanOrEqual(a, b));
    }
    public struct Gt : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool<T>(a > b);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool(Vector256.GreaterThan(a, b));
    }
    public struct Ge : IBinaryFn
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool<T>(a >= b);
        public static bool HasVector => true;
        public static Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool(Vector256.GreaterThanOrEqual(a, b));
    }
}
