namespace Interp.Analysis.Neurons;

/// <summary>One point of a faithfulness curve: the top <see cref="Kept"/> units kept, the rest ablated.</summary>
public sealed record FaithfulnessPoint(int Kept, double Agreement, double Metric);

/// <summary>
/// "Keep the top k units, ablate the rest": for each k, the agreement of the ablated model's labels with the full
/// model's, and the mean metric. A mechanism carried by few units reaches agreement ≈ 1 at small k.
/// </summary>
public static class Faithfulness
{
    /// <param name="ranking">units best first (e.g. <see cref="DirectAttribution.Ranked"/>)</param>
    public static FaithfulnessPoint[] KeepTopK(ModelOnDataset run, string hook, IReadOnlyList<int> ranking, IEnumerable<int> ks,
        AblationMode mode = AblationMode.Mean, int plus = 1, int? minus = 0, ulong seed = 0) =>
        ks.Select(k =>
        {
            var ablated = Ablation.AllBut(run, hook, ranking.Take(k));
            var r = Ablation.Run(run, hook, ablated, mode, plus, minus, seed);
            return new FaithfulnessPoint(Math.Min(k, ranking.Count), r.Agreement, r.MetricAfter);
        }).ToArray();

    /// <summary>k = 0, 1, 2, 5, 10, 20, 50, ... up to the unit count.</summary>
    public static int[] DefaultKs(int units) =>
        new[] { 0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000 }.Where(k => k < units).Append(units).ToArray();
}
