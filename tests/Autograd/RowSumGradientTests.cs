using FsCheck.Xunit;
using Interp.Autograd;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// Row-summed gradients (RowSums): x ± b with x needing no gradient reads its output gradient only as a row sum, so
/// the engine asks its reader for that sum (a matmul makes (Σ_rows G)·Bᵀ instead of the GEMM G·Bᵀ). The gradients
/// must be those of the full path, and the request must not be made where anything else needs the full gradient.
/// </summary>
public class RowSumGradientTests
{
    /// <summary>Encoder-like readers of xc = x ± b: a plain matmul, one with a bias in the GEMM, one with its ReLU too.</summary>
    static Tensor Read(Tensor xc, Tensor w, Tensor bias, int form) => form switch
    {
        0 => xc.MatMul(w),
        1 => xc.MatMul(w, bias),
        _ => xc.MatMulRelu(w, bias),
    };

    [Property(MaxTest = 30)]
    public void TheRowSummedPathGivesTheFullPathsGradients(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 5), k = d.Int(1, 5), n = d.Int(1, 5), form = d.Int(0, 2), order = d.Int(0, 2);
        var batch = d.Shape(0, 2, 3);
        var x = d.Tensor([.. batch, m, k]);
        var rowShape = d.Int(0, 2) switch { 0 => new[] { k }, 1 => [1, k], _ => [1] };
        var (b, w, bias) = (d.Tensor(rowShape).RequiresGrad_(), d.Tensor([k, n]).RequiresGrad_(), d.Tensor([n]).RequiresGrad_());
        var upstream = d.Tensor([.. batch, m, n]);
        var leaves = new[] { b, w, bias };
        Tensor Xc(Tensor xs) => order switch { 0 => xs - b, 1 => xs + b, _ => b - xs };
        List<double[]> Grads(Func<Tensor> loss)
        {
            foreach (var t in leaves) t.Grad = null;
            loss().Backward();
            return leaves.Select(t => t.Grad?.ToDoubleArray() ?? []).ToList();   // form 0 has no bias
        }
        var rowSummed = Grads(() => (Read(Xc(x), w, bias, form) * upstream).Sum());
        var observed = Grads(() =>
        {
            var xc = Xc(x);
            xc.RegisterHook(_ => null);   // a hook sees the full gradient, so the engine makes it
            return (Read(xc, w, bias, form) * upstream).Sum();
        });
        var xNeedsGrad = Grads(() => (Read(Xc(x.Detach().RequiresGrad_()), w, bias, form) * upstream).Sum());
        foreach (var (got, want) in rowSummed.Zip(observed)) Close(want, got);
        foreach (var (got, want) in rowSummed.Zip(xNeedsGrad)) Close(want, got);
    }

    [Fact]
    public void AnSaeLossWithAConstantInputMatchesFiniteDifferences()
    {
        var gen = new Generator(21);
        var x = Tensor.Randn([6, 4], gen, DType.Float64);
        var leaves = new[] { Tensor.Randn([4], gen, DType.Float64), Tensor.Randn([4, 5], gen, DType.Float64), Tensor.Randn([5], gen, DType.Float64), Tensor.Randn([5, 4], gen, DType.Float64) };
        GradCheck.Assert(p =>
        {
            var f = (x - p[0]).MatMulRelu(p[1], p[2]);
            var xHat = f.MatMul(p[3], p[0]);
            return (xHat - x).Square().Mean() + 1e-1 * f.Norm(1, 1).Mean();
        }, leaves);
        GradCheck.Assert(p => (x.Unsqueeze(0).Expand(3, 6, 4) - p[0]).MatMul(p[1]).Square().Sum(), leaves[..2]);
    }

    /// <summary>A reader of t that notes whether the engine asked it for t's row sum, and returns the full gradient anyway.</summary>
    static Tensor Probe(Tensor t, Action<bool> asked) =>
        Graph.Record("probe", t.Detach().Clone(), [t], g => { asked(RowSums.Wanted(0)); return [g]; });

    [Fact]
    public void TheRowSumIsAskedForOnlyWhereNothingElseNeedsTheFullGradient()
    {
        var gen = new Generator(22);
        var x = Tensor.Randn([5, 3], gen, DType.Float64);
        var b = Tensor.Randn([3], gen, DType.Float64).RequiresGrad_();
        bool Asked(Func<Tensor, Tensor> xcOf, Func<Tensor, Tensor, Tensor> loss, bool createGraph = false)
        {
            bool asked = false;
            var xc = xcOf(x);
            b.Grad = null;
            loss(Probe(xc, a => asked = a), xc).Backward(createGraph: createGraph);
            Assert.All(b.Grad!.ToDoubleArray(), v => Assert.Equal(-5.0, v, 1e-12));   // −Σ_rows 1, whichever path made it
            return asked;
        }
        Assert.True(Asked(x => x - b, (p, _) => p.Sum()));
        // x needs its gradient: the sub's backward needs the full gradient
        Assert.False(Asked(x => x.Detach().RequiresGrad_() - b, (p, _) => p.Sum()));
        Assert.False((x.Detach().RequiresGrad_() - b).GradFn!.TakesRowSum);
        Assert.False(Asked(x => { var xc = x - b; xc.RegisterHook(_ => null); return xc; }, (p, _) => p.Sum()));
        Assert.False(Asked(x => (x - b).RetainGrad(), (p, _) => p.Sum()));
        Assert.False(Asked(x => x - b, (p, xc) => p.Sum() + (xc * xc).Sum() * 0.0));   // a second reader
        Assert.False(Asked(x => x - b, (p, _) => p.Sum(), createGraph: true));
        // a full-shape operand that needs a gradient is no row
        Assert.False((x - x.Detach().RequiresGrad_()).GradFn!.TakesRowSum);
    }

    [Fact]
    public void ARowSummedGradientOfTheWrongShapeIsRefusedNamingTheOp()
    {
        var x = Tensor.Zeros([4, 3], DType.Float64);
        var b = Tensor.Zeros([3], DType.Float64).RequiresGrad_();
        var xc = x - b;
        var y = Graph.Record("badrows", xc.Detach().Clone(), [xc], g => [Tensor.Zeros([2], DType.Float64)]);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("badrows", e.Message);
        Assert.Contains("[2]", e.Message);
    }

    static void Close(double[] want, double[] got)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-10);
    }
}
