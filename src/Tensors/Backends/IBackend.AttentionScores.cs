namespace Interp.Backends;

public partial interface IBackend
{
    /// <summary>
    /// <see cref="CausalAttention"/> that also returns the scores it softmaxed: S = scale·q·kᵀ [batch, head, q, k] with
    /// every hidden key's score set to <paramref name="maskValue"/>, as a cache of activations keeps them. Returns z
    /// [batch, q, head, d_v], the pattern and the scores. This default composes the other kernels; a backend may fuse it.
    /// </summary>
    (Tensor z, Tensor pattern, Tensor scores) CausalAttentionWithScores(Tensor q, Tensor k, Tensor v, double scale, int offset, double maskValue)
    {
        var raw = Binary(BinaryOp.Mul, MatMul(Heads(q), HeadsTransposed(k)), Tensor.Scalar(scale, q.DType, q.Device));
        var future = Tensor.CausalMask(q.shape[1], k.shape[1], offset, q.Device);
        var scores = Where(future, Tensor.Scalar(maskValue, q.DType, q.Device), raw);
        var pattern = Softmax(scores, 3, log: false);
        return (BackToPositions(MatMul(pattern, Heads(v))), pattern, scores);
    }
}
