using Interp.Autograd;
using Interp.Testing;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// Second derivatives (backward with createGraph, then backward again) through ops that save their output and through
/// view and indexing ops, whose backward must itself be recorded; checked against finite differences of the first
/// derivative in float64. All but Diagonal, ExpandAndPermute and IndexSelect (whose backward was already recorded;
/// kept as guards) came out silently zero, or threw, before the fix.
/// </summary>
public class SecondDerivativeTests
{
    static readonly GradOptions Twice = new() { SecondDerivative = true, Runs = 25 };
    static readonly GradOptions TwiceOnContiguous = Twice with { MaxViews = 0 };

    /// <summary>d²f/dx² at each point of x, by differentiating the gradient recorded with createGraph.</summary>
    static double[] SecondDerivative(Func<Tensor, Tensor> f, double[] x)
    {
        var leaf = Tensor.FromArray(x, requiresGrad: true);
        f(leaf).Sum().Backward(createGraph: true);
        var grad = leaf.Grad!;
        leaf.Grad = null;
        grad.Sum().Backward();
        return leaf.Grad!.ToDoubleArray();
    }

    static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-9);
    }

    // ---- ops that save their output ----

    [Fact]
    public void ExpAtZeroHasSecondDerivativeOne() => AssertClose([1.0], SecondDerivative(x => x.Exp(), [0.0]));

    [Fact]
    public void SecondDerivativesOfOutputSavingOpsMatchTheirFormulas()
    {
        double[] x = [0.3, 1.7];
        AssertClose(x.Select(v => -2 * Math.Tanh(v) * (1 - Math.Tanh(v) * Math.Tanh(v))).ToArray(), SecondDerivative(t => t.Tanh(), x));
        AssertClose(x.Select(v => { double s = 1 / (1 + Math.Exp(-v)); return s * (1 - s) * (1 - 2 * s); }).ToArray(), SecondDerivative(t => t.Sigmoid(), x));
        AssertClose(x.Select(v => -0.25 * Math.Pow(v, -1.5)).ToArray(), SecondDerivative(t => t.Sqrt(), x));
        AssertClose(x.Select(v => 0.75 * Math.Pow(v, -2.5)).ToArray(), SecondDerivative(t => t.Rsqrt(), x));
        AssertClose(x.Select(v => 2 / (v * v * v)).ToArray(), SecondDerivative(t => t.Reciprocal(), x));
    }

    [Fact] public void Exp() => GradProperty.Check(x => x.Exp(), options: TwiceOnContiguous);
    [Fact] public void Tanh() => GradProperty.Check(x => x.Tanh(), options: TwiceOnContiguous);
    [Fact] public void Sigmoid() => GradProperty.Check(x => x.Sigmoid(), options: TwiceOnContiguous);
    [Fact] public void Sqrt() => GradProperty.Check(x => x.Sqrt(), Domain.Positive, TwiceOnContiguous);
    [Fact] public void Rsqrt() => GradProperty.Check(x => x.Rsqrt(), Domain.Positive, TwiceOnContiguous);
    [Fact] public void Reciprocal() => GradProperty.Check(x => x.Reciprocal(), Domain.AwayFromZero, TwiceOnContiguous);

    [Fact]
    public void Norm() => GradProperty.Check(x => x.Norm(2, -1), Domain.AwayFromZero, TwiceOnContiguous with { MinRank = 1 });

    [Fact]
    public void TheSavedOutputStillDoesNotKeepTheOutputTensorAlive()
    {
        var x = Tensor.FromArray([0.5, 1.5], requiresGrad: true);
        var (loss, output) = ExpAndSum(x);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(output.IsAlive, "the rule keeps the output's data, not the output tensor");
        loss.Backward(createGraph: true);
        var grad = x.Grad!;
        x.Grad = null;
        grad.Sum().Backward();
        AssertClose([Math.Exp(0.5), Math.Exp(1.5)], x.Grad!.ToDoubleArray());
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static (Tensor Loss, WeakReference Output) ExpAndSum(Tensor x)
    {
        var y = x.Exp();
        return (y.Sum(), new WeakReference(y));
    }

    // ---- views and indexing: the backward must be recorded too ----
    // view(x)² has second derivative 2 on the viewed elements, so a view whose backward is not recorded gives 0.

    [Fact] public void Slice() => GradProperty.Check(x => x.Slice(-1, 1, null, 2).Square(), options: TwiceOnContiguous with { MinRank = 1 });

    [Fact] public void Narrow() => GradProperty.Check(x => x.Narrow(-1, 0, 1).Square(), options: TwiceOnContiguous with { MinRank = 1 });

    [Fact] public void Select() => GradProperty.Check(x => x.Select(0, -1).Square(), options: TwiceOnContiguous with { MinRank = 1 });

    [Fact] public void Diagonal() => GradProperty.Check(x => x.Diagonal(0, 0, 1).Square(), options: TwiceOnContiguous with { MinRank = 2 });

    [Fact] public void ExpandAndPermute() => GradProperty.Check(x => x.Unsqueeze(0).Expand(2, -1, -1).Permute(2, 0, 1).Square(), options: TwiceOnContiguous with { MinRank = 2, MaxRank = 2 });

    [Fact]
    public void CatAndSplit() => GradProperty.Check(x => Tensor.Cat([x.Square(), x], -1).Split(1, -1)[0].Exp(), options: TwiceOnContiguous with { MinRank = 1 });

    [Fact]
    public void IndexSelect() => GradProperty.Check(x => x.IndexSelect(0, Tensor.FromArray([0, 0])).Square(), options: TwiceOnContiguous with { MinRank = 1 });

    /// <summary>Any op through the views the property draws (step slices, narrows, diagonals, expands, permutes).</summary>
    [Fact] public void ExpThroughViews() => GradProperty.Check(x => x.Exp(), options: Twice);

    [Fact] public void SquareThroughViews() => GradProperty.Check(x => x.Square(), options: Twice);

    [Fact]
    public void ReluOfAStepSliceDifferentiatesInTheUpstreamGradient()
    {
        // nothing but the slice's backward connects x's gradient to u here: before the fix the outer backward threw
        var x = Tensor.FromArray([1.0, -2, 3, 4], requiresGrad: true);
        var u = Tensor.FromArray([10.0, 20], requiresGrad: true);
        x.Slice(0, 0, null, 2).Relu().Backward(u, createGraph: true);
        var w = Tensor.FromArray([1.0, 2, 3, 4]);
        (x.Grad! * w).Sum().Backward();
        AssertClose([1.0, 3], u.Grad!.ToDoubleArray());   // ∂/∂u Σ w·scatter(u·1[x > 0]) = w at the kept elements
    }

    [Fact]
    public void GatherAndScatterAddWithASmallerIndex()
    {
        var index = Tensor.FromArray([1, 0, 1, 1], [2, 2]);   // covers only the first two columns of src
        Func<Tensor[], Tensor> f = xs =>
            xs[0].Gather(1, index).Square().Sum(-1, keepDim: true).Expand(2, 3) * 0.5 +
            Tensor.Zeros([2, 3], DType.Float64).ScatterAdd(1, index, xs[1].Square());
        AssertSecondDerivative(f, [Tensor.FromArray([0.5, -1, 2, 1.5, 0.25, -0.75], [2, 3]), Tensor.FromArray([1.0, -2, 0.5, 3, 1.25, -0.5], [2, 3])]);
    }

    /// <summary>GradCheck of (xs, u) ↦ ∂⟨f(xs), u⟩/∂xs, the inner backward recorded with createGraph (as torch's gradgradcheck).</summary>
    static void AssertSecondDerivative(Func<Tensor[], Tensor> f, Tensor[] inputs)
    {
        int n = inputs.Length;
        Tensor[] shapeOnly;
        using (GradMode.NoGrad()) shapeOnly = [f(inputs)];
        var upstream = Tensor.Randn(shapeOnly[0].ShapeArray, new Generator(3), DType.Float64);
        GradCheck.Assert(xs =>
        {
            using var _ = GradMode.EnableGrad();
            var outer = xs.Select(x => x.Grad).ToArray();
            foreach (var x in xs) x.Grad = null;
            (f(xs[..n]) * xs[n]).Sum().Backward(createGraph: true);
            var grads = xs[..n].Select(x => (x.Grad ?? Tensor.ZerosLike(x)).Reshape(-1)).ToArray();
            for (int k = 0; k < xs.Length; k++) xs[k].Grad = outer[k];
            return Tensor.Cat(grads);
        }, [.. inputs, upstream]);
    }

    // ---- empty tensors ----

    [Fact]
    public void EmptyTensorsAreContiguous()
    {
        Assert.True(Tensor.Zeros([2, 0]).IsContiguous);
        Assert.True(Tensor.Zeros([0]).IsContiguous);
        var emptyView = Tensor.Zeros([2, 3]).Slice(0, 2).Slice(1, 3);   // offset past the end of its storage
        Assert.True(emptyView.IsContiguous);
        Assert.Same(emptyView, emptyView.Contiguous());
        Assert.Empty(emptyView.Exp().ToDoubleArray());
    }

    [Fact]
    public void GradCheckAcceptsEmptyLeaves()
    {
        var empty = Tensor.Zeros([2, 0], DType.Float64);
        Assert.Null(GradCheck.Run(xs => xs[0].Exp().Sum(-1), [empty]));
        Assert.Null(GradCheck.Run(xs => xs[0] * xs[1], [Tensor.Zeros([0, 3], DType.Float64), Tensor.Zeros([3], DType.Float64)]));
    }
}
