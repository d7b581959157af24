using System.CommandLine;
using Interp.Analysis.Patching;
using Interp.IO;
using Interp.Analysis.Plot;

namespace Interp.Cli;

/// <summary><c>interp patch</c>: activation patching heatmaps of a transformer on induction prompts.</summary>
public sealed class PatchCommand : Command
{
    readonly PatchSetup.Options options = new(Path.Combine("runs", "patch"), "both");
    readonly Option<bool> headsByPosition = Vocabulary.Flag("--heads-by-pos", "also patch every head at every position ([layer, head, pos]; n_layers*n_heads*pos runs)");
    readonly Option<string> path = Vocabulary.Text("--path", "L.H: also path patching from every head of the layers below L into head H of layer L, into its query, key and value input separately ([layer, head] each; NaN where not upstream)");

    public PatchCommand() : base("patch", """
        Activation patching (resid/attn/mlp by position, heads, path patching): heatmaps, CSV, JSON.

        Activation patching on MODEL (a folder from `interp train induction`, or a GPT-2 checkpoint) with induction
        prompts: clean = BOS + L random tokens + the same tokens again, cut before the last; corrupted = the same with
        the first half replaced by other random tokens. Metric: the logit difference at the last position between the
        repeated token and the token the corrupted first half would suggest, normalized so the corrupted run is 0 and
        the clean run 1. Denoising patches clean activations into the corrupted run (which components suffice?),
        noising corrupted activations into the clean run (which are necessary?).
        Patches blocks.L.hook_resid_pre, hook_attn_out and hook_mlp_out (models with MLPs) at each layer and position,
        and each head's hook_z at all positions (and per position with --heads-by-pos).
        Heatmaps (SVG: title, labelled axes, colour bar, each cell's value on hover): the change of the metric from the
        base run (blue lower, white none, red higher); rows are layers (L0H0, L0H1, ... for per-position heads),
        columns positions or heads. Writes the heatmap SVGs, patch.csv and patch.json to --out.
        """)
    {
        options.AddTo(this);
        Add(headsByPosition);
        Add(path);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var s = PatchSetup.Load(options, r);
        var receiver = r.GetValue(path) is { } text ? ParseHead(text, s.Model.Config) : ((int, int)?)null;
        s.PrintBaselines(Console.Out);   // after every argument is checked: a refused command prints nothing on stdout
        var files = new List<string>();
        var rows = new List<(string, Tensor, string)>();
        var summary = new Dictionary<string, object>();
        foreach (var direction in s.Directions)
        {
            string d = PatchSetup.Name(direction);
            double baseline = direction == PatchDirection.Denoising ? 0 : 1;
            var results = new List<(string Name, Tensor Values, string Dims)>();
            void Patch(string name, string dims, Func<Tensor> compute)
            {
                s.Progress.Note($"{d}: patching {name}");
                var values = compute();
                results.Add((name, values, dims));
                string svg = s.File($"{d}_{name}.svg");
                PatchPlots.Figure($"{d}: patching {name}", values, dims, baseline, $"metric − {baseline} (base run)").Save(svg);
                files.Add(svg);
            }
            var (m, clean, corrupted, metric) = (s.Model, s.Clean, s.Corrupted, s.Metric);
            Patch("resid_pre", "layer,pos", () => ActivationPatching.ResidPreByPosition(m, clean, corrupted, metric, direction));
            Patch("attn_out", "layer,pos", () => ActivationPatching.AttnOutByPosition(m, clean, corrupted, metric, direction));
            if (!m.Config.AttnOnly) Patch("mlp_out", "layer,pos", () => ActivationPatching.MlpOutByPosition(m, clean, corrupted, metric, direction));
            Patch("heads", "layer,head", () => ActivationPatching.HeadsAllPositions(m, clean, corrupted, metric, direction));
            if (r.GetValue(headsByPosition)) Patch("heads_by_pos", "layer,head,pos", () => ActivationPatching.HeadsByPosition(m, clean, corrupted, metric, direction));
            if (receiver is var (rl, rh))
                foreach (var input in new[] { "q", "k", "v" })
                    Patch($"path_to_L{rl}H{rh}_{input}", "layer,head",
                        () => PathPatching.AllSenderHeads(m, clean, corrupted, [new Receiver(rl, rh, input)], metric, direction));
            foreach (var (name, values, _) in results.Where(r => r.Name.StartsWith("path_to_")))
                Console.WriteLine($"{d} {name}: senders that move the metric most: {PatchSetup.TopHeads(values, baseline)}");
            var heads = results.Single(r => r.Name == "heads").Values;
            Console.WriteLine($"{d} (base {baseline}): heads that move the metric most: {PatchSetup.TopHeads(heads, baseline)}");
            rows.AddRange(results.Select(r => ($"{d}.{r.Name}", r.Values, r.Dims)));
            summary[d] = results.ToDictionary(r => r.Name, r => (object)Nested(r.Values));
        }
        s.Progress.Finish();
        string csv = s.File("patch.csv");
        AtomicFile.WriteAllText(csv, PatchPlots.ToCsv(rows));
        s.WriteJson("patch.json", new { settings = s.Settings, results = summary });
        files.AddRange([csv, s.File("patch.json")]);
        Console.WriteLine("wrote: " + string.Join(", ", files));
        return 0;
    }

    static (int, int) ParseHead(string text, Interp.Transformers.TransformerConfig cfg)
    {
        var parts = text.Split('.');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int l) || !int.TryParse(parts[1], out int h))
            throw new CliError($"--path needs LAYER.HEAD (e.g. 1.3), got '{text}'");
        if (l < 1 || l >= cfg.NLayers || h < 0 || h >= cfg.NHeads)
            throw new CliError($"--path {text}: the receiver must be a head of layers 1..{cfg.NLayers - 1} (heads 0..{cfg.NHeads - 1})");
        return (l, h);
    }

    /// <summary>A tensor as nested arrays for JSON.</summary>
    internal static object Nested(Tensor t)
    {
        var v = t.ToDoubleArray();
        var shape = t.ShapeArray;
        object Build(int dim, int offset, int stride) => dim == shape.Length - 1
            ? v.Skip(offset).Take(shape[dim]).Select(x => double.IsFinite(x) ? (double?)x : null).ToArray()
            : Enumerable.Range(0, shape[dim]).Select(i => Build(dim + 1, offset + i * (stride / shape[dim]), stride / shape[dim])).ToArray();
        return Build(0, 0, v.Length);
    }
}
