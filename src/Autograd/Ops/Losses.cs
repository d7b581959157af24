using Interp.Autograd;

namespace Interp;

/// <summary>Loss functions as torch.nn.functional: cross_entropy (class-index targets) and mse_loss.</summary>
public static class LossOps
{
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
            if (targets.DType != DType.Int32)
                throw new ArgumentException($"{op}: targets must be int32 class indices, got {targets.DType.Name()} {ShapeUtil.Format(targets.shape)}");
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

    /// <summary>The per-row losses [N] of rows [N, C]; backward scales each row's (softmax − q) by its incoming gradient.</summary>
    static Tensor RowLoss(Tensor rows, Tensor targets, int ignoreIndex, double eps)
    {
        var loss = rows.Backend.CrossEntropyRows(rows, targets, ignoreIndex, eps);
        return Graph.Record("cross_entropy", loss, [rows], g =>
            [Graph.FusedBackward("cross_entropy", rows.Backend.CrossEntropyRowsBackward(rows.Detach(), targets, g, ignoreIndex, eps), g, rows)]);
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
