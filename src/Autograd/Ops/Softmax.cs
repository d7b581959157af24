using Interp.Autograd;

namespace Interp;

/// <summary>softmax and log_softmax along a dim: fused, max-shifted row kernels forward and backward.</summary>
public static class SoftmaxOps
{
    extension(Tensor x)
    {
        /// <summary>exp(x) / Σ exp(x) along <paramref name="dim"/>, computed as exp(x − max) so large logits do not overflow.</summary>
        public Tensor Softmax(int dim) => Apply("softmax", x, dim, log: false);

        /// <summary>x − log Σ exp(x) along <paramref name="dim"/> (stable).</summary>
        public Tensor LogSoftmax(int dim) => Apply("log_softmax", x, dim, log: true);
    }

    // The backward is the fused kernel; a second derivative through it is refused (Graph.FusedBackward).
    static Tensor Apply(string name, Tensor x, int dim, bool log)
    {
        Check.Float(name, x);
        int d = Statistics.Dim(name, dim, x);
        if (x.Rank == 0) return Apply(name, x.Reshape(1), 0, log).Reshape();
        var y = x.Backend.Softmax(x, d, log);
        return Graph.Record(name, y, [x], Backward(name, y.Detach(), Edge.To(x), d, log));
    }

    // dx = y ⊙ (g − Σ g⊙y) (softmax) or g − softmax·Σg (log-softmax): only the output is saved; x's edge is kept
    // so that differentiating this backward again fails loudly
    static Func<Tensor, Tensor?[]> Backward(string name, Tensor y, Edge xEdge, int d, bool log) => g =>
    {
        var dx = y.Backend.SoftmaxBackward(y, g, d, log);
        return [Graph.FusedBackward(name, dx, [Edge.To(g), xEdge])];
    };
}
