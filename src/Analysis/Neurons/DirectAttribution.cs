using Interp.Nn;

namespace Interp.Analysis.Neurons;

/// <summary>One unit's direct contribution to the target over the dataset: mean, standard deviation, and mean by the model's label.</summary>
public sealed record UnitContribution(int Unit, double Mean, double Std, double[] MeanByLabel)
{
    /// <summary>Mean of |contribution| would hide the sign; this ranks by the size of the mean effect.</summary>
    public double Size => Math.Abs(Mean);
}

/// <summary>
/// Direct attribution of a hidden layer read by a linear layer W [out, hidden] straight into the logits: neuron j's
/// contribution to the target logit[plus] − logit[minus] on image i is c[i, j] = a[i, j]·(W[plus, j] − W[minus, j]),
/// and Σ_j c[i, j] + b[plus] − b[minus] is the target exactly. <see cref="Contributions"/> keeps every c[i, j], so a
/// group's summed contribution is a row sum over its columns.
/// </summary>
public sealed record DirectAttribution(string Target, double[,] Contributions, double Bias, UnitContribution[] Units)
{
    public int Count => Contributions.GetLength(0);

    /// <summary>Units ranked by |mean contribution|, largest first.</summary>
    public int[] Ranked => Units.OrderByDescending(u => u.Size).ThenBy(u => u.Unit).Select(u => u.Unit).ToArray();

    /// <summary>Each image's summed contribution of the given units.</summary>
    public double[] GroupSum(IEnumerable<int> units)
    {
        var set = units.ToArray();
        return Enumerable.Range(0, Count).Select(i => set.Sum(u => Contributions[i, u])).ToArray();
    }

    /// <param name="activations">[image, hidden] of the layer the readout reads</param>
    /// <param name="labels">the model's label of each image, for the per-label means</param>
    public static DirectAttribution Compute(double[,] activations, Linear readout, int plus, int? minus, int[] labels, int classes)
    {
        int n = activations.GetLength(0), hidden = activations.GetLength(1);
        if (readout.InFeatures != hidden)
            throw new ArgumentException($"direct attribution: the readout reads {readout.InFeatures} features, the activations have {hidden}");
        if (labels.Length != n) throw new ArgumentException($"direct attribution: {labels.Length} labels for {n} images");
        var w = readout.Weight.To(DType.Float64).ToCpuContiguous().ToDoubleArray();
        var b = readout.Bias?.To(DType.Float64).ToCpuContiguous().ToDoubleArray();
        CheckClass(plus, readout.OutFeatures);
        if (minus is int m0) CheckClass(m0, readout.OutFeatures);
        // direction d[j] = W[plus, j] − W[minus, j]
        var d = Enumerable.Range(0, hidden).Select(j => w[plus * hidden + j] - (minus is int m ? w[m * hidden + j] : 0)).ToArray();
        var c = new double[n, hidden];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hidden; j++) c[i, j] = activations[i, j] * d[j];
        double bias = b is null ? 0 : b[plus] - (minus is int mb ? b[mb] : 0);
        var units = Enumerable.Range(0, hidden).Select(j => Summarise(c, j, labels, classes)).ToArray();
        string target = minus is int mm ? $"logit {plus} − logit {mm}" : $"logit {plus}";
        return new DirectAttribution(target, c, bias, units);
    }

    static UnitContribution Summarise(double[,] c, int j, int[] labels, int classes)
    {
        int n = c.GetLength(0);
        double mean = 0;
        for (int i = 0; i < n; i++) mean += c[i, j];
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) var += (c[i, j] - mean) * (c[i, j] - mean);
        var byLabel = new double[classes];
        var counts = new int[classes];
        for (int i = 0; i < n; i++) { byLabel[labels[i]] += c[i, j]; counts[labels[i]]++; }
        for (int k = 0; k < classes; k++) byLabel[k] = counts[k] == 0 ? double.NaN : byLabel[k] / counts[k];
        return new UnitContribution(j, mean, Math.Sqrt(var / Math.Max(1, n - 1)), byLabel);
    }

    static void CheckClass(int k, int classes)
    {
        if ((uint)k >= (uint)classes) throw new ArgumentException($"direct attribution: logit {k} is outside [0, {classes})");
    }
}
