namespace Interp.Backends;

/// <summary>Fused loss kernels over rows of logits [N, C] with int32 class targets [N] (range-checked by the op).</summary>
public partial interface IBackend
{
    /// <summary>
    /// Per-row cross entropy with label smoothing ε: (1−ε)·(lse − x[t]) + ε·(lse − mean(x)), where lse = log Σ exp x
    /// (stable: max subtracted first); 0 for rows whose target is ignoreIndex. Result [N].
    /// </summary>
    Tensor CrossEntropyRows(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing);

    /// <summary>
    /// <see cref="CrossEntropyRows"/> and each row's (m, log Σ exp(x − m)) with m = max x, [N, 2] in the logits' dtype, for
    /// <see cref="CrossEntropyRowsBackward"/> to reuse: the backward then reads the logits once instead of three times.
    /// </summary>
    (Tensor Loss, Tensor Stats) CrossEntropyRowsKeepingStats(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing);

    /// <summary>
    /// d loss / d logits: (softmax(x) − ((1−ε)·onehot(t) + ε/C))·scale[n]; zero rows where the target is ignored. With
    /// <paramref name="stats"/> (from <see cref="CrossEntropyRowsKeepingStats"/> on the same logits) the softmax takes
    /// its max and log-sum from there.
    /// </summary>
    Tensor CrossEntropyRowsBackward(Tensor logits, Tensor targets, Tensor scale, int ignoreIndex, double labelSmoothing, Tensor? stats = null);

    /// <summary>Refuses row stats that are not [N, 2] in the logits' dtype, as <see cref="CrossEntropyRowsKeepingStats"/> makes them.</summary>
    static void CheckRowStats(Tensor logits, Tensor? stats)
    {
        if (stats is not null && (stats.DType != logits.DType || stats.Rank != 2 || stats.Size(0) != logits.Size(0) || stats.Size(1) != 2))
            throw new ArgumentException($"cross_entropy: the row stats must be [{logits.Size(0)}, 2] {logits.DType.Name()} (from CrossEntropyRowsKeepingStats), got {stats.DType.Name()} {ShapeUtil.Format(stats.ShapeArray)}");
    }
}
