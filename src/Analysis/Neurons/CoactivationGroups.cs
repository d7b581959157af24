namespace Interp.Analysis.Neurons;

/// <summary>A set of units that tend to fire together, and the share of images where at least one of them fires.</summary>
public sealed record UnitGroup(int[] Units, double FractionActive);

/// <summary>
/// Live units grouped by co-activation: the similarity of units u and v is the Jaccard index of the image sets they
/// are active on, J = |both| / |either|; groups are merged by average linkage while the mean similarity between two
/// groups is at least <c>minSimilarity</c>. <see cref="Together"/>[g, h] is the share of images where groups g and h
/// are both active (0: they never fire together); on the diagonal, each group's own share.
/// </summary>
public sealed record CoactivationGroups(UnitGroup[] Groups, double[,] Together)
{
    /// <summary>
    /// Pairs of groups that are never active on the same image, among the groups active on at least
    /// <paramref name="minShare"/> of the images (two rarely active groups are apart by chance).
    /// </summary>
    public IEnumerable<(int A, int B)> NeverTogether(double minShare = 0.05)
    {
        for (int g = 0; g < Groups.Length; g++)
            for (int h = g + 1; h < Groups.Length; h++)
                if (Together[g, h] == 0 && Together[g, g] >= minShare && Together[h, h] >= minShare) yield return (g, h);
    }

    /// <param name="values">[image, unit]; a unit is active where its value exceeds <paramref name="threshold"/></param>
    /// <param name="units">the units to group (e.g. the live ones of a <see cref="NeuronCensus"/>)</param>
    public static CoactivationGroups Find(double[,] values, IReadOnlyList<int> units, double minSimilarity = 0.5, double threshold = 0)
    {
        int n = values.GetLength(0);
        var active = units.Select(u => Enumerable.Range(0, n).Where(i => values[i, u] > threshold).ToHashSet()).ToArray();
        var similarity = new double[units.Count, units.Count];
        for (int a = 0; a < units.Count; a++)
            for (int b = a; b < units.Count; b++)
                similarity[a, b] = similarity[b, a] = Jaccard(active[a], active[b]);
        var clusters = AverageLinkage(similarity, minSimilarity);
        var groups = clusters.Select(c => c.Select(k => units[k]).Order().ToArray()).OrderBy(g => g[0]).ToArray();
        var groupActive = groups.Select(g => Enumerable.Range(0, n).Select(i => g.Any(u => values[i, u] > threshold)).ToArray()).ToArray();
        var together = new double[groups.Length, groups.Length];
        for (int g = 0; g < groups.Length; g++)
            for (int h = 0; h < groups.Length; h++)
                together[g, h] = (double)Enumerable.Range(0, n).Count(i => groupActive[g][i] && groupActive[h][i]) / n;
        return new CoactivationGroups(groups.Select((g, k) => new UnitGroup(g, together[k, k])).ToArray(), together);
    }

    static double Jaccard(HashSet<int> a, HashSet<int> b)
    {
        if (a.Count == 0 && b.Count == 0) return 1;
        int both = a.Count(b.Contains);
        return (double)both / (a.Count + b.Count - both);
    }

    // clusters of indices: repeatedly merge the two clusters with the highest mean pairwise similarity
    static List<List<int>> AverageLinkage(double[,] s, double minSimilarity)
    {
        var clusters = Enumerable.Range(0, s.GetLength(0)).Select(i => new List<int> { i }).ToList();
        while (clusters.Count > 1)
        {
            (int A, int B, double Sim) best = (-1, -1, double.NegativeInfinity);
            for (int a = 0; a < clusters.Count; a++)
                for (int b = a + 1; b < clusters.Count; b++)
                {
                    double mean = clusters[a].SelectMany(i => clusters[b].Select(j => s[i, j])).Average();
                    if (mean > best.Sim) best = (a, b, mean);
                }
            if (best.Sim < minSimilarity) break;
            clusters[best.A].AddRange(clusters[best.B]);
            clusters.RemoveAt(best.B);
        }
        return clusters;
    }
}
