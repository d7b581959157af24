using Interp.Autograd;
using Interp.Optim;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// Leaves take the gradients the backward pass made and nothing else holds without a copy (GradOwnership); anything
/// another tensor, a hook or the caller may still hold is copied, so clipping one leaf's .Grad in place changes no other.
/// </summary>
public class GradOwnershipTests
{
    static Tensor Leaf(params int[] shape) => Tensor.Randn(shape, new Generator((ulong)shape.Sum()), DType.Float64).RequiresGrad_();

    [Fact]
    public void AGradientGivenToTwoLeavesIsCopied()
    {
        var (a, b) = (Leaf(3, 4), Leaf(3, 4));
        (a + b).Square().Sum().Backward();   // the addition's rule gives its one gradient to both inputs
        Assert.NotSame(a.Grad!.Storage, b.Grad!.Storage);
        var before = b.Grad.ToDoubleArray();
        GradClip.ClipGradNorm([a], 1e-3);    // scales a.Grad in place
        Assert.Equal(before, b.Grad.ToDoubleArray());
    }

    [Fact]
    public void TheCallersGradientIsCopied()
    {
        var x = Leaf(2, 3);
        var g = Tensor.Ones([6], DType.Float64);
        x.Reshape(6).Backward(g);   // the reshape's rule hands on a view of the caller's tensor
        Assert.NotSame(g.Storage, x.Grad!.Storage);
        var y = Leaf(6);
        y.Backward(g);              // a leaf root: its gradient is the caller's tensor itself
        Assert.NotSame(g.Storage, y.Grad!.Storage);
        GradClip.ClipGradNorm([x, y], 1e-3);
        Assert.All(g.ToDoubleArray(), v => Assert.Equal(1.0, v));
    }

    [Fact]
    public void AGradientAHookSawIsCopied()
    {
        var (w, x) = (Leaf(4, 5), Leaf(3, 4));
        Tensor? seen = null;
        var y = x.MatMul(w);
        y.RegisterHook(g => { seen = g; return null; });
        var z = y.Reshape(-1);   // z's rule passes y's gradient on as a view
        z.Square().Sum().Backward();
        Assert.NotNull(seen);
        Assert.NotSame(seen!.Storage, w.Grad!.Storage);
        Assert.NotSame(seen.Storage, x.Grad!.Storage);
        var v = Leaf(5);
        Tensor? leafSeen = null;
        v.RegisterHook(g => { leafSeen = g; return null; });
        (v * 2.0).Sum().Backward();
        Assert.NotSame(leafSeen!.Storage, v.Grad!.Storage);
    }

    [Fact]
    public void OnlyAWholeStorageMadeDuringThePassAndHandedOutOnceIsOwned()
    {
        var before = Tensor.Zeros([2, 3]);
        var owned = new GradOwnership();
        var (fresh, twice, seen, whole) = (Tensor.Zeros([2, 3]), Tensor.Zeros([2, 3]), Tensor.Zeros([2, 3]), Tensor.Zeros([4, 4]));
        var (part, transposed) = (whole.Narrow(0, 1, 2), Tensor.Zeros([3, 5]).T);
        foreach (var t in new[] { before, fresh, twice, twice, seen, part, transposed }) owned.HandedOut(t);
        owned.Shared(seen);
        Assert.True(owned.Owns(fresh));
        Assert.False(owned.Owns(before));        // made before the pass: someone else may hold it
        Assert.False(owned.Owns(twice));         // given to two vertices
        Assert.False(owned.Owns(seen));          // a hook saw it
        Assert.False(owned.Owns(part));          // a view of part of a storage
        Assert.False(owned.Owns(transposed));    // not contiguous
    }

    [Fact]
    public void AFreshGradientHasTheValuesAndNoGraph()
    {
        // a product's weight gradient xᵀ·g is made by the pass for w alone, so w takes it without a copy (the rule above)
        var (w, x) = (Leaf(4, 5), Leaf(3, 4));
        x.MatMul(w).Square().Sum().Backward();
        var expected = x.Detach().T.MatMul(x.Detach().MatMul(w.Detach()) * 2.0);
        Assert.Equal(expected.ToDoubleArray(), w.Grad!.ToDoubleArray());
        Assert.True(w.Grad.IsContiguous);
        Assert.Null(w.Grad.GradFn);
        Assert.False(w.Grad.RequiresGrad);
    }

    [Fact]
    public void ARetainedGraphsGradientsAreCopied()
    {
        // a retained graph may hand the same tensors out again in the next backward
        var (w, x) = (Leaf(4, 5), Leaf(3, 4));
        var loss = x.MatMul(w).Square().Sum();
        loss.Backward(retainGraph: true);
        var first = w.Grad!.ToDoubleArray();
        var firstGrad = w.Grad;
        w.Grad = null;
        loss.Backward();
        Assert.NotSame(firstGrad.Storage, w.Grad!.Storage);
        Assert.Equal(first, w.Grad.ToDoubleArray());
        Assert.Equal(first, firstGrad.ToDoubleArray());
    }
}
