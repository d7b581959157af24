namespace Interp.Backends;

public partial interface IBackend
{
    /// <summary>softmax (or log_softmax when <paramref name="log"/>) along one (normalised) dim of a float tensor.</summary>
    Tensor Softmax(Tensor x, int dim, bool log);

    /// <summary>
    /// The input gradient of softmax / log_softmax from its output y and output gradient g:
    /// softmax: y ⊙ (g − Σ g⊙y); log_softmax: g − exp(y)·Σ g (sums along <paramref name="dim"/>).
    /// </summary>
    Tensor SoftmaxBackward(Tensor y, Tensor g, int dim, bool log);
}
