using Interp.Autograd;

namespace Interp;

/// <summary>Loss functions as torch.nn.functional: cross_entropy (class-index or class-probability targets) and mse_loss.</summary>
public static class LossOps
{
    /// <summary>
    /// cross_entropy with class probabilities (PyTorch ≥ 1.10): targets of the logits' shape, smoothed as
    /// t·(1 − ε) + ε/C, loss −Σ_c t_c·log_softmax(x)_c over the class dim (dim 1, or 0 for one sample [C]); "mean"
    /// divides by the number of samples (every position counts; ignore_index does not apply).
    /// </summary>
    static Tensor ProbabilityTargets(Tensor logits, Tensor targets, string reduction, double labelSmoothing)
    {
        int classDim = logits.Rank == 1 ? 0 : 1;
        int c = logits.shape[classDim];
        var t = labelSmoothing > 0 ? targets * (1 - labelSmoothing) + labelSmoothing / c : targets;
        var perSample = -(t * logits.LogSoftmax(classDim)).Sum(classDim);
        return reduction switch
        {
            "none" => perSample,
            "sum" => perSample.Sum(),
            _ => perSample.Mean(),
        };
    }

    extension(Tensor logits)
    {
        /// <summary>
        /// torch.nn.functional.cross_entropy with int32 class targets: logits [N, C] with targets [N], [N, C, d1, ...]
        /// with targets [N, d1, ...], or one sample [C] with a 0-d target. One fused row kernel (stable log-softmax + NLL); the backward is
        /// (softmax − smoothed one-hot)·g in one kernel. "mean" divides by the number of non-ignored targets, as PyTorch.
        /// </summary>
        public Tensor CrossEntropy(Tensor targets, int ignoreIndex = -100, string reduction = "mean", double labelSmoothing = 0)
        {
            const string op = "cross_entropy";
            Check.SameDevice(op, logits, targets);
            Check.Float(op, logits);
            CheckReduction(op, reduction);
            if (labelSmoothing is < 0 or > 1 || double.IsNaN(labelSmoothing))
                throw new ArgumentException($"{op}: label_smoothing must be in [0, 1], got {labelSmoothing}");
            if (targets.DType == logits.DType && ShapeUtil.SameShape(targets.shape, logits.shape) && logits.Rank >= 1)
                return ProbabilityTargets(logits, targets, reduction, labelSmoothing);
            if (targets.DType != DType.Int32)
                throw new ArgumentException($"{op}: targets must be int32 class indices, or class probabilities of the logits' shape and dtype, got {targets.DType.Name()} {ShapeUtil.Format(targets.shape)} for logits {logits.DType.Name()} {ShapeUtil.Format(logits.shape)}");
            if (logits.Rank == 1 && targets.Rank == 0)   // one unbatched sample: logits [C], target []
            {
                var one = logits.Unsqueeze(0).CrossEntropy(targets.Reshape(1), ignoreIndex, "none", labelSmoothing).Reshape();
                return reduction == "mean" && targets.Item() == ignoreIndex ? one / 0.0 : one;
            }
            if (logits.Rank < 2 || targets.Rank != logits.Rank - 1 || targets.shape[0] != logits.shape[0] ||
                !ShapeUtil.SameShape(targets.shape[1..], logits.shape[2..]))
                throw new ArgumentException($"{op}: expected logits [N, C, d1...] and targets [N, d1...], got logits {ShapeUtil.Format(logits.shape)} and targets {ShapeUtil.Format(targets.shape)}");
            int c = logits.shape[1];
            var t = targets.Reshape(-1);
            int counted = CountTargets(op, t, c, ignoreIndex, logits);

            // rows of C class scores: [N, C] as is, [N, C, d...] with the class dim moved last
            var rows = logits.Rank == 2 ? logits : logits.Movedim1ToLast().Reshape(-1, c);
            var perRow = RowLoss(rows, t, ignoreIndex, labelSmoothing);
            return reduction switch
            {
                "none" => perRow.Reshape(targets.ShapeArray),
                "sum" => perRow.Sum(),
                _ => perRow.Sum() / counted,   // 0/0 = NaN when every target is ignored, as PyTorch
            };
        }

        /// <summary>torch.nn.functional.mse_loss: (input − target)² reduced by "mean", "sum" or "none".</summary>
        public Tensor MseLoss(Tensor target, string reduction = "mean")
        {
            const string op = "mse_loss";
            CheckReduction(op, reduction);
            if (!ShapeUtil.SameShape(logits.shape, target.shape))
                throw new ArgumentException($"{op}: input {ShapeUtil.Format(logits.shape)} and target {ShapeUtil.Format(target.shape)} must have the same shape");
            var sq = (logits - target).Square();
            return reduction switch { "none" => sq, "sum" => sq.Sum(), _ => sq.Mean() };
        }

        Tensor Movedim1ToLast()
        {
            var perm = Enumerable.Range(0, logits.Rank).Where(d => d != 1).Append(1).ToArray();
            return logits.Permute(perm);
        }
    }

    /// <summary>
    /// The per-row losses [N] of rows [N, C]; backward scales each row's (softmax − q) by its incoming gradient. When a
    /// gradient will be wanted, the forward keeps each row's max and log-sum ([N, 2]) so the backward reads the logits once.
    /// </summary>
    static Tensor RowLoss(Tensor rows, Tensor targets, int ignoreIndex, double eps)
    {
        if (!GradMode.IsEnabled || !rows.RequiresGrad)
            return rows.Backend.CrossEntropyRows(rows, targets, ignoreIndex, eps);
        var (loss, stats) = rows.Backend.CrossEntropyRowsKeepingStats(rows, targets, ignoreIndex, eps);
        return Graph.Record("cross_entropy", loss, [rows], g =>
            [Graph.FusedBackward("cross_entropy", rows.Backend.CrossEntropyRowsBackward(rows.Detach(), targets, g, ignoreIndex, eps, stats), g, rows)]);
    }

    static void CheckReduction(string op, string reduction)
    {
        if (reduction is not ("mean" or "sum" or "none"))
            throw new ArgumentException($"{op}: reduction must be \"mean\", \"sum\" or \"none\", got \"{reduction}\"");
    }

    /// <summary>
    /// Checks every target is a class in [0, c) or ignore_index, and counts those not ignored (the mean's divisor).
    /// Targets uploaded to a device whose range is known need neither check nor count read back from it.
    /// </summary>
    static int CountTargets(string op, Tensor t, int c, int ignoreIndex, Tensor logits)
    {
        if (t.ValuesKnownWithin(0, c) && (ignoreIndex < 0 || ignoreIndex >= c)) return t.Numel;
        var values = t.ToArray<int>();
        for (int i = 0; i < values.Length; i++)
            if (values[i] != ignoreIndex && (uint)values[i] >= (uint)c)
                throw new IndexOutOfRangeException($"{op}: target {values[i]} (at position {i}) is out of range for {c} classes (logits {ShapeUtil.Format(logits.shape)}; ignore_index {ignoreIndex})");
        return values.Count(v => v != ignoreIndex);
    }
}
