using Interp.Backends;

namespace Interp.Gpu;

/// <summary>
/// The scalar math of the elementwise kernels, in double (the same formulas as Cpu/ElementwiseFns.cs). Only
/// System.Math functions that ILGPU maps to device intrinsics are used, so these compile for CUDA.
/// </summary>
static class GpuMath
{
    const double SqrtHalf = 0.70710678118654752, InvSqrt2Pi = 0.3989422804014327, K = 0.7978845608028654, C = 0.044715;

    public static double Unary(int op, double x, double p1, double p2)
    {
        switch ((UnaryOp)op)
        {
            case UnaryOp.Neg: return -x;
            case UnaryOp.Exp: return Math.Exp(x);
            case UnaryOp.Log: return Math.Log(x);
            case UnaryOp.Sqrt: return Math.Sqrt(x);
            case UnaryOp.Rsqrt: return 1 / Math.Sqrt(x);
            case UnaryOp.Abs: return Math.Abs(x);
            case UnaryOp.Sign: return x > 0 ? 1 : x < 0 ? -1 : x;
            case UnaryOp.Tanh: return Math.Tanh(x);
            case UnaryOp.Sigmoid: return 1 / (1 + Math.Exp(-x));
            case UnaryOp.Relu: return x <= 0 ? 0 : x;
            case UnaryOp.Square: return x * x;
            case UnaryOp.Reciprocal: return 1 / x;
            case UnaryOp.Gelu: return 0.5 * x * (1 + Erf(x * SqrtHalf));
            case UnaryOp.GeluGrad: return 0.5 * (1 + Erf(x * SqrtHalf)) + x * Math.Exp(-0.5 * x * x) * InvSqrt2Pi;
            case UnaryOp.GeluTanh: return 0.5 * x * (1 + Math.Tanh(K * (x + C * x * x * x)));
            case UnaryOp.GeluTanhGrad:
                {
                    double t = Math.Tanh(K * (x + C * x * x * x));
                    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * C * x * x);
                }
            case UnaryOp.Erf: return Erf(x);
            case UnaryOp.PowScalar: return p1 == 2 ? x * x : p1 == 0.5 ? Math.Sqrt(x) : p1 == -0.5 ? 1 / Math.Sqrt(x) : Math.Pow(x, p1);
            case UnaryOp.Clamp:
            {
                if (double.IsNaN(x)) return x;
                double low = x < p1 ? p1 : x;   // min(max(x, p1), p2): p1 > p2 gives p2
                return low > p2 ? p2 : low;
            }
            default: return x >= p1 && x <= p2 ? 1 : 0;   // InRange
        }
    }

    public static double Binary(int op, double a, double b)
    {
        switch ((BinaryOp)op)
        {
            case BinaryOp.Add: return a + b;
            case BinaryOp.Sub: return a - b;
            case BinaryOp.Mul: return a * b;
            case BinaryOp.Div: return a / b;
            case BinaryOp.Pow: return Math.Pow(a, b);
            case BinaryOp.Maximum: return double.IsNaN(a) || a > b ? a : b;
            case BinaryOp.Minimum: return double.IsNaN(a) || a < b ? a : b;
            case BinaryOp.Eq: return a == b ? 1 : 0;
            case BinaryOp.Ne: return a != b ? 1 : 0;
            case BinaryOp.Lt: return a < b ? 1 : 0;
            case BinaryOp.Le: return a <= b ? 1 : 0;
            case BinaryOp.Gt: return a > b ? 1 : 0;
            case BinaryOp.MulSign: return a * (b > 0 ? 1 : b < 0 ? -1 : b);
            case BinaryOp.GeluBackward: return a * (0.5 * (1 + Erf(b * SqrtHalf)) + b * Math.Exp(-0.5 * b * b) * InvSqrt2Pi);
            default: return a >= b ? 1 : 0;   // Ge
        }
    }

    /// <summary>erf as in Cpu/SpecialFunctions.cs: the positive power series for |x| &lt; 3, the erfc continued fraction beyond.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x), sign = x < 0 ? -1 : 1;
        if (ax >= 6) return sign;
        if (ax >= 3)
        {
            double f = ax, c = ax, d = 0;
            for (int n = 1; n < 300; n++)
            {
                double a = n * 0.5;
                d = ax + a * d; d = Math.Abs(d) < 1e-300 ? 1e-300 : d; d = 1 / d;
                c = ax + a / c; c = Math.Abs(c) < 1e-300 ? 1e-300 : c;
                double delta = c * d;
                f *= delta;
                if (Math.Abs(delta - 1) < 1e-16) break;
            }
            return sign * (1 - Math.Exp(-ax * ax) / 1.7724538509055160 / f);
        }
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) < 1e-17 * Math.Abs(sum)) break;
        }
        return 1.1283791670955126 * Math.Exp(-x2) * sum;
    }
}
