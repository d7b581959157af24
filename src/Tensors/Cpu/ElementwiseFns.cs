using System.Numerics;
using System.Runtime.Intrinsics;

namespace Interp.Cpu;

/// <summary>An elementwise function of one value with two scalar parameters, scalar and (optionally) SIMD.</summary>
internal interface IUnaryFn
{
    static abstract T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T>;
    static virtual bool HasVector => false;
    static virtual Vector256<T> Apply<T>(Vector256<T> x, Vector256<T> p1, Vector256<T> p2) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException();
}

/// <summary>An elementwise function of two values, scalar and (optionally) SIMD.</summary>
internal interface IBinaryFn
{
    static abstract T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>;
    static virtual bool HasVector => false;
    static virtual Vector256<T> Apply<T>(Vector256<T> a, Vector256<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException();
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

    /// <summary>Float lanes: widened, computed in double, rounded once (as the scalar float path does).</summary>
    public static Vector256<float> GeluTanh(Vector256<float> x)
    {
        var (lo, hi) = Vector256.Widen(x);
        return Vector256.Narrow(GeluTanh(lo), GeluTanh(hi));
    }

    /// <summary>Φ(v) in double lanes: <see cref="SpecialFunctions.NormalCdfForSingle"/>'s erfc fit, branch-free.</summary>
    public static Vector256<double> NormalCdfForSingle(Vector256<double> v)
    {
        var z = Vector256.Abs(v) * Vector256.Create(0.70710678118654752);
        var t = Vector256<double>.One / (Vector256<double>.One + Vector256.Create(0.5) * z);
        var poly = Vector256.Create(1.00002368) + t * (Vector256.Create(0.37409196) + t * (Vector256.Create(0.09678418)
            + t * (Vector256.Create(-0.18628806) + t * (Vector256.Create(0.27886807) + t * (Vector256.Create(-1.13520398)
            + t * (Vector256.Create(1.48851587) + t * (Vector256.Create(-0.82215223) + t * Vector256.Create(0.17087277))))))));
        var halfErfc = Vector256.Create(0.5) * t * Vector256.Exp(-z * z - Vector256.Create(1.26551223) + t * poly);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(v, Vector256<double>.Zero), Vector256<double>.One - halfErfc, halfErfc);
    }

    /// <summary>gelu(v) = v·Φ(v) in float lanes, computed in double and rounded once (the scalar float path's formula).</summary>
    public static Vector256<float> Gelu(Vector256<float> x)
    {
        var (lo, hi) = Vector256.Widen(x);
        return Vector256.Narrow(lo * NormalCdfForSingle(lo), hi * NormalCdfForSingle(hi));
    }

    /// <summary>gelu'(v) = Φ(v) + v·φ(v) in float lanes, computed in double and rounded once.</summary>
    public static Vector256<float> GeluGrad(Vector256<float> x)
    {
        var (lo, hi) = Vector256.Widen(x);
        return Vector256.Narrow(GeluGrad(lo), GeluGrad(hi));
    }

    static Vector256<double> GeluGrad(Vector256<double> v) =>
        NormalCdfForSingle(v) + v * Vector256.Exp(Vector256.Create(-0.5) * v * v) * Vector256.Create(0.3989422804014327);
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
    /// <summary>gelu(x) = x·Φ(x) = x/2 · (1 + erf(x/√2)), computed in double; float32 takes Φ from a fit good to 1.2e-7.</summary>
    public struct Gelu : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T>
        {
            double v = double.CreateChecked(x);
            if (typeof(T) == typeof(float)) return T.CreateChecked(v * SpecialFunctions.NormalCdfForSingle(v));
            return T.CreateChecked(0.5 * v * (1 + SpecialFunctions.Erf(v * 0.70710678118654752)));
        }
        public static bool HasVector => true;
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
            double v = double.CreateChecked(x);
            double cdf = typeof(T) == typeof(float) ? SpecialFunctions.NormalCdfForSingle(v) : 0.5 * (1 + SpecialFunctions.Erf(v * 0.70710678118654752));
            return T.CreateChecked(cdf + v * Math.Exp(-0.5 * v * v) * 0.3989422804014327);
        }
        public static bool HasVector => true;
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
    /// Float32 is evaluated in double (vector and scalar alike), so both paths round once to the same float.
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
    public struct PowScalar : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => p1 == VMath.C<T>(2) ? x * x : T.Pow(x, p1);
    }
    public struct Clamp : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => T.IsNaN(x) ? x : x < p1 ? p1 : x > p2 ? p2 : x;
    }
    public struct InRange : IUnaryFn
    {
        public static T Apply<T>(T x, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> => VMath.Bool<T>(x >= p1 && x <= p2);
    }
}

internal static class BinaryFns
{
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
