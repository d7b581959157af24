namespace Interp.Analysis.Neurons;

/// <param name="Hook">a hidden layer, e.g. hook_relu3 of the CNN, blocks.0.mlp.hook_post or blocks.1.attn.hook_z of a transformer</param>
/// <param name="Plus">the target is logit[Plus] − logit[Minus] (logit[Plus] alone when Minus is null; <see cref="ModelOnDataset.Answer"/>: each input's answer)</param>
/// <param name="GroupSimilarity">the least mean Jaccard similarity at which co-activation groups merge</param>
public sealed record NeuronStudyOptions(string Hook, int Plus = 1, int? Minus = 0, double GroupSimilarity = 0.5,
    AblationMode Mode = AblationMode.Mean, ulong Seed = 0, NeuronCensus.Options? Census = null, int MaxGroupedUnits = 300);

/// <summary>
/// One hidden layer studied as a whole: its census, the direct attribution of its units to the target (when a direct
/// path reads it into the logits: a linear layer, or a transformer's W_out / W_O and unembedding), co-activation groups of its live units, and the faithfulness curve of keeping its
/// top units (ranked by |mean attribution|, or by mean activation when nothing reads it directly) and ablating the rest.
/// </summary>
public sealed record NeuronStudy(NeuronStudyOptions Options, NeuronCensus Census, DirectAttribution? Attribution, CoactivationGroups Groups,
    int[] Ranking, FaithfulnessPoint[] Curve)
{
    /// <param name="curve">whether to compute the faithfulness curve (one ablated run of the dataset per point)</param>
    public static NeuronStudy Run(ModelOnDataset run, NeuronStudyOptions o, bool curve = true)
    {
        var values = run.UnitValues(o.Hook);
        var census = NeuronCensus.Take(o.Hook, values, o.Census);
        var attribution = DirectAttribution.Compute(run, o.Hook, o.Plus, o.Minus);
        var ranking = attribution?.Ranked
            ?? census.Units.OrderByDescending(u => Math.Abs(u.Mean)).ThenBy(u => u.Unit).Select(u => u.Unit).ToArray();
        var live = ranking.Where(u => census.Units[u].Kind != UnitKind.Dead).Take(o.MaxGroupedUnits).Order().ToArray();
        var groups = CoactivationGroups.Find(values, live, o.GroupSimilarity, census.Settings.Threshold);
        var points = curve ? Faithfulness.KeepTopK(run, o.Hook, ranking, Faithfulness.DefaultKs(ranking.Length), o.Mode, o.Plus, o.Minus, o.Seed) : [];
        return new NeuronStudy(o, census, attribution, groups, ranking, points);
    }

    /// <summary>Each image's summed contribution of a group's units (needs the attribution).</summary>
    public double[]? GroupContribution(UnitGroup g) => Attribution?.GroupSum(g.Units);
}
