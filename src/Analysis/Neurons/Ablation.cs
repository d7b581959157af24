namespace Interp.Analysis.Neurons;

/// <summary>What an ablated unit's activation is replaced with.</summary>
public enum AblationMode
{
    /// <summary>0.</summary>
    Zero,
    /// <summary>Its mean over the dataset (per position for a convolutional channel).</summary>
    Mean,
    /// <summary>Its value on another image of the dataset, drawn by a seeded permutation.</summary>
    Resample,
}

/// <summary>
/// The effect of an ablation: <see cref="Agreement"/> is the share of inputs whose label is unchanged;
/// <see cref="Changes"/>[(from, to)] counts the labels that moved (a sparse table: a transformer has d_vocab labels);
/// the metric (a logit or logit difference) is averaged over the dataset before and after; <see cref="Changed"/> lists
/// the inputs whose label moved.
/// </summary>
public sealed record AblationResult(string Hook, int[] Ablated, AblationMode Mode, double Agreement, IReadOnlyDictionary<(int From, int To), int> Changes,
    double MetricBefore, double MetricAfter, int[] Changed, int[] Labels)
{
    /// <summary>How many labels moved from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public int ChangeCount(int from, int to) => Changes.GetValueOrDefault((from, to));
}

/// <summary>
/// Zero, mean and resample ablation of any set of units of a hook (features of a dense hook [n, F], channels of a
/// convolutional one [n, C, H, W], a transformer's neurons [n, pos, d_mlp] or heads [n, pos, head, d_head] at every
/// position), run over the whole dataset: a' = a·keep + r·(1 − keep), with keep 0 on the ablated units (along the
/// model's unit axis) and r the replacement of <see cref="AblationMode"/>.
/// </summary>
public static class Ablation
{
    /// <param name="plus">the metric is logit[plus] − logit[minus] (or logit[plus] alone when minus is null)</param>
    public static AblationResult Run(ModelOnDataset run, string hook, IReadOnlyCollection<int> units, AblationMode mode,
        int plus = 1, int? minus = 0, ulong seed = 0)
    {
        var logits = Logits(run, hook, units, mode, seed);
        var labels = ModelOnDataset.ArgMax(logits);
        var changes = new SortedDictionary<(int, int), int>();
        var changed = new List<int>();
        for (int i = 0; i < run.Count; i++)
        {
            if (labels[i] == run.Labels[i]) continue;
            changes[(run.Labels[i], labels[i])] = changes.GetValueOrDefault((run.Labels[i], labels[i])) + 1;
            changed.Add(i);
        }
        double before = run.LogitDifference(run.Logits, plus, minus).Average();
        double after = run.LogitDifference(logits, plus, minus).Average();
        return new AblationResult(hook, units.Order().ToArray(), mode, 1 - (double)changed.Count / run.Count, changes, before, after, changed.ToArray(), labels);
    }

    /// <summary>Every unit of the hook except <paramref name="kept"/>.</summary>
    public static int[] AllBut(ModelOnDataset run, string hook, IEnumerable<int> kept)
    {
        var keep = kept.ToHashSet();
        return Enumerable.Range(0, UnitCount(run, hook)).Where(u => !keep.Contains(u)).ToArray();
    }

    public static int UnitCount(ModelOnDataset run, string hook) => run.UnitValues(hook).GetLength(1);

    /// <summary>The logits [image, class] with the units ablated.</summary>
    public static double[,] Logits(ModelOnDataset run, string hook, IReadOnlyCollection<int> units, AblationMode mode, ulong seed = 0)
    {
        int count = UnitCount(run, hook);
        foreach (int u in units)
            if ((uint)u >= (uint)count) throw new ArgumentException($"ablation: unit {u} is outside {hook}'s {count} units");
        var keep = Enumerable.Range(0, count).Select(u => units.Contains(u) ? 0.0 : 1.0).ToArray();
        var mean = mode == AblationMode.Mean ? run.MeanActivation(hook) : null;
        var donors = mode == AblationMode.Resample ? Permutation(run.Count, seed) : null;
        return run.RunLogits(rows =>
        {
            Tensor? donorActivation = donors is null ? null : run.Model.Capture(run.Batch(rows.Select(r => donors[r]).ToArray()), hook).Activation;
            return new HookEdits
            {
                [hook] = a =>
                {
                    var k = KeepMask(keep, a, run.Model.UnitAxisOf(hook));
                    var replacement = mode switch
                    {
                        AblationMode.Zero => Tensor.ZerosLike(a),
                        AblationMode.Mean => mean!.To(a.DType).To(a.Device).Unsqueeze(0),
                        _ => donorActivation!,
                    };
                    return a * k + replacement * (1 - k);
                },
            };
        });
    }

    // keep[c] shaped [1, C], [1, C, 1, 1] or [1, 1, C(, 1)] (the units on axis) to broadcast over an activation a
    static Tensor KeepMask(double[] keep, Tensor a, int axis)
    {
        var shape = Enumerable.Repeat(1, a.Rank).ToArray();
        if (axis >= a.Rank || a.Size(axis) != keep.Length)
            throw new ArgumentException($"ablation: the activation {ShapeUtil.Format(a.ShapeArray)} does not have {keep.Length} units on axis {axis}");
        shape[axis] = keep.Length;
        return Tensor.FromArray(keep, shape).To(a.DType).To(a.Device);
    }

    static int[] Permutation(int n, ulong seed)
    {
        var gen = new Generator(seed);
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = gen.NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
