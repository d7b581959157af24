namespace Interp;

/// <summary>
/// torch.einsum, composed from differentiable views, sums and MatMul (so gradients need no rule of their own):
/// each operand takes its diagonals and sums its private labels, then operands are contracted pairwise, left to right,
/// as one batched matmul [batch, m, k]·[batch, k, n] each.
/// </summary>
public static class EinsumOps
{
    extension(Tensor)
    {
        /// <summary>
        /// Einstein summation with PyTorch/NumPy semantics: "ij,jk->ik", implicit output ("ij,jk": the labels seen once,
        /// sorted), repeated labels take diagonals ("ii->i", "ii" = trace), labels missing from the output are summed,
        /// "..." stands for broadcast leading dims, and size-1 dims broadcast against the same label elsewhere.
        /// </summary>
        public static Tensor Einsum(string equation, params Tensor[] operands)
        {
            ArgumentNullException.ThrowIfNull(equation);
            if (operands.Length == 0) throw new ArgumentException($"einsum: no operands given for equation '{equation}'");
            Check.SameDevice("einsum", operands);
            foreach (var t in operands) Check.SameDType("einsum", operands[0], t);
            var plan = EinsumPlan.Create(equation, operands);

            var terms = new List<(Tensor t, List<int> labels)>();
            for (int i = 0; i < operands.Length; i++)
            {
                var (t, labels) = TakeDiagonals(operands[i], plan.Inputs[i].ToList());
                var needed = plan.Output.Concat(plan.Inputs.Where((_, j) => j != i).SelectMany(l => l)).ToHashSet();
                terms.Add(SumOut(t, labels, l => !needed.Contains(l)));
            }

            var acc = terms[0];
            for (int i = 1; i < terms.Count; i++)
            {
                var keep = plan.Output.Concat(plan.Inputs.Skip(i + 1).SelectMany(l => l)).ToHashSet();
                acc = Contract(acc, terms[i], keep, plan);
            }
            var (r, rl) = SumOut(acc.t, acc.labels, l => !plan.Output.Contains(l));
            return r.Permute(plan.Output.Select(l => rl.IndexOf(l)).ToArray());
        }
    }

    /// <summary>Folds every repeated label of one operand into a single dim with Diagonal (which appends it last).</summary>
    static (Tensor, List<int>) TakeDiagonals(Tensor t, List<int> labels)
    {
        for (int p = 0; p < labels.Count; p++)
        {
            int q = labels.IndexOf(labels[p], p + 1);
            if (q < 0) continue;
            int label = labels[p];
            t = t.Diagonal(0, p, q);
            labels.RemoveAt(q); labels.RemoveAt(p); labels.Add(label);
            p = -1;
        }
        return (t, labels);
    }

    static (Tensor, List<int>) SumOut(Tensor t, List<int> labels, Func<int, bool> drop)
    {
        var dims = Enumerable.Range(0, labels.Count).Where(d => drop(labels[d])).ToArray();
        if (dims.Length == 0) return (t, labels);
        return (t.Sum(dims), labels.Where(l => !drop(l)).ToList());
    }

    /// <summary>
    /// Contracts two terms with unique labels into one whose labels are batch ++ left-only ++ right-only, where batch
    /// labels are shared and kept, contracted ones shared and not kept: A → [B, M, K], Bᵀ → [B, K, N], one MatMul.
    /// </summary>
    static (Tensor, List<int>) Contract((Tensor t, List<int> labels) a, (Tensor t, List<int> labels) b, HashSet<int> keep, EinsumPlan plan)
    {
        // Labels kept by neither the output nor later operands, seen on one side only, are summed first.
        var (ta, la) = SumOut(a.t, a.labels, l => !keep.Contains(l) && !b.labels.Contains(l));
        var (tb, lb) = SumOut(b.t, b.labels, l => !keep.Contains(l) && !la.Contains(l));
        var shared = la.Where(lb.Contains).ToList();
        var batch = shared.Where(keep.Contains).ToList();
        var contracted = shared.Where(l => !keep.Contains(l)).ToList();
        var left = la.Where(l => !lb.Contains(l)).ToList();
        var right = lb.Where(l => !la.Contains(l)).ToList();

        // A size-1 dim broadcasts against its label's size: contracted ones by summing the other side, batch ones by expanding.
        foreach (var l in contracted)
        {
            int sa = ta.shape[la.IndexOf(l)], sb = tb.shape[lb.IndexOf(l)];
            if (sa == sb) continue;
            if (sa == 1) tb = tb.Sum(lb.IndexOf(l), keepDim: true);
            else ta = ta.Sum(la.IndexOf(l), keepDim: true);
        }
        ta = Align(ta, la, batch, plan);
        tb = Align(tb, lb, batch, plan);

        int Size(Tensor t, List<int> labels, List<int> group) => group.Aggregate(1, (p, l) => p * t.shape[labels.IndexOf(l)]);
        int nb = Size(ta, la, batch), m = Size(ta, la, left), k = Size(ta, la, contracted), n = Size(tb, lb, right);
        var pa = ta.Permute(batch.Concat(left).Concat(contracted).Select(l => la.IndexOf(l)).ToArray());
        var pb = tb.Permute(batch.Concat(contracted).Concat(right).Select(l => lb.IndexOf(l)).ToArray());
        var y = contracted.Count == 0
            ? pa.Reshape(nb, m, 1) * pb.Reshape(nb, 1, n)
            : pa.Reshape(nb, m, k).MatMul(pb.Reshape(nb, k, n));
        var labels = batch.Concat(left).Concat(right).ToList();
        var shape = batch.Select(l => ta.shape[la.IndexOf(l)])
            .Concat(left.Select(l => ta.shape[la.IndexOf(l)]))
            .Concat(right.Select(l => tb.shape[lb.IndexOf(l)])).ToArray();
        return (y.Reshape(shape), labels);
    }

    /// <summary>Expands the batch dims of one side to the broadcast size of their labels.</summary>
    static Tensor Align(Tensor t, List<int> labels, List<int> batch, EinsumPlan plan)
    {
        var target = t.ShapeArray;
        foreach (var l in batch) target[labels.IndexOf(l)] = plan.Sizes[l];
        return ShapeUtil.SameShape(target, t.shape) ? t : t.Expand(target);
    }
}

/// <summary>
/// An einsum equation bound to its operands' ranks: each operand's labels (letters 0..51 in ASCII order, ellipsis
/// dims 52.. aligned from the right), the output labels and every label's broadcast size.
/// </summary>
internal sealed class EinsumPlan
{
    const int Letters = 52;

    public required int[][] Inputs { get; init; }
    public required int[] Output { get; init; }
    public required Dictionary<int, int> Sizes { get; init; }

    public static EinsumPlan Create(string equation, Tensor[] operands)
    {
        var eq = new string(equation.Where(c => !char.IsWhiteSpace(c)).ToArray());
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        if (arrow >= 0 && eq.IndexOf("->", arrow + 2, StringComparison.Ordinal) >= 0)
            throw Error(equation, "more than one '->'");
        var lhs = (arrow >= 0 ? eq[..arrow] : eq).Split(',');
        if (lhs.Length != operands.Length)
            throw Error(equation, $"the equation has {lhs.Length} input term{(lhs.Length == 1 ? "" : "s")} but {operands.Length} operand{(operands.Length == 1 ? " was" : "s were")} given");

        var terms = lhs.Select(s => Parse(equation, s)).ToArray();
        int ellipsisRank = 0;
        for (int i = 0; i < terms.Length; i++)
        {
            var (labels, ellipsisAt) = terms[i];
            int rank = operands[i].Rank;
            if (ellipsisAt < 0 ? rank != labels.Count : rank < labels.Count)
                throw Error(equation, $"operand {i} has {(ellipsisAt < 0 ? "" : "at least ")}{labels.Count} subscript{(labels.Count == 1 ? "" : "s")} '{lhs[i]}' but rank {rank} (shape {ShapeUtil.Format(operands[i].shape)})");
            if (ellipsisAt >= 0) ellipsisRank = Math.Max(ellipsisRank, rank - labels.Count);
        }
        var inputs = terms.Select((t, i) => Expand(t.labels, t.ellipsisAt, operands[i].Rank - t.labels.Count, ellipsisRank)).ToArray();

        int[] output;
        if (arrow >= 0)
        {
            var (labels, ellipsisAt) = Parse(equation, eq[(arrow + 2)..]);
            output = Expand(labels, ellipsisAt, ellipsisRank, ellipsisRank);
            foreach (var l in labels)
            {
                if (!inputs.Any(x => x.Contains(l))) throw Error(equation, $"output label '{Name(l)}' does not appear in any input");
                if (labels.Count(o => o == l) > 1) throw Error(equation, $"output label '{Name(l)}' appears more than once");
            }
        }
        else
        {
            var counts = inputs.SelectMany(x => x).Where(l => l < Letters).GroupBy(l => l).Where(g => g.Count() == 1).Select(g => g.Key);
            output = Enumerable.Range(Letters, terms.Any(t => t.ellipsisAt >= 0) ? ellipsisRank : 0).Concat(counts.Order()).ToArray();
        }
        return new EinsumPlan { Inputs = inputs, Output = output, Sizes = BindSizes(equation, inputs, operands) };
    }

    /// <summary>A term's letter labels and where its "..." sits (-1 for none).</summary>
    static (List<int> labels, int ellipsisAt) Parse(string equation, string term)
    {
        var labels = new List<int>();
        int ellipsisAt = -1;
        for (int i = 0; i < term.Length; i++)
        {
            char c = term[i];
            if (c == '.')
            {
                if (i + 2 >= term.Length || term[i + 1] != '.' || term[i + 2] != '.')
                    throw Error(equation, $"'.' in '{term}' is not part of an ellipsis '...'");
                if (ellipsisAt >= 0) throw Error(equation, $"term '{term}' has more than one ellipsis '...'");
                ellipsisAt = labels.Count;
                i += 2;
            }
            else if (c is >= 'A' and <= 'Z') labels.Add(c - 'A');
            else if (c is >= 'a' and <= 'z') labels.Add(26 + c - 'a');
            else throw Error(equation, $"invalid subscript '{c}' in '{term}'; subscripts are letters a-z, A-Z (and '...')");
        }
        return (labels, ellipsisAt);
    }

    /// <summary>Replaces "..." by <paramref name="count"/> ellipsis labels, the last ones of the <paramref name="total"/> (broadcast aligns right).</summary>
    static int[] Expand(List<int> labels, int ellipsisAt, int count, int total)
    {
        if (ellipsisAt < 0) return labels.ToArray();
        var dots = Enumerable.Range(Letters + total - count, count);
        return labels.Take(ellipsisAt).Concat(dots).Concat(labels.Skip(ellipsisAt)).ToArray();
    }

    /// <summary>Each label's size: a repeated label within one operand needs equal sizes, across operands 1 broadcasts.</summary>
    static Dictionary<int, int> BindSizes(string equation, int[][] inputs, Tensor[] operands)
    {
        var sizes = new Dictionary<int, (int size, int op, int dim)>();
        for (int i = 0; i < inputs.Length; i++)
        {
            var own = new Dictionary<int, (int size, int op, int dim)>();
            for (int d = 0; d < inputs[i].Length; d++)
            {
                int l = inputs[i][d], s = operands[i].shape[d];
                if (own.TryGetValue(l, out var first) && first.size != s) throw Inconsistent(equation, l, first, (s, i, d), operands);
                own[l] = (s, i, d);
            }
            foreach (var (l, here) in own)
            {
                if (!sizes.TryGetValue(l, out var seen) || seen.size == 1) sizes[l] = here;
                else if (here.size != seen.size && here.size != 1) throw Inconsistent(equation, l, seen, here, operands);
            }
        }
        return sizes.ToDictionary(p => p.Key, p => p.Value.size);
    }

    static ArgumentException Inconsistent(string equation, int label, (int size, int op, int dim) a, (int size, int op, int dim) b, Tensor[] operands) =>
        Error(equation, $"label '{Name(label)}' has inconsistent sizes {a.size} (operand {a.op} dim {a.dim}, shape {ShapeUtil.Format(operands[a.op].shape)}) " +
                        $"and {b.size} (operand {b.op} dim {b.dim}, shape {ShapeUtil.Format(operands[b.op].shape)})");

    static string Name(int label) => label < 26 ? ((char)('A' + label)).ToString()
        : label < Letters ? ((char)('a' + label - 26)).ToString() : $"... dim {label - Letters}";

    static ArgumentException Error(string equation, string problem) => new($"einsum: {problem} (equation '{equation}')");
}
