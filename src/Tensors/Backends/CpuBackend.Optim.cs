using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    const int OptimChunk = 1 << 15;   // elements per parallel work item

    public void SgdUpdate(Tensor param, Tensor grad, Tensor? momentumBuffer, double lr, double momentum, double dampening,
        double weightDecay, bool nesterov, bool firstStep)
    {
        CheckOptimOperands("sgd", param, grad, momentumBuffer);
        if (param.DType == DType.Float32) Sgd<float>(param, grad, momentumBuffer, lr, momentum, dampening, weightDecay, nesterov, firstStep);
        else Sgd<double>(param, grad, momentumBuffer, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }

    static void Sgd<T>(Tensor param, Tensor grad, Tensor? buffer, double lr, double mu, double dampening, double wd, bool nesterov, bool first)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* p = Ptr<T>(param) + param.Offset, g = Ptr<T>(grad) + grad.Offset;
        T* b = buffer is null ? null : Ptr<T>(buffer) + buffer.Offset;
        using var alive = new KeepAlive(param, grad, buffer);
        ForChunks(param.Numel, (lo, hi) =>
        {
            for (int i = lo; i < hi; i++)
            {
                double d = double.CreateTruncating(g[i]) + wd * double.CreateTruncating(p[i]);
                if (b != null)
                {
                    double buf = first ? d : mu * double.CreateTruncating(b[i]) + (1 - dampening) * d;
                    b[i] = T.CreateTruncating(buf);
                    d = nesterov ? d + mu * buf : buf;
                }
                p[i] = T.CreateTruncating(double.CreateTruncating(p[i]) - lr * d);
            }
        });
    }

    public void AdamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
        double weightDecay, bool decoupledWeightDecay, int step)
    {
        CheckOptimOperands("adam", param, grad, m, v);
        if (step < 1) throw new ArgumentException($"adam: step must be at least 1, got {step}");
        if (param.DType == DType.Float32) Adam<float>(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step);
        else Adam<double>(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step);
    }

    static void Adam<T>(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
        double wd, bool decoupled, int step) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* p = Ptr<T>(param) + param.Offset, g = Ptr<T>(grad) + grad.Offset;
        T* pm = Ptr<T>(m) + m.Offset, pv = Ptr<T>(v) + v.Offset;
        using var alive = new KeepAlive(param, grad, m, v);
        double stepSize = lr / (1 - Math.Pow(beta1, step));
        // √v·(1/√(1−β2ᵗ)) rather than √v/√(1−β2ᵗ): a double division per element is a quarter of the update's time
        double invCorrection2Sqrt = 1 / Math.Sqrt(1 - Math.Pow(beta2, step));
        double decay = decoupled ? 1 - lr * wd : 1, l2 = decoupled ? 0 : wd;
        ForChunks(param.Numel, (lo, hi) =>
        {
            if (typeof(T) == typeof(float) && Avx.IsSupported)
                lo = AdamFloatAvx((float*)p, (float*)g, (float*)pm, (float*)pv, lo, hi, decay, l2, beta1, beta2, stepSize, invCorrection2Sqrt, eps);
            for (int i = lo; i < hi; i++)
            {
                double x = double.CreateTruncating(p[i]) * decay;
                double gi = double.CreateTruncating(g[i]) + l2 * x;
                double mi = beta1 * double.CreateTruncating(pm[i]) + (1 - beta1) * gi;
                double vi = beta2 * double.CreateTruncating(pv[i]) + (1 - beta2) * gi * gi;
                pm[i] = T.CreateTruncating(mi);
                pv[i] = T.CreateTruncating(vi);
                p[i] = T.CreateTruncating(x - stepSize * mi / (Math.Sqrt(vi) * invCorrection2Sqrt + eps));
            }
        });
    }

    /// <summary>
    /// The float32 Adam update four elements at a time, in double as the scalar loop (the same operations in the same
    /// order, so the same bits); returns where the scalar loop takes over.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // at tier 0 through a run's first steps otherwise (called once per parameter a step)
    static int AdamFloatAvx(float* p, float* g, float* pm, float* pv, int lo, int hi, double decay, double l2, double beta1,
        double beta2, double stepSize, double invCorrection2Sqrt, double eps)
    {
        var (vDecay, vL2, vB1, vB2) = (Vector256.Create(decay), Vector256.Create(l2), Vector256.Create(beta1), Vector256.Create(beta2));
        var (vC1, vC2) = (Vector256.Create(1 - beta1), Vector256.Create(1 - beta2));
        var (vStep, vCorr, vEps) = (Vector256.Create(stepSize), Vector256.Create(invCorrection2Sqrt), Vector256.Create(eps));
        int i = Avx512F.IsSupported ? AdamFloatAvx512(p, g, pm, pv, lo, hi, decay, l2, beta1, beta2, stepSize, invCorrection2Sqrt, eps) : lo;
        for (; i <= hi - 4; i += 4)
        {
            var x = Avx.ConvertToVector256Double(Sse.LoadVector128(p + i)) * vDecay;
            var gi = Avx.ConvertToVector256Double(Sse.LoadVector128(g + i)) + vL2 * x;
            var mi = vB1 * Avx.ConvertToVector256Double(Sse.LoadVector128(pm + i)) + vC1 * gi;
            var vi = vB2 * Avx.ConvertToVector256Double(Sse.LoadVector128(pv + i)) + vC2 * gi * gi;
            Sse.Store(pm + i, Avx.ConvertToVector128Single(mi));
            Sse.Store(pv + i, Avx.ConvertToVector128Single(vi));
            Sse.Store(p + i, Avx.ConvertToVector128Single(x - vStep * mi / (Vector256.Sqrt(vi) * vCorr + vEps)));
        }
        return i;
    }

    /// <summary>
    /// <see cref="AdamFloatAvx"/> eight elements at a time (its square roots and divisions in double are most of the
    /// update's time: twice the lanes a step); the same operations in the same order, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int AdamFloatAvx512(float* p, float* g, float* pm, float* pv, int lo, int hi, double decay, double l2, double beta1,
        double beta2, double stepSize, double invCorrection2Sqrt, double eps)
    {
        var (vDecay, vL2, vB1, vB2) = (Vector512.Create(decay), Vector512.Create(l2), Vector512.Create(beta1), Vector512.Create(beta2));
        var (vC1, vC2) = (Vector512.Create(1 - beta1), Vector512.Create(1 - beta2));
        var (vStep, vCorr, vEps) = (Vector512.Create(stepSize), Vector512.Create(invCorrection2Sqrt), Vector512.Create(eps));
        int i = lo;
        for (; i <= hi - 8; i += 8)
        {
            var x = Avx512F.ConvertToVector512Double(Avx.LoadVector256(p + i)) * vDecay;
            var gi = Avx512F.ConvertToVector512Double(Avx.LoadVector256(g + i)) + vL2 * x;
            var mi = vB1 * Avx512F.ConvertToVector512Double(Avx.LoadVector256(pm + i)) + vC1 * gi;
            var vi = vB2 * Avx512F.ConvertToVector512Double(Avx.LoadVector256(pv + i)) + vC2 * gi * gi;
            Avx.Store(pm + i, Avx512F.ConvertToVector256Single(mi));
            Avx.Store(pv + i, Avx512F.ConvertToVector256Single(vi));
            Avx.Store(p + i, Avx512F.ConvertToVector256Single(x - vStep * mi / (Vector512.Sqrt(vi) * vCorr + vEps)));
        }
        return i;
    }

    public double SumOfSquares(Tensor x)
    {
        RequireCpu("sum_of_squares", x); RequireFloat("sum_of_squares", x);
        var c = x.ToCpuContiguous();
        return c.DType == DType.Float32 ? SumSq<float>(c) : SumSq<double>(c);
    }

    static double SumSq<T>(Tensor x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* p = Ptr<T>(x) + x.Offset;
        using var alive = new KeepAlive(x);
        double s = 0;
        for (int i = 0; i < x.Numel; i++) { double v = double.CreateTruncating(p[i]); s += v * v; }
        return s;
    }

    public void ScaleInPlace(Tensor x, double factor)
    {
        RequireCpu("scale_", x); RequireFloat("scale_", x);
        if (x.DType == DType.Float32) Scale(x, (float)factor);
        else Scale(x, factor);
    }

    static void Scale<T>(Tensor x, T factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* p = Ptr<T>(x);
        using var alive = new KeepAlive(x);
        new StridedLoop(x.shape, x.strides).Run([x.Offset], (off, n, st) =>
        {
            for (int i = 0; i < n; i++) p[off[0] + i * st[0]] *= factor;
        });
    }

    static void ForChunks(int n, Action<int, int> body)
    {
        if (n <= OptimChunk) { body(0, n); return; }
        CpuParallel.For((n + OptimChunk - 1) / OptimChunk, c => body(c * OptimChunk, Math.Min(n, (c + 1) * OptimChunk)));
    }

    static void CheckOptimOperands(string op, Tensor param, params Tensor?[] others)
    {
        RequireCpu(op, param); RequireFloat(op, param);
        foreach (var t in others.Prepend(param))
        {
            if (t is null) continue;
            RequireCpu(op, t);
            if (t.DType != param.DType || !ShapeUtil.SameShape(t.shape, param.shape) || !t.IsContiguous)
                throw new ArgumentException($"{op}: every operand must be a contiguous {param.DType.Name()} tensor of shape {ShapeUtil.Format(param.shape)}, " +
                    $"got {t.DType.Name()} {ShapeUtil.Format(t.shape)}{(t.IsContiguous ? "" : " (not contiguous)")}");
        }
    }
}
