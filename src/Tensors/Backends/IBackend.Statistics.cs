namespace Interp.Backends;

public partial interface IBackend
{
    /// <summary>Σ(x − mean)² / max(0, N − correction) over the given (normalised, distinct) dims, two-pass.</summary>
    Tensor Var(Tensor x, int[] dims, int correction, bool keepDim);
}
