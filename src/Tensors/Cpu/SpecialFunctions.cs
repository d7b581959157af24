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
}
