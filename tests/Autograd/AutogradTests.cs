using Interp.Autograd;
using Xunit;

namespace Interp.Tests.Autograd;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateIntoLeavesAcrossBackwardCalls()
    {
        var x = Tensor.FromArray([1.0, 2, 3], requiresGrad: true);
        (x * x).Sum().Backward();
        (x * 3.0).Sum().Backward();
        Assert.Equal([5.0, 7, 9], x.Grad!.ToDoubleArray());   // 2x + 3
    }

    [Fact]
    public void ASecondBackwardThroughAFreedGraphFailsClearly()
    {
        var x = Tensor.FromArray([1.0, 2], requiresGrad: true);
        var y = (x.Exp() * x).Sum();
        y.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("backward through the graph a second time", e.Message);
        var z = (x.Exp() * x).Sum();
        z.Backward(retainGraph: true);
        z.Backward();   // allowed: the first call kept the graph
    }

    [Fact]
    public void NoGradRecordsNothingAndDetachCutsTheGraph()
    {
        var x = Tensor.FromArray([1.0, 2], requiresGrad: true);
        using (GradMode.NoGrad())
        {
            var y = x * 2.0;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
        }
        Assert.True((x * 2.0).RequiresGrad);
        var d = (x * 2.0).Detach();
        Assert.False(d.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => d.Sum().Backward());
    }

    [Fact]
    public void RetainGradKeepsNonLeafGradientsAndHooksCanReadAndReplace()
    {
        var x = Tensor.FromArray([1.0, -2, 3], requiresGrad: true);
        var h = (x * 2.0).RetainGrad();
        Tensor? seen = null;
        using (h.RegisterHook(g => { seen = g; return g * 10.0; }))
            (h * h).Sum().Backward();
        Assert.Equal([4.0, -8, 12], seen!.ToDoubleArray());          // d(h²)/dh = 2h
        Assert.Equal([40.0, -80, 120], h.Grad!.ToDoubleArray());      // replaced by the hook
        Assert.Equal([80.0, -160, 240], x.Grad!.ToDoubleArray());     // ·2 through h = 2x
        x.Grad = null;
        var h2 = x * 2.0;
        var handle = h2.RegisterHook(g => g * 0.0);
        handle.Dispose();                                           // removed hooks do not run
        (h2 * h2).Sum().Backward();
        Assert.Equal([8.0, -16, 24], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void ExplicitOutputGradientAndShapeChecks()
    {
        var x = Tensor.FromArray([1.0, 2, 3], requiresGrad: true);
        var y = x * x;
        Assert.Throws<InvalidOperationException>(() => y.Backward());     // not a scalar
        y.Backward(Tensor.FromArray([1.0, 0, -1]));
        Assert.Equal([2.0, 0, -6], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void SharedSubgraphsSumTheirGradients()
    {
        var x = Tensor.FromArray([0.5, 1.5], requiresGrad: true);
        var a = x.Exp();
        var y = (a * a + a).Sum();   // d/dx = 2e^{2x} + e^x
        y.Backward();
        var expected = new[] { 2 * Math.Exp(1.0) + Math.Exp(0.5), 2 * Math.Exp(3.0) + Math.Exp(1.5) };
        Assert.Equal(expected[0], x.Grad!.GetValue(0), 12);
        Assert.Equal(expected[1], x.Grad!.GetValue(1), 12);
    }

    [Fact]
    public void CreateGraphAllowsSecondDerivatives()
    {
        var x = Tensor.FromArray([2.0], requiresGrad: true);
        var y = (x * x * x).Sum();
        y.Backward(createGraph: true);
        var g = x.Grad!;                       // 3x² = 12
        Assert.Equal(12.0, g.Item(), 12);
        x.Grad = null;
        g.Sum().Backward();                    // 6x = 12
        Assert.Equal(12.0, x.Grad!.Item(), 12);
    }

    [Fact]
    public void DeepChainsDoNotOverflowTheStack()
    {
        var x = Tensor.FromArray([1.0], requiresGrad: true);
        var y = x;
        for (int i = 0; i < 20000; i++) y = y * 1.0;
        y.Sum().Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }

    [Fact]
    public void AnomalyModeNamesTheOpThatMadeANaN()
    {
        var x = Tensor.FromArray([-1.0, 4], requiresGrad: true);
        using (Anomaly.Enable())
        {
            var e = Assert.Throws<NonFiniteException>(() => x.Sqrt());
            Assert.Contains("sqrt produced NaN", e.Message);
        }
        Assert.True(double.IsNaN(x.Sqrt().GetValue(0)));   // off by default
    }

    [Fact]
    public void ASecondDerivativeThroughAFusedBackwardIsRefusedNotSilentlyZero()
    {
        var x = Tensor.FromArray([0.1, 0.7, -0.3], requiresGrad: true);
        (x.Softmax(0) * Tensor.FromArray([1.0, 2, 3])).Sum().Backward(createGraph: true);
        var g = x.Grad!;
        Assert.True(g.RequiresGrad);
        x.Grad = null;
        var e = Assert.Throws<NotSupportedException>(() => g.Sum().Backward());
        Assert.Contains("softmax", e.Message);
    }
}
