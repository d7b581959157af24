using System.Globalization;
using Interp.Analysis.Patching;
using Interp.Analysis.Plot;
using Interp.Transformers;

namespace Interp.Analysis.Neurons;

/// <summary>What ablating one attention head alone does: the share of labels kept and the mean metric after, per mode.</summary>
public sealed record HeadAblation(int Layer, int Head, double[] Agreement, double[] MetricAfter)
{
    public string Label => $"L{Layer}H{Head}";
}

/// <summary>
/// The neuron and head tools on a transformer, as a report section: every attention head ablated alone (zero, mean and
/// resample over the dataset, a [layer, head] map of the metric's drop), and for a model with MLPs, the last layer's
/// neurons studied as <see cref="NeuronStudy"/> does (census, direct attribution through W_out, the final LayerNorm
/// and W_U, co-activation groups, faithfulness).
/// </summary>
public static class TransformerUnitsReport
{
    static readonly AblationMode[] Modes = [AblationMode.Zero, AblationMode.Mean, AblationMode.Resample];

    /// <summary>Each head of each layer ablated alone, in every mode.</summary>
    public static HeadAblation[] AblateEachHead(ModelOnDataset run, HookedTransformer model, int plus, int? minus, ulong seed = 0) =>
        Enumerable.Range(0, model.Config.NLayers).SelectMany(l => Enumerable.Range(0, model.Config.NHeads).Select(h =>
        {
            var results = Modes.Select(m => Ablation.Run(run, $"blocks.{l}.attn.hook_z", [h], m, plus, minus, seed)).ToArray();
            return new HeadAblation(l, h, results.Select(r => r.Agreement).ToArray(), results.Select(r => r.MetricAfter).ToArray());
        })).ToArray();

    /// <param name="inputs">what the sequences are, for the text (e.g. "128 repeated random sequences")</param>
    /// <param name="command">the interp command line that reproduces the section, shown under it</param>
    public static void Add(HtmlReport report, HookedTransformer model, ModelOnDataset run, int plus, int? minus, string folder, string inputs,
        string? command = null, int topUnits = 15, ulong seed = 0)
    {
        string metric = ModelOnDataset.MetricName(plus, minus);
        double before = run.LogitDifference(plus, minus).Average();
        var heads = AblateEachHead(run, model, plus, minus, seed);
        report.Paragraph($"Each attention head's z (blocks.L.attn.hook_z) replaced at every position, alone, by 0, by its mean over the {inputs}, or by its value " +
            $"on another sequence (resample), on the same {run.Count} sequences; the metric is the mean {metric} at the position ({F(before)} unablated). " +
            "Labels are the model's own arg-max tokens there.");
        var drop = Tensor.FromArray(heads.Select(h => before - h.MetricAfter[1]).ToArray(), [model.Config.NLayers, model.Config.NHeads]);
        report.Figure(PatchPlots.HeadsFigure($"drop of the mean {metric} when a head is mean-ablated", drop, valueLabel: "drop"),
            "[layer, head]: how much the metric falls when that head alone is mean-ablated (red: the head helps, blue: it hurts)", "head_ablation.svg");
        report.Table(["head", .. Modes.Select(m => $"labels kept, {Name(m)}"), .. Modes.Select(m => $"{metric}, {Name(m)}")],
            heads.OrderByDescending(h => before - h.MetricAfter[1]).Select(h => (IReadOnlyList<string>)[
                h.Label, .. h.Agreement.Select(P), .. h.MetricAfter.Select(F)]));
        if (!model.Config.AttnOnly)
        {
            string hook = $"blocks.{model.Config.NLayers - 1}.mlp.hook_post";
            var study = NeuronStudy.Run(run, new NeuronStudyOptions(hook, plus, minus, Seed: seed));
            NeuronReport.Add(report, study, run, folder, topUnits);
        }
        if (command is not null) report.Code(command);
    }

    static string Name(AblationMode m) => m.ToString().ToLowerInvariant();
    static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
    static string P(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %";
}
