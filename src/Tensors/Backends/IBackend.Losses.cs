namespace Interp.Backends;

/// <summary>Fused loss kernels over rows of logits [N, C] with int32 class targets [N] (range-checked by the op).</summary>
public partial interface IBackend
{
    /// <summary>
    /// Per-row cross entropy with label smoothing ε: (1−ε)·(lse − x[t]) + ε·(lse − mean(x)), where lse = log Σ exp x
    /// (stable: max subtracted first); 0 for rows whose target is ignoreIndex. Result [N].
    /// </summary>
    Tensor CrossEntropyRows(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing);

    /// <summary>d loss / d logits: (softmax(x) − ((1−ε)·onehot(t) + ε/C))·scale[n]; zero rows where the target is ignored.</summary>
    Tensor CrossEntropyRowsBackward(Tensor logits, Tensor targets, Tensor scale, int ignoreIndex, double labelSmoothing);
}
