using Interp.Autograd;

namespace Interp.Optim;

public static class GradClip
{
    /// <summary>
    /// torch.nn.utils.clip_grad_norm_ (2-norm): scales every gradient in place by maxNorm / (total + 1e-6) when that is
    /// below 1, where total = √(Σ over all gradients of Σ g²). Returns total (before clipping).
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        if (!(maxNorm >= 0)) throw new ArgumentException($"clip_grad_norm: max norm must be non-negative, got {maxNorm}");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToArray();
        double total = Math.Sqrt(grads.Sum(g => g.Backend.SumOfSquares(g)));
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1)
            using (GradMode.NoGrad())
                foreach (var g in grads) g.Backend.ScaleInPlace(g, coef);
        return total;
    }
}
