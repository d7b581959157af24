using System.Globalization;
using System.Text.RegularExpressions;
using Interp.Autograd;

namespace Interp.Testing;

/// <summary>The checks GradProperty runs on one case; each returns null when the case passes it.</summary>
public static partial class CaseChecks
{
    /// <summary>Every check the options ask for, in order: the first failure (an exception is a failure too).</summary>
    public static Failure? All(Func<Tensor[], Tensor> op, TensorCase[] inputs, GradOptions options)
    {
        var checks = new List<(string Name, Func<Failure?> Check)>
        {
            ("gradient", () => Gradient(op, inputs, options)),
            ("gradient type", () => GradientType(op, inputs)),
        };
        if (options.CheckLinearity) checks.Add(("linearity", () => Linearity(op, inputs, options)));
        checks.Add(("typed run", () => TypedRun(op, inputs)));
        if (options.SecondDerivative) checks.Add(("second derivative", () => SecondDerivative(op, inputs, options)));
        foreach (var (name, check) in checks)
        {
            try { if (check() is { } failure) return failure; }
            catch (Exception e) { return new Failure(FailureKind.Threw, $"{e.GetType().Name} in the {name} check: {e.Message}"); }
        }
        return null;
    }

    /// <summary>Float64 central differences on the CPU (GradCheck), the views taken inside the function.</summary>
    public static Failure? Gradient(Func<Tensor[], Tensor> op, TensorCase[] inputs, GradOptions options)
    {
        var leaves = Leaves(inputs, DType.Float64, Device.Cpu);
        var worst = GradCheck.Run(xs => op(Views(inputs, xs)), leaves, options.Eps, options.Atol, options.Rtol, options.Seed);
        return worst is null ? null : new Failure(FailureKind.Gradient, worst, ParseWorst(worst, inputs));
    }

    /// <summary>After one backward in float64, every leaf's gradient has the leaf's shape, dtype and device.</summary>
    public static Failure? GradientType(Func<Tensor[], Tensor> op, TensorCase[] inputs)
    {
        var leaves = Leaves(inputs, DType.Float64, Device.Cpu, requireGrad: true);
        var y = op(Views(inputs, leaves));
        if (!y.RequiresGrad) return null;
        y.Backward(Upstream(y, 1));
        return WrongGradientType(leaves);
    }

    static Failure? WrongGradientType(Tensor[] leaves)
    {
        for (int k = 0; k < leaves.Length; k++)
            if (leaves[k].Grad is { } g && (!g.Shape.SequenceEqual(leaves[k].Shape) || g.DType != leaves[k].DType || g.Device != leaves[k].Device))
                return new Failure(FailureKind.GradientType,
                    $"input {k}: gradient is {ShapeUtil.Format(g.Shape.ToArray())} {g.DType.Name()} on {g.Device}, the input {ShapeUtil.Format(leaves[k].Shape.ToArray())} {leaves[k].DType.Name()} on {leaves[k].Device}");
        return null;
    }

    /// <summary>grad(2·g1 − 3·g2) = 2·grad(g1) − 3·grad(g2), over one forward pass.</summary>
    public static Failure? Linearity(Func<Tensor[], Tensor> op, TensorCase[] inputs, GradOptions options)
    {
        var leaves = Leaves(inputs, DType.Float64, Device.Cpu, requireGrad: true);
        var y = op(Views(inputs, leaves));
        if (!y.RequiresGrad) return null;
        var (g1, g2) = (Upstream(y, 1), Upstream(y, 2));
        var a = Grads(y, g1, leaves);
        var b = Grads(y, g2, leaves);
        var mixed = Grads(y, g1 * 2.0 - g2 * 3.0, leaves);
        for (int k = 0; k < leaves.Length; k++)
            for (int i = 0; i < mixed[k].Length; i++)
            {
                double expected = 2 * a[k][i] - 3 * b[k][i];
                if (!(Math.Abs(mixed[k][i] - expected) <= options.Atol + options.Rtol * Math.Abs(expected)))
                    return new Failure(FailureKind.NotLinear,
                        $"input {k} leaf element {i}: grad(2·g1 − 3·g2) = {mixed[k][i]:G6}, 2·grad(g1) − 3·grad(g2) = {expected:G6}");
            }
        return null;
    }

    /// <summary>Forward and backward in the case's dtype on its device against float64 on the CPU, and the gradients' types there.</summary>
    public static Failure? TypedRun(Func<Tensor[], Tensor> op, TensorCase[] inputs)
    {
        var (dtype, device) = (inputs[0].DType, inputs[0].Device);
        if (dtype == DType.Float64 && device == Device.Cpu) return null;
        var (refOut, refGrads) = ForwardBackward(op, inputs, DType.Float64, Device.Cpu);
        var leaves = Leaves(inputs, dtype, device, requireGrad: true);
        var y = op(Views(inputs, leaves));
        if (y.RequiresGrad) y.Backward(Upstream(y, 1));
        if (WrongGradientType(leaves) is { } wrongType) return wrongType;
        double tol = dtype == DType.Float32 ? 1e-3 : 1e-9;
        string where = $"{dtype.Name()} on {device}";
        return Differs("output", refOut, y.ToDoubleArray(), tol, where)
            ?? Enumerable.Range(0, leaves.Length).Select(k => Differs($"input {k} gradient", refGrads[k], GradValues(leaves[k]), tol, where)).FirstOrDefault(f => f is not null);
    }

    /// <summary>
    /// Forward and backward on the case's device against the CPU in the same dtype (the gradients of Σ op·r for a fixed
    /// random r): the same result within <see cref="GradOptions.Float32DeviceTolerance"/> or
    /// <see cref="GradOptions.Float64DeviceTolerance"/>, relative to max(1, |cpu|). A case on the CPU passes.
    /// </summary>
    public static Failure? DeviceParity(Func<Tensor[], Tensor> op, TensorCase[] inputs, GradOptions options)
    {
        var (dtype, device) = (inputs[0].DType, inputs[0].Device);
        if (device == Device.Cpu) return null;
        var (cpuOut, cpuGrads) = ForwardBackward(op, inputs, dtype, Device.Cpu);
        var leaves = Leaves(inputs, dtype, device, requireGrad: true);
        var y = op(Views(inputs, leaves));
        if (y.Device != device)
            return new Failure(FailureKind.DeviceParity, $"output is on {y.Device}, the inputs on {device}");
        if (y.RequiresGrad) y.Backward(Upstream(y, 1));
        if (WrongGradientType(leaves) is { } wrongType) return wrongType;
        double tol = dtype == DType.Float32 ? options.Float32DeviceTolerance : options.Float64DeviceTolerance;
        return Mismatch("output", cpuOut, y.ToDoubleArray(), tol, dtype, device)
            ?? Enumerable.Range(0, leaves.Length).Select(k => Mismatch($"input {k} gradient", cpuGrads[k], GradValues(leaves[k]), tol, dtype, device)).FirstOrDefault(f => f is not null);
    }

    static Failure? Mismatch(string what, double[] cpu, double[] other, double tol, DType dtype, Device device)
    {
        if (cpu.Length != other.Length)
            return new Failure(FailureKind.DeviceParity, $"{what}: {other.Length} elements on {device}, {cpu.Length} on cpu");
        for (int i = 0; i < cpu.Length; i++)
        {
            bool same = cpu[i].Equals(other[i]) || Math.Abs(cpu[i] - other[i]) <= tol * Math.Max(1, Math.Abs(cpu[i]));
            if (!same)
                return new Failure(FailureKind.DeviceParity, $"{what} element {i}: {other[i]:G9} on {device}, {cpu[i]:G9} on cpu ({dtype.Name()})");
        }
        return null;
    }

    static (double[] Output, double[][] Grads) ForwardBackward(Func<Tensor[], Tensor> op, TensorCase[] inputs, DType dtype, Device device)
    {
        var leaves = Leaves(inputs, dtype, device, requireGrad: true);
        var y = op(Views(inputs, leaves));
        if (y.RequiresGrad) y.Backward(Upstream(y, 1));
        return (y.ToDoubleArray(), leaves.Select(GradValues).ToArray());
    }

    static Failure? Differs(string what, double[] expected, double[] actual, double tol, string where)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i]))))
                return new Failure(FailureKind.TypedRun, $"{what} element {i}: {actual[i]:G6} in {where}, {expected[i]:G6} in float64 on cpu");
        return null;
    }

    /// <summary>Gradcheck of x ↦ ∂⟨op(x), g⟩/∂x in x and g (the backward recorded with createGraph).</summary>
    public static Failure? SecondDerivative(Func<Tensor[], Tensor> op, TensorCase[] inputs, GradOptions options)
    {
        int n = inputs.Length;
        int[] outShape;
        using (GradMode.NoGrad()) outShape = op(Views(inputs, Leaves(inputs, DType.Float64, Device.Cpu))).ShapeArray;
        var leaves = Leaves(inputs, DType.Float64, Device.Cpu).Append(Upstream(Tensor.Zeros(outShape, DType.Float64), 3)).ToArray();
        var worst = GradCheck.Run(xs =>
        {
            using var _ = GradMode.EnableGrad();
            // this inner backward is part of the function, not the gradient checked: it must neither see nor leave .Grad
            var outer = xs.Select(x => x.Grad).ToArray();
            foreach (var x in xs) x.Grad = null;
            var y = op(Views(inputs, xs[..n]));
            (y * xs[n]).Sum().Backward(createGraph: true);
            var grads = xs[..n].Select(x => (x.Grad ?? Tensor.ZerosLike(x)).Reshape(-1)).ToArray();
            for (int k = 0; k < xs.Length; k++) xs[k].Grad = outer[k];
            return Tensor.Cat(grads);
        }, leaves, options.Eps, options.Atol, options.Rtol, options.Seed);
        return worst is null ? null : new Failure(FailureKind.SecondDerivative, worst);
    }

    static Tensor[] Leaves(TensorCase[] inputs, DType dtype, Device device, bool requireGrad = false) =>
        inputs.Select(c => { var t = c.Leaf(dtype, device); t.RequiresGrad = requireGrad; return t; }).ToArray();

    static Tensor[] Views(TensorCase[] inputs, Tensor[] leaves) => inputs.Select((c, k) => c.View(leaves[k])).ToArray();

    /// <summary>A fixed random upstream gradient of y's shape, dtype and device.</summary>
    static Tensor Upstream(Tensor y, ulong seed) => Tensor.Randn(y.ShapeArray, new Generator(seed), y.DType, y.Device);

    static double[][] Grads(Tensor y, Tensor g, Tensor[] leaves)
    {
        foreach (var x in leaves) x.Grad = null;
        y.Backward(g, retainGraph: true);
        return leaves.Select(GradValues).ToArray();
    }

    static double[] GradValues(Tensor leaf) => leaf.Grad?.ToDoubleArray() ?? new double[leaf.Numel];

    [GeneratedRegex(@"^input (\d+) \[[^\]]*\] element (\d+): analytical (\S+), numerical (\S+)$")]
    private static partial Regex GradCheckMessage();

    /// <summary>GradCheck's worst element as data, with the flat index turned into the leaf's multi-index.</summary>
    static WorstElement? ParseWorst(string message, TensorCase[] inputs)
    {
        var m = GradCheckMessage().Match(message);
        if (!m.Success) return null;
        int k = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        int flat = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return new WorstElement(k, Unravel(flat, inputs[k].LeafShape),
            double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture));
    }

    static int[] Unravel(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { index[d] = flat % shape[d]; flat /= shape[d]; }
        return index;
    }
}
