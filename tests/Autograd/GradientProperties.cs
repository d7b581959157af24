using FsCheck.Xunit;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// Every differentiable op against central finite differences in float64, on random shapes (size-1 dims included),
/// broadcast partners and non-contiguous inputs (permuted, strided, expanded), as generated from an FsCheck seed.
/// </summary>
public class GradientProperties
{
    const int Runs = 25;

    static void CheckUnary(int seed, Func<Tensor, Tensor> op, bool positive = false)
    {
        var d = new TestData(seed);
        var shape = d.Shape();
        var (leafShape, view, _) = d.View(shape);
        var x = positive ? d.Positive(leafShape) : d.Tensor(leafShape);
        GradCheck.Assert(xs => op(view(xs[0])), [x]);
    }

    static void CheckBinary(int seed, Func<Tensor, Tensor, Tensor> op, bool positiveA = false, bool awayFromZeroB = false)
    {
        var d = new TestData(seed);
        var sa = d.Shape();
        var sb = d.BroadcastPartner(sa);
        if (d.Int(0, 1) == 1) (sa, sb) = (sb, sa);
        var (la, va, _) = d.View(sa);
        var (lb, vb, _) = d.View(sb);
        var a = positiveA ? d.Positive(la) : d.Tensor(la);
        var b = awayFromZeroB ? d.Positive(lb) * (d.Int(0, 1) == 0 ? 1.0 : -1.0) : d.Tensor(lb);
        GradCheck.Assert(xs => op(va(xs[0]), vb(xs[1])), [a.Detach().Contiguous(), b.Detach().Contiguous()]);
    }

    [Property(MaxTest = Runs)] public void Add(int seed) => CheckBinary(seed, (a, b) => a + b);
    [Property(MaxTest = Runs)] public void Sub(int seed) => CheckBinary(seed, (a, b) => a - b);
    [Property(MaxTest = Runs)] public void Mul(int seed) => CheckBinary(seed, (a, b) => a * b);
    [Property(MaxTest = Runs)] public void Div(int seed) => CheckBinary(seed, (a, b) => a / b, awayFromZeroB: true);
    [Property(MaxTest = Runs)] public void PowTensor(int seed) => CheckBinary(seed, (a, b) => a.Pow(b), positiveA: true);
    [Property(MaxTest = Runs)] public void Maximum(int seed) => CheckBinary(seed, (a, b) => a.Maximum(b));
    [Property(MaxTest = Runs)] public void Minimum(int seed) => CheckBinary(seed, (a, b) => a.Minimum(b));
    [Property(MaxTest = Runs)] public void WhereBothBranches(int seed) => CheckBinary(seed, (a, b) => Tensor.Where(a.Detach().Gt(0.0), a, b));
    [Property(MaxTest = Runs)] public void MaskedFill(int seed) => CheckUnary(seed, x => x.MaskedFill(x.Detach().Lt(0.0), 3.5) * x);

    [Property(MaxTest = Runs)] public void Neg(int seed) => CheckUnary(seed, x => -x);
    [Property(MaxTest = Runs)] public void Exp(int seed) => CheckUnary(seed, x => x.Exp());
    [Property(MaxTest = Runs)] public void Log(int seed) => CheckUnary(seed, x => x.Log(), positive: true);
    [Property(MaxTest = Runs)] public void Sqrt(int seed) => CheckUnary(seed, x => x.Sqrt(), positive: true);
    [Property(MaxTest = Runs)] public void Rsqrt(int seed) => CheckUnary(seed, x => x.Rsqrt(), positive: true);
    [Property(MaxTest = Runs)] public void Abs(int seed) => CheckUnary(seed, x => x.Abs());
    [Property(MaxTest = Runs)] public void PowScalar(int seed) => CheckUnary(seed, x => x.Pow(2.5), positive: true);
    [Property(MaxTest = Runs)] public void Square(int seed) => CheckUnary(seed, x => x.Square());
    [Property(MaxTest = Runs)] public void Reciprocal(int seed) => CheckUnary(seed, x => x.Reciprocal(), positive: true);
    [Property(MaxTest = Runs)] public void Tanh(int seed) => CheckUnary(seed, x => x.Tanh());
    [Property(MaxTest = Runs)] public void Sigmoid(int seed) => CheckUnary(seed, x => x.Sigmoid());
    [Property(MaxTest = Runs)] public void Relu(int seed) => CheckUnary(seed, x => x.Relu());
    [Property(MaxTest = Runs)] public void GeluExact(int seed) => CheckUnary(seed, x => x.Gelu());
    [Property(MaxTest = Runs)] public void GeluTanh(int seed) => CheckUnary(seed, x => x.Gelu("tanh"));
    [Property(MaxTest = Runs)] public void Erf(int seed) => CheckUnary(seed, x => x.Erf());
    [Property(MaxTest = Runs)] public void Clamp(int seed) => CheckUnary(seed, x => x.Clamp(-0.7, 0.9));

    [Property(MaxTest = Runs)]
    public void SumAndMeanOverRandomDims(int seed)
    {
        var d = new TestData(seed + 1);
        bool keep = d.Int(0, 1) == 1;
        var pick = Enumerable.Range(0, 3).Select(_ => d.Int(0, 1) == 1).ToArray();
        CheckUnary(seed, x =>
        {
            var dims = Enumerable.Range(0, x.Rank).Where(i => pick[i]).ToArray();
            return x.Sum(dims.Length == 0 ? null : dims, keep) + x.Mean(dims.Length == 0 ? null : dims, keep) * 3.0;
        });
    }

    [Property(MaxTest = Runs)]
    public void MaxAndMinOverADim(int seed)
    {
        var d = new TestData(seed + 1);
        bool keep = d.Int(0, 1) == 1;
        int dim = d.Int(0, 2);
        CheckUnary(seed, x => x.Rank == 0 ? x.Max() : x.Max(dim % x.Rank, keep).Sum() + x.Min(-1, keep).Sum());
    }

    [Property(MaxTest = Runs)]
    public void MatMulWithBatchBroadcastAndTransposedOperands(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 4), k = d.Int(1, 4), n = d.Int(1, 4);
        var batchA = d.Shape(0, 2, 3);
        var batchB = d.BroadcastPartner(batchA);
        if (d.Int(0, 1) == 1) (batchA, batchB) = (batchB, batchA);
        bool ta = d.Int(0, 1) == 1, tb = d.Int(0, 1) == 1;
        var a = d.Tensor(ta ? [.. batchA, k, m] : [.. batchA, m, k]);
        var b = d.Tensor(tb ? [.. batchB, n, k] : [.. batchB, k, n]);
        GradCheck.Assert(xs => (ta ? xs[0].MT : xs[0]).MatMul(tb ? xs[1].MT : xs[1]), [a, b]);
    }

    [Property(MaxTest = Runs)]
    public void MatMulWithABiasInTheGemm(int seed)
    {
        // a·b + bias with the bias written by the GEMM: the gradients of all three, and the same values as the plain sum
        var d = new TestData(seed);
        int m = d.Int(1, 4), k = d.Int(1, 4), n = d.Int(1, 4);
        var batchA = d.Shape(0, 2, 3);
        var batchB = d.Int(0, 1) == 1 ? [] : d.BroadcastPartner(batchA);
        bool ta = d.Int(0, 1) == 1;
        var a = d.Tensor(ta ? [.. batchA, k, m] : [.. batchA, m, k]);
        var (b, bias) = (d.Tensor([.. batchB, k, n]), d.Tensor([n]));
        GradCheck.Assert(xs => (ta ? xs[0].MT : xs[0]).MatMul(xs[1], xs[2]), [a, b, bias]);
        var av = ta ? a.MT : a;
        var (fused, plain) = (av.MatMul(b, bias).ToDoubleArray(), (av.MatMul(b) + bias).ToDoubleArray());
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], fused[i], 1e-12);
        Assert.Equal(bias.Expand(m, n).ToDoubleArray(), Tensor.Zeros([m, 0], DType.Float64).MatMul(Tensor.Zeros([0, n], DType.Float64), bias).ToDoubleArray());
    }

    [Property(MaxTest = Runs)]
    public void MatMulVectorCases(int seed)
    {
        var d = new TestData(seed);
        int k = d.Int(1, 5), n = d.Int(1, 4);
        GradCheck.Assert(xs => xs[0].MatMul(xs[1]), [d.Tensor([k]), d.Tensor([k])]);
        GradCheck.Assert(xs => xs[0].MatMul(xs[1]), [d.Tensor([k]), d.Tensor([2, k, n])]);
        GradCheck.Assert(xs => xs[0].MatMul(xs[1]), [d.Tensor([n, k]), d.Tensor([k])]);
    }

    [Property(MaxTest = Runs)]
    public void ViewsRouteGradientsBack(int seed)
    {
        var d = new TestData(seed);
        var x = d.Tensor([3, 4, 5]);
        GradCheck.Assert(xs =>
        {
            var v = xs[0].Permute(2, 0, 1).Slice(0, 1, 5, 2).Reshape(2, 12).T;   // [12, 2]
            var parts = v.Chunk(3, 0);
            var joined = Tensor.Cat([parts[2], parts[0] * 2.0], 0);
            return Tensor.Stack([joined[.., 0], joined[.., 1].Square()], 1).Unsqueeze(0).Expand(2, 8, 2).Flatten();
        }, [x]);
        GradCheck.Assert(xs => xs[0].Narrow(1, 1, 2).Select(2, -1).Squeeze() * xs[0][0, 0, 0], [x.Detach().Contiguous()]);
    }
}
