using ILGPU;
using ILGPU.Runtime;

namespace Interp.Gpu;

/// <summary>Fused optimizer updates (one thread per parameter element, math in double as on the CPU), norms and scaling.</summary>
public sealed partial class IlgpuBackend
{
    public struct SgdArgs { public double Lr, Momentum, Dampening, WeightDecay; public int Nesterov, First, HasBuffer; }

    public struct AdamArgs { public double StepSize, InvCorrection2Sqrt, Decay, L2, Beta1, Beta2, Eps; }

    public void SgdUpdate(Tensor param, Tensor grad, Tensor? momentumBuffer, double lr, double momentum, double dampening,
        double weightDecay, bool nesterov, bool firstStep)
    {
        CheckOptimOperands("sgd", param, grad, momentumBuffer);
        if (param.Numel == 0) return;
        var args = new SgdArgs
        {
            Lr = lr, Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay,
            Nesterov = nesterov ? 1 : 0, First = firstStep ? 1 : 0, HasBuffer = momentumBuffer is null ? 0 : 1,
        };
        if (param.DType == DType.Float32) SgdTyped<float, F32>(param, grad, momentumBuffer ?? param, args);
        else SgdTyped<double, F64>(param, grad, momentumBuffer ?? param, args);
    }

    void SgdTyped<T, E>(Tensor p, Tensor g, Tensor buf, SgdArgs args) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"sgd/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, SgdArgs>(SgdKernel<T, E>));
        k(p.Numel, Dense<T>(p), Dense<T>(g), Dense<T>(buf), args);
    }

    /// <summary>d = g + wd·p; buf = first ? d : μ·buf + (1 − dampening)·d; d = nesterov ? d + μ·buf : buf; p −= lr·d.</summary>
    static void SgdKernel<T, E>(Index1D i, ArrayView<T> p, ArrayView<T> g, ArrayView<T> buf, SgdArgs s) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        double pi = e.Load(p[i]), d = e.Load(g[i]) + s.WeightDecay * pi;
        if (s.HasBuffer != 0)
        {
            double b = s.First != 0 ? d : s.Momentum * e.Load(buf[i]) + (1 - s.Dampening) * d;
            buf[i] = e.Store(b);
            d = s.Nesterov != 0 ? d + s.Momentum * b : b;
        }
        p[i] = e.Store(pi - s.Lr * d);
    }

    public void AdamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
        double weightDecay, bool decoupledWeightDecay, int step)
    {
        CheckOptimOperands("adam", param, grad, m, v);
        if (param.Numel == 0) return;
        var args = new AdamArgs
        {
            StepSize = lr / (1 - Math.Pow(beta1, step)),
            InvCorrection2Sqrt = 1 / Math.Sqrt(1 - Math.Pow(beta2, step)),
            Decay = decoupledWeightDecay ? 1 - lr * weightDecay : 1,
            L2 = decoupledWeightDecay ? 0 : weightDecay,
            Beta1 = beta1, Beta2 = beta2, Eps = eps,
        };
        if (param.DType == DType.Float32) AdamTyped<float, F32>(param, grad, m, v, args);
        else AdamTyped<double, F64>(param, grad, m, v, args);
    }

    void AdamTyped<T, E>(Tensor p, Tensor g, Tensor m, Tensor v, AdamArgs args) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"adam/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, AdamArgs>(AdamKernel<T, E>));
        k(p.Numel, Dense<T>(p), Dense<T>(g), Dense<T>(m), Dense<T>(v), args);
    }

    /// <summary>x = p·decay, g += l2·x, m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², p = x − stepSize·m / (√v · (1/√(1−β2ᵗ)) + ε)
    /// (the CPU backend's formula, to the bit).</summary>
    static void AdamKernel<T, E>(Index1D i, ArrayView<T> p, ArrayView<T> g, ArrayView<T> m, ArrayView<T> v, AdamArgs s)
        where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        double x = e.Load(p[i]) * s.Decay;
        double gi = e.Load(g[i]) + s.L2 * x;
        double mi = s.Beta1 * e.Load(m[i]) + (1 - s.Beta1) * gi;
        double vi = s.Beta2 * e.Load(v[i]) + (1 - s.Beta2) * gi * gi;
        m[i] = e.Store(mi);
        v[i] = e.Store(vi);
        p[i] = e.Store(x - s.StepSize * mi / (Math.Sqrt(vi) * s.InvCorrection2Sqrt + s.Eps));
    }

    void CheckOptimOperands(string op, Tensor param, params Tensor?[] others)
    {
        RequireFloat(op, param);
        foreach (var t in others.Prepend(param))
        {
            if (t is null) continue;
            StorageOf(op, t);
            if (t.DType != param.DType || !ShapeUtil.SameShape(t.shape, param.shape) || !t.IsContiguous)
                throw new ArgumentException($"{op}: every operand must be a contiguous {param.DType.Name()} tensor of shape {ShapeUtil.Format(param.shape)}, " +
                    $"got {t.DType.Name()} {ShapeUtil.Format(t.shape)}{(t.IsContiguous ? "" : " (not contiguous)")}");
        }
    }

    /// <summary>Σ x² in double: chunks of ~1024 elements summed on the device, the partials added on the host (this reads, so it waits).</summary>
    public double SumOfSquares(Tensor x)
    {
        var c = Contig("sum_of_squares", x);
        if (c.Numel == 0) return 0;
        int chunks = Math.Min(4096, (c.Numel + ChunkLen - 1) / ChunkLen);
        var partial = New([chunks], DType.Float64);
        switch (c.DType)
        {
            case DType.Float32: SumSqTyped<float, F32>(c, partial); break;
            case DType.Float64: SumSqTyped<double, F64>(c, partial); break;
            default: SumSqTyped<int, I32>(c, partial); break;
        }
        return partial.ToArray<double>().Sum();
    }

    void SumSqTyped<T, E>(Tensor x, Tensor partial) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"sum_sq/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<double>>(SumSqKernel<T, E>));
        k(partial.Numel, Dense<T>(x), Dense<double>(partial));
    }

    static void SumSqKernel<T, E>(Index1D c, ArrayView<T> x, ArrayView<double> partial) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        long n = x.Length, chunks = partial.Length;
        double s = 0;
        for (long i = n * c / chunks; i < n * (c + 1) / chunks; i++) { double v = e.Load(x[i]); s += v * v; }
        partial[c] = s;
    }

    public void ScaleInPlace(Tensor x, double factor)
    {
        RequireFloat("scale_", x);
        StorageOf("scale_", x);
        if (x.Numel == 0) return;
        if (x.DType == DType.Float32) ScaleTyped<float, F32>(x, factor);
        else ScaleTyped<double, F64>(x, factor);
    }

    void ScaleTyped<T, E>(Tensor x, double factor) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"scale/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Layout, double>(ScaleKernel<T, E>));
        k(x.Numel, Raw<T>(x), Layout.Of(x), factor);
    }

    /// <summary>In place, any strides (a view's elements are distinct, so no two threads write one element).</summary>
    static void ScaleKernel<T, E>(Index1D i, ArrayView<T> x, Layout lx, double factor) where T : unmanaged where E : struct, IElem<T>
    {
        int at = lx.At(i);
        x[at] = default(E).Store(default(E).Load(x[at]) * factor);
    }
}
