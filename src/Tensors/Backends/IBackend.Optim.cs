namespace Interp.Backends;

/// <summary>
/// Fused optimizer updates: one pass over a parameter, changing it and its state in place (param, grad and the
/// state tensors must be contiguous, of one shape and dtype). The math is torch.optim's; see each method.
/// </summary>
public partial interface IBackend
{
    /// <summary>
    /// torch.optim.SGD for one parameter: d = g + wd·p; with momentum, buf = first ? d : μ·buf + (1 − dampening)·d
    /// and d = nesterov ? d + μ·buf : buf; then p −= lr·d. <paramref name="momentumBuffer"/> is null when μ = 0.
    /// </summary>
    void SgdUpdate(Tensor param, Tensor grad, Tensor? momentumBuffer, double lr, double momentum, double dampening,
        double weightDecay, bool nesterov, bool firstStep);

    /// <summary>
    /// torch.optim.Adam / AdamW for one parameter at step t (1-based): AdamW first decays p −= lr·wd·p, Adam adds wd·p to g;
    /// m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², p −= (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + ε).
    /// </summary>
    void AdamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
        double weightDecay, bool decoupledWeightDecay, int step);

    /// <summary>Σ x² over all elements (accumulated in float64), for gradient-norm clipping.</summary>
    double SumOfSquares(Tensor x);

    /// <summary>x ·= factor in place (any strides).</summary>
    void ScaleInPlace(Tensor x, double factor);
}
