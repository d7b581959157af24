using Interp.Transformers;

namespace Interp.Analysis.Patching;

/// <summary>
/// Metrics for patching: functions from logits [batch, pos, d_vocab] to a scalar tensor (differentiable, so
/// attribution patching can take its gradient), averaged over the batch.
/// </summary>
public static class PatchMetrics
{
    /// <summary>
    /// Mean over the batch of logits[b, position, answers[b]] − logits[b, position, wrong[b]].
    /// answers and wrong are int32 [batch] (or scalars shared by the batch); position counts from the end when negative.
    /// </summary>
    public static Tensor LogitDiff(Tensor logits, Tensor answers, Tensor wrong, int position = -1)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 3)
            throw new ArgumentException($"logit_diff: logits must be [batch, pos, d_vocab], got {Interp.ShapeUtil.Format(logits.ShapeArray)}");
        int batch = logits.Size(0), pos = logits.Size(1), vocab = logits.Size(2);
        if (position < -pos || position >= pos)
            throw new ArgumentException($"logit_diff: position {position} is outside a sequence of {pos} tokens");
        var last = logits.Select(1, position < 0 ? pos + position : position);   // [batch, d_vocab]
        var right = last.Gather(1, AnswerColumn("answers", answers, batch, vocab).To(logits.Device));
        var other = last.Gather(1, AnswerColumn("wrong", wrong, batch, vocab).To(logits.Device));
        return (right - other).Mean();
    }

    /// <summary><see cref="LogitDiff(Tensor, Tensor, Tensor, int)"/> as a metric function.</summary>
    public static Func<Tensor, Tensor> LogitDiff(Tensor answers, Tensor wrong, int position = -1) =>
        logits => LogitDiff(logits, answers, wrong, position);

    /// <summary>
    /// The logit difference rescaled so the corrupted run scores 0 and the clean run 1:
    /// (LD − LD_corrupt) / (LD_clean − LD_corrupt). Throws when the two baselines are (almost) equal.
    /// </summary>
    public static Func<Tensor, Tensor> NormalizedLogitDiff(Tensor answers, Tensor wrong, double cleanLogitDiff, double corruptLogitDiff, int position = -1)
    {
        double span = cleanLogitDiff - corruptLogitDiff;
        if (!double.IsFinite(span) || Math.Abs(span) < 1e-9 * Math.Max(1, Math.Abs(cleanLogitDiff)))
            throw new ArgumentException($"normalized_logit_diff: the clean ({cleanLogitDiff:G6}) and corrupted ({corruptLogitDiff:G6}) logit differences must differ");
        return logits => (LogitDiff(logits, answers, wrong, position) - corruptLogitDiff) / span;
    }

    /// <summary>The normalized logit difference with the two baselines measured on <paramref name="model"/>.</summary>
    public static Func<Tensor, Tensor> NormalizedLogitDiff(HookedTransformer model, Tensor clean, Tensor corrupted, Tensor answers, Tensor wrong, int position = -1)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var _ = Interp.Autograd.GradMode.NoGrad();
        var device = PatchRun.ModelDevice(model);
        double c = LogitDiff(model.Forward(clean.To(device)), answers, wrong, position).Item();
        double k = LogitDiff(model.Forward(corrupted.To(device)), answers, wrong, position).Item();
        return NormalizedLogitDiff(answers, wrong, c, k, position);
    }

    static Tensor AnswerColumn(string what, Tensor ids, int batch, int vocab)
    {
        ArgumentNullException.ThrowIfNull(ids, what);
        if (ids.DType != DType.Int32 || ids.Rank > 1 || (ids.Rank == 1 && ids.Size(0) != batch))
            throw new ArgumentException($"logit_diff: {what} must be int32 [batch = {batch}] or a scalar, got {ids.DType.Name()} {Interp.ShapeUtil.Format(ids.ShapeArray)}");
        foreach (int id in ids.ToIntArray())
            if ((uint)id >= (uint)vocab) throw new ArgumentException($"logit_diff: {what} token {id} is outside the vocabulary [0, {vocab})");
        var column = ids.Rank == 0 ? ids.Reshape(1, 1).Expand(batch, 1) : ids.Reshape(batch, 1);
        return column.Contiguous();
    }
}
