namespace Interp.Analysis.Neurons;

/// <summary>
/// One unit's direct contribution to the target over the dataset: mean, standard deviation, and mean by the model's
/// label (<see cref="MeanByLabel"/>[k] is over the inputs labelled <see cref="DirectAttribution.LabelsShown"/>[k]).
/// </summary>
public sealed record UnitContribution(int Unit, double Mean, double Std, double[] MeanByLabel)
{
    /// <summary>Mean of |contribution| would hide the sign; this ranks by the size of the mean effect.</summary>
    public double Size => Math.Abs(Mean);
}

/// <summary>
/// Direct attribution of a hook's units to the target logit[plus] − logit[minus] through a <see cref="DirectPath"/>:
/// unit j's contribution on input i is c[i, j] = Σ_e a[i, j, e]·(R_plus[j, e] − R_minus[j, e]) / s[i] — for a hidden
/// layer read by a linear layer W, a[i, j]·(W[plus, j] − W[minus, j]), and Σ_j c[i, j] + b[plus] − b[minus] is the
/// target exactly; for a transformer's neurons or heads, the rest of the residual stream adds the remainder
/// (<see cref="Complete"/> false). <see cref="Contributions"/> keeps every c[i, j], so a group's summed contribution is
/// a row sum over its columns. Means by label are over the model's labels 0..classes−1 when there are at most 20,
/// else over its 10 most frequent labels (<see cref="LabelsShown"/>).
/// </summary>
public sealed record DirectAttribution(string Target, double[,] Contributions, double Bias, UnitContribution[] Units, int[] LabelsShown, bool Complete = true)
{
    public int Count => Contributions.GetLength(0);

    /// <summary>Units ranked by |mean contribution|, largest first.</summary>
    public int[] Ranked => Units.OrderByDescending(u => u.Size).ThenBy(u => u.Unit).Select(u => u.Unit).ToArray();

    /// <summary>Each input's summed contribution of the given units.</summary>
    public double[] GroupSum(IEnumerable<int> units)
    {
        var set = units.ToArray();
        return Enumerable.Range(0, Count).Select(i => set.Sum(u => Contributions[i, u])).ToArray();
    }

    /// <summary>The attribution of <paramref name="hook"/>'s units over the run, or null when no direct path reads the hook.</summary>
    public static DirectAttribution? Compute(ModelOnDataset run, string hook, int plus, int? minus)
    {
        if (run.Model.ReadoutOf(hook) is not { } path) return null;
        var scale = path.ScaleHook is { } s ? Column(run.UnitValues(s)) : null;
        return Compute(run.UnitVectors(hook), path, run.PlusOf(plus), minus, scale, run.Labels, run.Classes) with
        {
            Target = $"{ModelOnDataset.MetricName(plus, minus)} through {path.Through}",
        };
    }

    /// <param name="activations">[input, units·width]: each unit's activation (<see cref="ModelOnDataset.UnitVectors"/>)</param>
    /// <param name="plus">each input's plus logit</param>
    /// <param name="scale">each input's divisor (a LayerNorm scale), or null for 1</param>
    /// <param name="labels">the model's label of each input, for the per-label means</param>
    public static DirectAttribution Compute(double[,] activations, DirectPath path, int[] plus, int? minus, double[]? scale, int[] labels, int classes)
    {
        int n = activations.GetLength(0), flat = activations.GetLength(1), width = path.Width, units = flat / width;
        if (labels.Length != n || plus.Length != n || (scale is not null && scale.Length != n))
            throw new ArgumentException($"direct attribution: {labels.Length} labels, {plus.Length} targets and {scale?.Length ?? n} scales for {n} inputs");
        foreach (int k in plus.Distinct().Concat(minus is int m0 ? [m0] : [])) CheckClass(k, classes);
        double[]? minusRow = minus is int mr ? path.Row(mr) : null;
        var directions = new Dictionary<int, double[]>();
        double[] Direction(int k)
        {
            if (directions.TryGetValue(k, out var d)) return d;
            var row = path.Row(k);
            if (row.Length != flat)
                throw new ArgumentException($"direct attribution: the path {path.Through} reads {row.Length} numbers, the activations have {flat}");
            return directions[k] = minusRow is null ? row : row.Select((v, j) => v - minusRow[j]).ToArray();
        }
        var c = new double[n, units];
        for (int i = 0; i < n; i++)
        {
            var d = Direction(plus[i]);
            double s = scale?[i] ?? 1;
            for (int j = 0; j < units; j++)
            {
                double sum = 0;
                for (int e = 0; e < width; e++) sum += activations[i, j * width + e] * d[j * width + e];
                c[i, j] = sum / s;
            }
        }
        double bias = plus.Distinct().Count() == 1 ? path.Bias(plus[0]) - (minus is int mb ? path.Bias(mb) : 0) : double.NaN;
        var shown = classes <= 20 ? Enumerable.Range(0, classes).ToArray()
            : labels.CountBy(l => l).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(10).Select(kv => kv.Key).ToArray();
        var summaries = Enumerable.Range(0, units).Select(j => Summarise(c, j, labels, shown)).ToArray();
        string target = (plus.Distinct().Count() == 1 ? $"logit {plus[0]}" : "logit of the answer") + (minus is int mm ? $" − logit {mm}" : "");
        return new DirectAttribution(target, c, bias, summaries, shown, path.Complete);
    }

    static double[] Column(double[,] v) => Enumerable.Range(0, v.GetLength(0)).Select(i => v[i, 0]).ToArray();

    static UnitContribution Summarise(double[,] c, int j, int[] labels, int[] shown)
    {
        int n = c.GetLength(0);
        double mean = 0;
        for (int i = 0; i < n; i++) mean += c[i, j];
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) var += (c[i, j] - mean) * (c[i, j] - mean);
        var slot = shown.Select((label, k) => (label, k)).ToDictionary(p => p.label, p => p.k);
        var byLabel = new double[shown.Length];
        var counts = new int[shown.Length];
        for (int i = 0; i < n; i++)
            if (slot.TryGetValue(labels[i], out int k)) { byLabel[k] += c[i, j]; counts[k]++; }
        for (int k = 0; k < shown.Length; k++) byLabel[k] = counts[k] == 0 ? double.NaN : byLabel[k] / counts[k];
        return new UnitContribution(j, mean, Math.Sqrt(var / Math.Max(1, n - 1)), byLabel);
    }

    static void CheckClass(int k, int classes)
    {
        if ((uint)k >= (uint)classes) throw new ArgumentException($"direct attribution: logit {k} is outside [0, {classes})");
    }
}
