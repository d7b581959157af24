using Interp.Analysis.Datasets;
using Interp.Analysis.Neurons;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Cases;

/// <summary>
/// The challenge CNN's fc1 layer (200 units after their ReLU, read by fc2 into the two logits) studied with the
/// general neuron and dataset tools: census, direct attribution to logit 1 − logit 0, co-activation groups and the
/// faithfulness curve; PCA; pixel readouts of the logit difference and of the largest groups' contributions; and the
/// image features (with the readouts' weight maps as features) in deciles against the model's label, with band search.
/// </summary>
public static class Eis7CnnFc1Section
{
    const string Hook = "hook_relu3";

    public static void Add(HtmlReport report, Eis7Cnn cnn, string folder, int readoutGroups = 2)
    {
        var run = new ModelOnDataset(HookedClassifier.Of(cnn.Model), cnn.Digits);
        report.Heading("fc1: the 200 hidden units");
        report.Paragraph("The same tools as the interp verbs neurons, pca, readout and features, on fc1 after its ReLU (hook_relu3), " +
            "measured against the model's own labels. Each table below has a command that reproduces it and goes further.");
        var study = NeuronStudy.Run(run, new NeuronStudyOptions(Hook));
        NeuronReport.Add(report, study, run, folder);
        report.Code("interp neurons --model MODEL --hook hook_relu3\ninterp ablate --model MODEL --hook hook_relu3 --units 3,17,56 --keep");
        HookPca.Run(run, Hook, 5).AddTo(report, folder);
        var features = new List<(string, double[])>(Rules.Rule.Features(Rules.Rule.BasicFeatures, new Rules.RuleData(run.Data)));
        foreach (var (spec, stem) in ReadoutTargets(study, readoutGroups))
        {
            var (name, y) = ReadoutTarget.Resolve(run, Hook, spec, 1, 0);
            var fit = PixelReadout.Fit(run.Data, y, 1e-3);
            string weights = PixelReadoutReport.Add(report, name, fit, folder, stem);
            features.Add(($"dot(img, file:{weights})", ImageFeatures.Compare(run.Data, "dot", fit.Weights.Select(v => (float)v).ToArray())));
        }
        report.Code("interp readout --model MODEL --target group:A,B,C --out DIR   # writes DIR/readout_weights.txt");
        FeatureStudy.Run(features, run.Labels, 1).AddTo(report, folder, "fc1_features");
        report.Code("interp features --model MODEL --feature ink --feature \"l2(img, mean:3)\" --feature \"dot(img, file:DIR/readout_weights.txt)\"\n" +
            "interp rule --model MODEL \"l1(img, digit:1234) < 90 or ink > 0.3\"");
    }

    // the logit difference, then the groups with the largest |mean summed contribution|
    static IEnumerable<(string Spec, string Stem)> ReadoutTargets(NeuronStudy study, int groups)
    {
        yield return ("logits", "fc1_readout_logits");
        var ranked = study.Groups.Groups.Select((g, i) => (g, i))
            .OrderByDescending(t => Math.Abs(study.GroupContribution(t.g)?.Average() ?? 0)).Take(groups);
        foreach (var (g, i) in ranked) yield return ($"group:{string.Join(',', g.Units)}", $"fc1_readout_group{i}");
    }
}
