using System.CommandLine;
using Interp.Analysis.Patching;
using Interp.IO;
using Interp.Analysis.Plot;

namespace Interp.Cli;

/// <summary><c>interp attrib</c>: attribution patching, compared with activation patching.</summary>
public sealed class AttribCommand : Command
{
    readonly PatchSetup.Options options = new(Path.Combine("runs", "attrib"), "denoising");
    readonly Option<bool> noCompare = Vocabulary.Flag("--no-compare", "attribution only (no activation patching runs)");

    public AttribCommand() : base("attrib", """
        Attribution patching, with its correlation to activation patching.

        Attribution patching on MODEL with the induction prompts and metric of `interp patch` (see interp patch --help):
        from one forward and backward pass on the base prompt and one forward pass on the other, the linear estimate
        metric(base) + (a_source - a_base) . dmetric/da of patching hook_resid_pre, hook_attn_out, hook_mlp_out (each
        layer and position) and each head's hook_z (all positions, and each position). Unless --no-compare, also runs
        activation patching of the same activations and prints the correlation of the two, with a scatter plot.
        Writes heatmap SVGs (each cell's value on hover), scatter SVGs, attrib.csv and attrib.json to --out.
        """)
    {
        options.AddTo(this);
        Add(noCompare);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var s = PatchSetup.Load(options, r);
        s.PrintBaselines(Console.Out);
        bool compare = !r.GetValue(noCompare);
        var files = new List<string>();
        var rows = new List<(string, Tensor, string)>();
        var summary = new Dictionary<string, object>();
        var (m, clean, corrupted, metric) = (s.Model, s.Clean, s.Corrupted, s.Metric);
        foreach (var direction in s.Directions)
        {
            string d = PatchSetup.Name(direction);
            s.Progress.Note($"{d}: attribution patching (one forward and backward pass)");
            var attribution = AttributionPatching.Run(m, clean, corrupted, metric, direction);
            var kinds = new List<(string Name, string Dims, Tensor Attribution, Func<Tensor> Activation)>
            {
                ("resid_pre", "layer,pos", attribution.ResidPreByPosition, () => ActivationPatching.ResidPreByPosition(m, clean, corrupted, metric, direction)),
                ("attn_out", "layer,pos", attribution.AttnOutByPosition, () => ActivationPatching.AttnOutByPosition(m, clean, corrupted, metric, direction)),
            };
            if (!m.Config.AttnOnly)
                kinds.Add(("mlp_out", "layer,pos", attribution.MlpOutByPosition, () => ActivationPatching.MlpOutByPosition(m, clean, corrupted, metric, direction)));
            kinds.Add(("heads", "layer,head", attribution.HeadsAllPositions, () => ActivationPatching.HeadsAllPositions(m, clean, corrupted, metric, direction)));
            kinds.Add(("heads_by_pos", "layer,head,pos", attribution.HeadsByPosition, () => ActivationPatching.HeadsByPosition(m, clean, corrupted, metric, direction)));
            var results = new Dictionary<string, object>();
            foreach (var (name, dims, attr, activation) in kinds)
            {
                string svg = s.File($"attrib_{d}_{name}.svg");
                PatchPlots.Figure($"{d}: attribution patching {name}", attr, dims, attribution.Baseline, "metric − base run").Save(svg);
                files.Add(svg);
                rows.Add(($"attribution.{d}.{name}", attr, dims));
                if (!compare) { results[name] = new { attribution = PatchCommand.Nested(attr) }; continue; }
                s.Progress.Note($"{d}: activation patching {name} for comparison");
                var act = activation();
                double corr = PatchStats.Correlation(attr, act);
                Console.WriteLine($"{d} {name}: correlation of attribution with activation patching r = {corr:F3} " +
                                  $"({act.Numel} patches; max |difference| {PatchStats.MaxAbsDifference(attr, act):F3})");
                string scatter = s.File($"attrib_{d}_{name}_vs_activation.svg");
                PatchPlots.SaveScatter(scatter, act, attr, $"{name} ({d}): r = {corr:F3}", "activation patching", "attribution patching");
                files.Add(scatter);
                rows.Add(($"activation.{d}.{name}", act, dims));
                results[name] = new { correlation = double.IsFinite(corr) ? (double?)corr : null, attribution = PatchCommand.Nested(attr), activation = PatchCommand.Nested(act) };
            }
            Console.WriteLine($"{d} (base {attribution.Baseline:F3}): heads with the largest attribution: {PatchSetup.TopHeads(attribution.HeadsAllPositions, attribution.Baseline)}");
            summary[d] = new { baseline = attribution.Baseline, results };
        }
        s.Progress.Finish();
        string csv = s.File("attrib.csv");
        AtomicFile.WriteAllText(csv, PatchPlots.ToCsv(rows));
        s.WriteJson("attrib.json", new { settings = s.Settings, results = summary });
        files.AddRange([csv, s.File("attrib.json")]);
        Console.WriteLine("wrote: " + string.Join(", ", files));
        return 0;
    }
}
