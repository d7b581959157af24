using System.Globalization;

namespace Interp.Analysis.Neurons;

/// <summary>
/// A scalar of each image to read out from its pixels, named in text: <c>logits</c> (the metric: a logit or a logit
/// difference), <c>unit:N</c> (unit N of the hook), <c>pc:N</c> (the hook's N-th principal component, from 1), or
/// <c>group:A,B,C</c> (the units' summed direct contribution to the metric, or their summed values when no linear
/// layer reads the hook into the logits).
/// </summary>
public static class ReadoutTarget
{
    public static (string Name, double[] Values) Resolve(ModelOnDataset run, string hook, string spec, int plus, int? minus)
    {
        if (spec == "logits") return (ModelOnDataset.MetricName(plus, minus), run.LogitDifference(plus, minus));
        int colon = spec.IndexOf(':');
        string kind = colon < 0 ? spec : spec[..colon], arg = colon < 0 ? "" : spec[(colon + 1)..];
        var values = kind is "unit" or "group" or "pc" ? run.UnitValues(hook) : null;
        switch (kind)
        {
            case "unit":
                int u = Index(spec, arg, values!.GetLength(1));
                return ($"{hook} unit {u}", Column(values, u));
            case "pc":
                int c = Index(spec, arg, values!.GetLength(1) + 1);
                if (c == 0) throw new ArgumentException($"readout target '{spec}': components count from 1 (1..{values.GetLength(1)})");
                return ($"{hook} PC{c}", HookPca.Run(run, hook, c).Component(c - 1));
            case "group":
                var units = arg.Split(',').Select(a => Index(spec, a.Trim(), values!.GetLength(1))).ToArray();
                if (DirectAttribution.Compute(run, hook, plus, minus) is { } attribution)
                    return ($"summed contribution of {hook} units {string.Join(" ", units)} to the metric", attribution.GroupSum(units));
                return ($"sum of {hook} units {string.Join(" ", units)}", Enumerable.Range(0, run.Count).Select(i => units.Sum(k => values![i, k])).ToArray());
            default:
                throw new ArgumentException($"readout target '{spec}': expected logits, unit:N, pc:N or group:A,B,C");
        }
    }

    static double[] Column(double[,] v, int c) => Enumerable.Range(0, v.GetLength(0)).Select(i => v[i, c]).ToArray();

    static int Index(string spec, string text, int limit) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 && v < limit ? v
            : throw new ArgumentException($"readout target '{spec}': '{text}' is not " +
                (spec.StartsWith("pc:", StringComparison.Ordinal) ? $"a component in 1..{limit - 1}" : $"an index in [0, {limit})"));
}
