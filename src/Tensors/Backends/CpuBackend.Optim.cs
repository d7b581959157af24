using System.Numerics;
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
        double correction2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        double decay = decoupled ? 1 - lr * wd : 1, l2 = decoupled ? 0 : wd;
        ForChunks(param.Numel, (lo, hi) =>
        {
            for (int i = lo; i < hi; i++)
            {
                double x = double.CreateTruncating(p[i]) * decay;
                double gi = double.CreateTruncating(g[i]) + l2 * x;
                double mi = beta1 * double.CreateTruncating(pm[i]) + (1 - beta1) * gi;
                double vi = beta2 * double.CreateTruncating(pv[i]) + (1 - beta2) * gi * gi;
                pm[i] = T.CreateTruncating(mi);
                pv[i] = T.CreateTruncating(vi);
                p[i] = T.CreateTruncating(x - stepSize * mi / (Math.Sqrt(vi) / correction2Sqrt + eps));
            }
        });
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
        Parallel.For(0, (n + OptimChunk - 1) / OptimChunk, c => body(c * OptimChunk, Math.Min(n, (c + 1) * OptimChunk)));
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
