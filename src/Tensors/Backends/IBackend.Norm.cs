namespace Interp.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Layer norm over rows of the trailing <paramref name="normSize"/> elements: y = (x − μ)·rstd·w + b with
    /// rstd = 1/√(biased var + eps). Also returns μ and rstd per row (1-d, one per row). weight, bias optional (shape: the trailing dims).
    /// </summary>
    (Tensor y, Tensor mean, Tensor rstd) LayerNorm(Tensor x, int normSize, Tensor? weight, Tensor? bias, double eps);

    /// <summary>
    /// Gradients of layer norm from the saved mean and rstd: dx, and when <paramref name="affineGrads"/> the
    /// per-element sums over rows dweight = Σ g⊙x̂, dbias = Σ g (1-d, length normSize).
    /// </summary>
    (Tensor dx, Tensor? dweight, Tensor? dbias) LayerNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor? weight, int normSize, bool affineGrads);
}
