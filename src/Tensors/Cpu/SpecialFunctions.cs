namespace Interp.Cpu;

/// <summary>Functions the BCL lacks, in double precision.</summary>
public static class SpecialFunctions
{
    const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>
    /// erf(x). For |x| &lt; 3: erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)) — all terms positive, so no
    /// cancellation. For |x| ≥ 3: 1 − erfc(x) with erfc from its continued fraction (modified Lentz). Near machine precision.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax >= 6) return Math.Sign(x);
        if (ax >= 3) return Math.Sign(x) * (1 - ErfcContinuedFraction(ax));
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) < 1e-17 * Math.Abs(sum)) break;
        }
        return TwoOverSqrtPi * Math.Exp(-x2) * sum;
    }

    /// <summary>erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))) for x ≥ 3.</summary>
    static double ErfcContinuedFraction(double x)
    {
        const double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 300; n++)
        {
            double a = n * 0.5;
            d = x + a * d; d = Math.Abs(d) < tiny ? tiny : d; d = 1 / d;
            c = x + a / c; c = Math.Abs(c) < tiny ? tiny : c;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>
    /// Φ(v) = P(N(0, 1) ≤ v) for float32 results: relative error below 1.2e-7 (two float32 ulps) from the Chebyshev fit
    /// of erfc in Numerical Recipes (§6.2, erfcc), evaluated in double — about a fifth of <see cref="Erf"/>'s cost,
    /// which exact GELU pays for every element. The negative tail comes from erfc directly, so it has no cancellation.
    /// </summary>
    public static double NormalCdfForSingle(double v)
    {
        if (double.IsNaN(v)) return v;
        double z = Math.Abs(v) * 0.70710678118654752, t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return v >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
    }
}
