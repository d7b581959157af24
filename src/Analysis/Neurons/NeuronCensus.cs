namespace Interp.Analysis.Neurons;

public enum UnitKind { Dead, Sparse, Ordinary, AlwaysOn }

/// <summary>One unit over a dataset: the share of images where it is active (value above the threshold), its mean and maximum.</summary>
public sealed record UnitStats(int Unit, double FractionActive, double Mean, double Max, UnitKind Kind);

/// <summary>
/// Dead, sparse and always-on units of a hook: a unit is active on an image when its value exceeds
/// <see cref="Options.Threshold"/> (0: after a ReLU, "active" is "non-zero"). Dead: never active; always on: active
/// on at least <see cref="Options.AlwaysOn"/> of the images; sparse: on fewer than <see cref="Options.Sparse"/>.
/// </summary>
public sealed record NeuronCensus(string Hook, UnitStats[] Units, NeuronCensus.Options Settings)
{
    public sealed record Options(double Threshold = 0, double Sparse = 0.05, double AlwaysOn = 0.99);

    public int Count(UnitKind kind) => Units.Count(u => u.Kind == kind);
    public int[] Of(UnitKind kind) => Units.Where(u => u.Kind == kind).Select(u => u.Unit).ToArray();
    public int[] Live => Units.Where(u => u.Kind != UnitKind.Dead).Select(u => u.Unit).ToArray();

    /// <param name="values">[image, unit], e.g. <see cref="ModelOnDataset.UnitValues"/></param>
    public static NeuronCensus Take(string hook, double[,] values, Options? options = null)
    {
        options ??= new Options();
        int n = values.GetLength(0), units = values.GetLength(1);
        if (n == 0) throw new ArgumentException("neuron census: no images");
        var stats = new UnitStats[units];
        for (int u = 0; u < units; u++)
        {
            int active = 0;
            double sum = 0, max = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                double v = values[i, u];
                if (v > options.Threshold) active++;
                sum += v;
                max = Math.Max(max, v);
            }
            double fraction = (double)active / n;
            stats[u] = new UnitStats(u, fraction, sum / n, max, KindOf(active, fraction, options));
        }
        return new NeuronCensus(hook, stats, options);
    }

    static UnitKind KindOf(int active, double fraction, Options o) =>
        active == 0 ? UnitKind.Dead : fraction >= o.AlwaysOn ? UnitKind.AlwaysOn : fraction < o.Sparse ? UnitKind.Sparse : UnitKind.Ordinary;
}
