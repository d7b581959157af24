using System.Runtime.CompilerServices;
using Interp.Autograd;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// The graph keeps alive only what the backward rules saved (PyTorch's saved tensors), not every intermediate:
/// checked with weak references to the tensors' storages after a full collection.
/// </summary>
public class GraphMemoryTests
{
    static readonly Generator Gen = new(7);

    static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    // Each graph is built in a method of its own so that no local of the test keeps an intermediate alive.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static (Tensor loss, WeakReference product, WeakReference sum, WeakReference relu) MlpLayer(Tensor x, Tensor w, Tensor b)
    {
        var product = x.MatMul(w);
        var sum = product + b;
        var relu = sum.Relu();
        return (relu.Square().Mean(), new(product.Storage), new(sum.Storage), new(relu.Storage));
    }

    [Fact]
    public void Intermediates_no_rule_saved_are_collected_before_backward_and_the_saved_ones_after_it()
    {
        var x = Tensor.Randn([8, 5], Gen);
        var w = Tensor.Randn([5, 6], Gen).RequiresGrad_();
        var b = Tensor.Randn([6], Gen).RequiresGrad_();
        var (loss, product, sum, relu) = MlpLayer(x, w, b);
        Collect();
        Assert.False(product.IsAlive, "x·W: add and relu save nothing of it");
        Assert.False(sum.IsAlive, "x·W + b: relu saves its output, not its input");
        Assert.True(relu.IsAlive, "relu's output is saved by relu and by square");

        loss.Backward();
        Collect();
        Assert.False(relu.IsAlive, "backward drops the saved tensors");
        GC.KeepAlive(loss);

        // and the gradients are still right: d/dW mean(r²) = xᵀ·(2r/numel) with r = relu(xW + b) (r = 0 where the step is 0)
        var r = (x.MatMul(w.Detach()) + b.Detach()).Relu();
        var expected = x.MT.MatMul(r * (2.0 / r.Numel));
        AssertClose(expected.ToDoubleArray(), w.Grad!.ToDoubleArray());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static (Tensor loss, WeakReference input, WeakReference summed) SoftmaxAndSum(Tensor x)
    {
        var input = x * 2.0;
        var summed = input.Softmax(-1).Exp();
        return (summed.Sum(), new(input.Storage), new(summed.Storage));
    }

    [Fact]
    public void Softmax_keeps_its_output_not_its_input_and_sum_keeps_neither()
    {
        var x = Tensor.Randn([3, 4], Gen).RequiresGrad_();
        var (loss, input, summed) = SoftmaxAndSum(x);
        Collect();
        Assert.False(input.IsAlive);
        Assert.True(summed.IsAlive, "exp saves its output");
        loss.Backward();
        var s = (x * 2.0).Softmax(-1);
        var expected = (s.Exp() * s * 2.0);   // chain rule by hand: d/dx Σ exp(softmax(2x))
        var viaSoftmaxJacobian = expected - s * expected.Sum(-1, keepDim: true);
        AssertClose(viaSoftmaxJacobian.Detach().ToDoubleArray(), x.Grad!.ToDoubleArray());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static (Tensor loss, Tensor retained, WeakReference hooked, List<Tensor> seen) RetainedAndHooked(Tensor x)
    {
        var retained = (x * 3.0).RetainGrad();
        var hooked = retained.Tanh();
        var seen = new List<Tensor>();
        hooked.RegisterHook(g => { seen.Add(g); return null; });
        return (hooked.Sum(), retained, new(hooked), seen);
    }

    [Fact]
    public void Hooks_and_retained_gradients_of_intermediates_work_without_keeping_them_alive()
    {
        var x = Tensor.Randn([5], Gen).RequiresGrad_();
        var (loss, retained, hooked, seen) = RetainedAndHooked(x);
        Collect();
        Assert.False(hooked.IsAlive, "a hook is kept by the graph, not the tensor it was registered on");
        loss.Backward();
        Assert.Single(seen);
        Assert.Equal(Enumerable.Repeat(1.0, 5), seen[0].ToDoubleArray());
        var t = (x * 3.0).Tanh().Detach();
        AssertClose((1.0 - t * t).ToDoubleArray(), retained.Grad!.ToDoubleArray());
    }

    static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5);
    }
}
