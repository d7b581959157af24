using FsCheck.Xunit;
using Interp.Autograd;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// Sign-scaled gradient parts (SignScaled): Σ|f| hands its gradient s·sign(f) to f's producer as s alone when that
/// producer folds it into its own pass (MatMulRelu) and nothing observes f's gradient. The gradients must be those of
/// the written-out part, bit for bit, and the part must be written out wherever something observes it.
/// </summary>
public class SignScaledGradientTests
{
    /// <summary>
    /// An SAE-like loss on f = relu(x·W + b) (MatMulRelu, or a separate Relu): the L1 penalty over f's last dim (one
    /// scale per row), over its first dim (one per column), over all of it, or as |f| summed, read alone or beside a
    /// decoder (and a third reader).
    /// </summary>
    static Tensor Loss(Tensor x, Tensor w, Tensor b, Tensor wDec, int penalty, int others, Action<Tensor>? onF = null, bool separateRelu = false)
    {
        var f = separateRelu ? (x.MatMul(w) + b).Relu() : x.MatMulRelu(w, b);
        onF?.Invoke(f);
        var l1 = penalty switch
        {
            // squared, so that each row's (column's) scale differs
            0 => f.Norm(1, -1).Square().Sum(), 1 => f.Norm(1, 0).Square().Sum() * 0.5, 2 => f.Norm(1, [0, 1]) * 2, _ => f.Abs().Sum(1).Square().Sum(),
        };
        return others switch
        {
            0 => l1,
            1 => l1 + f.MatMul(wDec).Square().Sum(),
            _ => l1 + f.MatMul(wDec).Square().Sum() + f.Norm(1, -1).Sum() * 3,   // two sign-scaled parts and one full one
        };
    }

    [Property(MaxTest = 30)]
    public void TheFoldedPartGivesTheWrittenOutPartsGradients(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 7), k = d.Int(1, 4), n = d.Int(1, 19), penalty = d.Int(0, 3), others = d.Int(0, 2);
        bool float32 = d.Int(0, 1) == 1, separateRelu = d.Int(0, 1) == 1;
        Tensor T(int[] shape) => float32 ? d.Tensor(shape).To(DType.Float32) : d.Tensor(shape);
        var x = T([m, k]);
        var leaves = new[] { T([k, n]).RequiresGrad_(), T([n]).RequiresGrad_(), T([n, 2]).RequiresGrad_() };
        List<double[]> Grads(bool observed)
        {
            foreach (var t in leaves) t.Grad = null;
            Loss(x, leaves[0], leaves[1], leaves[2], penalty, others, observed ? f => f.RegisterHook(_ => null) : null, separateRelu).Backward();
            return leaves.Select(t => t.Grad?.ToDoubleArray() ?? []).ToList();   // the decoder's weight only where it is read
        }
        // with one full part and one sign-scaled part the additions are the written-out path's, so bit for bit; two
        // sign-scaled parts are added to each other before the full one, so the order of the additions differs
        foreach (var (got, want) in Grads(observed: false).Zip(Grads(observed: true)))
            if (others < 2) Assert.Equal(want, got);
            else Close(want, got, float32 ? 1e-4 : 1e-12);
    }

    static void Close(double[] want, double[] got, double tolerance)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], tolerance * Math.Max(1, Math.Abs(want[i])));
    }

    [Fact]
    public void TheFoldedPartMatchesFiniteDifferences()
    {
        var gen = new Generator(31);
        var x = Tensor.Randn([5, 3], gen, DType.Float64);
        var leaves = new[] { Tensor.Randn([3, 6], gen, DType.Float64), Tensor.Randn([6], gen, DType.Float64), Tensor.Randn([6, 2], gen, DType.Float64) };
        for (int penalty = 0; penalty < 4; penalty++)
            for (int others = 0; others < 3; others++)
                foreach (bool separateRelu in new[] { false, true })
                    GradCheck.Assert(p => Loss(x, p[0], p[1], p[2], penalty, others, separateRelu: separateRelu), leaves);
    }

    [Fact]
    public void OnTheIlgpuCpuAcceleratorTheFoldedPartGivesTheCpuGradients()
    {
        var gen = new Generator(34);
        var x = Tensor.Randn([6, 3], gen, DType.Float64);
        var leaves = new[] { Tensor.Randn([3, 5], gen, DType.Float64), Tensor.Randn([5], gen, DType.Float64), Tensor.Randn([5, 2], gen, DType.Float64) };
        List<double[]> Grads(Device device)
        {
            var p = leaves.Select(t => t.To(device).RequiresGrad_()).ToArray();
            Loss(x.To(device), p[0], p[1], p[2], penalty: 0, others: 1).Backward();
            return p.Select(t => t.Grad!.To(Device.Cpu).ToDoubleArray()).ToList();
        }
        foreach (var (got, want) in Grads(Device.IlgpuCpu).Zip(Grads(Device.Cpu))) Close(want, got, 1e-9);
    }

    /// <summary>An identity op on x whose rule for a sign-scaled part notes that it ran (and computes g + s·sign(y)).</summary>
    static Tensor Producer(Tensor x, Action ranFolded) =>
        Graph.RecordSavingOutput("probe", x.Detach().Clone(), [x], (y, g) => [g], (y, g1, g2) => [g1 + g2], (y, g, s) =>
        {
            ranFolded();
            var part = s * y.Sign();
            return [g is null ? part : g + part];
        });

    [Fact]
    public void ThePartIsFoldedOnlyWhereNothingObservesIt()
    {
        var gen = new Generator(32);
        var x = Tensor.Randn([4, 5], gen, DType.Float64).RequiresGrad_();
        var c = Tensor.Randn([4, 5], gen, DType.Float64);
        var want = (x.Sign() * 2 + c).ToDoubleArray();
        int Folded(Func<Tensor, Tensor> loss, Action<Tensor>? onY = null, bool createGraph = false)
        {
            int folded = 0;
            x.Grad = null;
            var y = Producer(x, () => folded++);
            onY?.Invoke(y);
            loss(y).Backward(createGraph: createGraph);
            return folded;
        }
        Tensor TwoPenaltiesAndAProduct(Tensor y) => y.Norm(1, 1).Sum() + (y * c).Sum() + y.Norm(1, 0).Sum();
        Assert.Equal(1, Folded(TwoPenaltiesAndAProduct));
        Close(want, x.Grad!.ToDoubleArray(), 1e-12);
        Assert.Equal(1, Folded(y => y.Norm(1, 1).Sum() * 2));   // the penalty alone: no other part
        Assert.Equal(x.Sign().ToDoubleArray().Select(v => 2 * v).ToArray(), x.Grad!.ToDoubleArray());
        Assert.Equal(0, Folded(TwoPenaltiesAndAProduct, y => y.RegisterHook(_ => null)));
        Close(want, x.Grad!.ToDoubleArray(), 1e-12);
        Tensor? retained = null;
        Assert.Equal(0, Folded(TwoPenaltiesAndAProduct, y => retained = y.RetainGrad()));
        Close(want, retained!.Grad!.ToDoubleArray(), 1e-12);
        Assert.Equal(0, Folded(TwoPenaltiesAndAProduct, createGraph: true));
        Close(want, x.Grad!.ToDoubleArray(), 1e-12);
        Assert.Equal(1, Folded(y => y.Abs().Sum() + (y * c).Sum()));   // |y|'s gradient g·sign(y) goes as g
        Close((x.Sign() + c).ToDoubleArray(), x.Grad!.ToDoubleArray(), 1e-12);
        Assert.Equal(0, Folded(y => y.Square().Sum()));   // a reader whose gradient is not sign-scaled
    }

    [Property(MaxTest = 30)]
    public void TheKernelMatchesTheWrittenOutPart(int seed)
    {
        var d = new TestData(seed);
        var shape = d.Shape(1, 3, 40);
        int rank = shape.Length;
        var scaleShape = d.Int(0, 3) switch
        {
            0 => [.. shape[..^1], 1],                       // one value per row
            1 => shape,                                     // one per element
            2 => [shape[^1]],                               // one per column
            _ => Array.Empty<int>(),                        // one for all
        };
        bool float32 = d.Int(0, 1) == 1, withG = d.Int(0, 1) == 1;
        Tensor T(Tensor t) => float32 ? t.To(DType.Float32) : t;
        var y = T(d.Tensor(shape).Relu());
        var yv = y.ToDoubleArray();
        if (yv.Length > 2) { yv[1] = double.NaN; yv[^1] = double.PositiveInfinity; }
        y = T(Tensor.FromArray(yv, shape));
        var (s, g) = (T(d.Tensor(scaleShape)), withG ? T(d.Tensor(shape)) : null);
        var b = y.Backend;
        var (got, gotBias) = b.ReluBackwardOfSignScaled(g, s, y);
        var part = b.Binary(Backends.BinaryOp.MulSign, s.Expand(shape), y);
        var (want, wantBias) = g is null ? b.ReluBackwardWithBiasGrad(part, y) : b.ReluBackwardWithBiasGrad(g, part, y);
        Assert.Equal(want.ToDoubleArray(), got.ToDoubleArray());
        Assert.Equal(wantBias.ToDoubleArray(), gotBias.ToDoubleArray());
        // the ILGPU backend's composition (the part written out, then the two-part kernel) gives the same
        var dev = Device.IlgpuCpu;
        var onDevice = y.To(dev).Backend.ReluBackwardOfSignScaled(g?.To(dev), s.To(dev), y.To(dev));
        Assert.Equal(want.ToDoubleArray(), onDevice.Grad.To(Device.Cpu).ToDoubleArray());
        var (deviceBias, wb) = (onDevice.BiasGrad.To(Device.Cpu).ToDoubleArray(), wantBias.ToDoubleArray());
        for (int j = 0; j < wb.Length; j++)
            if (double.IsNaN(wb[j])) Assert.True(double.IsNaN(deviceBias[j]));
            else Assert.Equal(wb[j], deviceBias[j], float32 ? 1e-3 : 1e-9);
    }

    [Fact]
    public void TheKernelSpansBlocksInParallel()
    {
        // 700 rows: three blocks of the kernel's 256, run in parallel, with one scale per row
        var gen = new Generator(33);
        var (g, y, s) = (Tensor.Randn([700, 37], gen), Tensor.Randn([700, 37], gen).Relu(), Tensor.Randn([700, 1], gen));
        var (got, gotBias) = g.Backend.ReluBackwardOfSignScaled(g, s, y);
        var (want, wantBias) = g.Backend.ReluBackwardWithBiasGrad(g, g.Backend.Binary(Backends.BinaryOp.MulSign, s.Expand(700, 37), y), y);
        Assert.Equal(want.ToDoubleArray(), got.ToDoubleArray());
        Assert.Equal(wantBias.ToDoubleArray(), gotBias.ToDoubleArray());
    }
}
