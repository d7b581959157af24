using System.Globalization;
using Interp.Analysis.Plot;
using Interp.Models;

namespace Interp.Analysis.Cases;

/// <summary>
/// Draws the input that maximises one unit of a CNN (a channel of <paramref name="hook"/>, or a logit of hook_logits):
/// an image [h, w] or [1, h, w]. The feature-visualization tool (src/Analysis/FeatureViz) plugs in here.
/// </summary>
public delegate Tensor FeatureVisualizer(Cnn model, string hook, int unit);

/// <summary>
/// The challenge-1 report: class fractions, labelling rules against the model, top and most confusing digits of every
/// conv channel and logit, saliency maps, and — when a <see cref="FeatureVisualizer"/> is given — feature
/// visualizations of every unit; the fc1 section of <see cref="Eis7CnnFc1Section"/> (unless <c>fc1</c> is false). Writes
/// index.html and its images into a folder.
/// </summary>
public static class Eis7CnnReport
{
    static readonly Dictionary<string, string> HookTitles = new()
    {
        ["hook_relu1"] = "conv1 channels (after ReLU)", ["hook_relu2"] = "conv2 channels (after ReLU)", ["hook_logits"] = "output logits",
    };

    public static HtmlReport Build(Eis7Cnn cnn, string folder, int examples = 8, IEnumerable<LabellingRule>? rules = null,
        FeatureVisualizer? featureVisualizer = null, string? command = null, bool fc1 = true)
    {
        if (examples < 1) throw new ArgumentException($"eis7 cnn report: examples must be at least 1, got {examples}");
        Directory.CreateDirectory(folder);
        var report = new HtmlReport("EIS VII challenge 1: the MNIST CNN");
        Summary(report, cnn, command);
        ClassFractions(report, cnn);
        Rules(report, cnn, rules ?? Eis7CnnRules.Examples);
        AddFeatureVisualizations(report, cnn, folder, featureVisualizer);
        foreach (var hook in Eis7Cnn.UnitHooks) UnitExamples(report, cnn, hook, examples, folder);
        if (fc1) Eis7CnnFc1Section.Add(report, cnn, folder);
        Saliency(report, cnn, examples, folder);
        report.Save(folder);
        return report;
    }

    static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %";
    static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
    static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    static void Summary(HtmlReport report, Eis7Cnn cnn, string? command)
    {
        report.Paragraph($"The challenge's CNN (conv 8 → pool → conv 16 → pool → 400 → 200 → 2, read from its PyTorch state dict) on " +
            $"{cnn.Digits.Count} real MNIST digits (pixels / 255). Its label is 1 where logit 1 exceeds logit 0. The secret labels are not " +
            $"available, so everything below is measured against the model's own labels.");
        report.Table(["measure", "value"], [
            ["digits", I(cnn.Digits.Count)],
            ["labelled 1 by the model", Pct(cnn.FractionOnes)],
            ["median |logit 1 − logit 0|", F(Median(Enumerable.Range(0, cnn.Digits.Count).Select(i => Math.Abs(cnn.Logits[i, 1] - cnn.Logits[i, 0]))))],
        ]);
        report.Paragraph("Plausibility: the challenge describes a labelling of \"approximately half\" of the digits as 1, and the model " +
            "labels about half of them 1 here.");
        if (command is not null) report.Code(command);
    }

    static double Median(IEnumerable<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length == 0 ? double.NaN : s[s.Length / 2];
    }

    static void ClassFractions(HtmlReport report, Eis7Cnn cnn)
    {
        report.Heading("Fraction of each digit class labelled 1");
        report.Table(["digit", "digits", "labelled 1", "fraction"],
            cnn.ClassFractions().Select(c => (IReadOnlyList<string>)[I(c.Digit), I(c.Count), I(c.LabelledOne), Pct(c.Fraction)]));
    }

    static void Rules(HtmlReport report, Eis7Cnn cnn, IEnumerable<LabellingRule> rules)
    {
        report.Heading("Labelling rules against the model");
        report.Paragraph("A candidate rule is a C# function of the 28 x 28 image (row, column; pixels in [0, 1]) and, optionally, the digit's " +
            "MNIST class; true means label 1. Agreement is the share of digits where rule and model give the same label.");
        report.Table(["rule", "what it says", "agreement", "both 1", "rule 1, model 0", "rule 0, model 1", "both 0"],
            rules.Select(r =>
            {
                var a = cnn.TestRule(r.Rule);
                return (IReadOnlyList<string>)[r.Name, r.Description, Pct(a.Agreement), I(a.BothOne), I(a.RuleOnlyOne), I(a.ModelOnlyOne), I(a.BothZero)];
            }));
        report.Code("""
            var cnn = Eis7Cnn.Load();                                        // ../shared/data: the .pt model and the 10k digits
            var result = cnn.TestRule(img => img[14, 14] > 0.5f);            // Func<float[,], bool>: true = label 1
            Console.WriteLine($"{result.AgreementPercent:F2} % agreement"); // and result.BothOne, .RuleOnlyOne, ...
            """);
    }

    /// <summary>
    /// The place for feature visualizations: one image per unit of every hook, drawn by <paramref name="visualizer"/>
    /// (from src/Analysis/FeatureViz once it is merged). Without one the report says they are not included.
    /// </summary>
    public static void AddFeatureVisualizations(HtmlReport report, Eis7Cnn cnn, string folder, FeatureVisualizer? visualizer)
    {
        report.Heading("Feature visualizations");
        if (visualizer is null)
        {
            report.Paragraph("Not included in this report: no feature visualizer was given (Eis7CnnReport.Build(..., featureVisualizer: ...)).");
            return;
        }
        foreach (var hook in Eis7Cnn.UnitHooks)
        {
            int units = cnn.UnitCount(hook);
            var images = Enumerable.Range(0, units).Select(u =>
            {
                var img = visualizer(cnn.Model, hook, u);
                return img.Rank == 3 ? img.Select(0, 0) : img;
            }).ToList();
            string file = $"featviz_{hook}.png";
            var grid = ImageGrid.Render(Tensor.Stack(images), columns: Math.Min(units, 8), scale: 3);
            AddImage(report, folder, file, new ImageFigure($"feature visualizations: {HookTitles[hook]}", grid)
                { XLabel = $"unit 0..{units - 1}, left to right, top to bottom", Legend = ColorScale.Grey(0, 1), ValueLabel = "pixel (each image scaled to its range)" },
                $"Feature visualizations of the {HookTitles[hook]}, units 0..{units - 1} left to right, top to bottom.");
        }
    }

    static void UnitExamples(HtmlReport report, Eis7Cnn cnn, string hook, int k, string folder)
    {
        int units = cnn.UnitCount(hook);
        var all = Enumerable.Range(0, units).Select(u => cnn.Examples(hook, u, k)).ToList();
        string name = hook.Replace("hook_", "");
        // a dead unit's row stays black: its "top" digits are arbitrary ties at 0
        report.Heading($"Top and most confusing digits: {HookTitles[hook]}");
        report.Paragraph(hook == "hook_logits"
            ? "Score: the logit's margin over the other logit. Top: the digits the model labels this way most surely. Most confusing: the " +
              "digits labelled the other way that came closest to this label."
            : "Score: the channel's largest activation over the image. Top: the digits that excite it most. Most confusing: the most " +
              "exciting digits whose model label differs from the label of most of the top digits (the channel's preferred label).");
        foreach (var (kind, rows, caption) in new[] {
                     ("top", all.Select(e => e.Dead ? [] : e.Top), $"Top {k} digits of each unit (one row per unit, best first)."),
                     ("confusing", all.Select(e => e.Dead ? [] : e.Confusing), $"The {k} most confusing digits of each unit (one row per unit; black where there are fewer).") })
            AddImage(report, folder, $"{name}_{kind}.png", new ImageFigure($"{kind} digits: {HookTitles[hook]}", ImageGrid.Render(Rows(cnn, rows, k), columns: k, scale: 2, range: (0, 1)))
                { XLabel = kind == "top" ? "rank, best first" : "rank, most confusing first", YLabel = $"unit 0..{units - 1}", Legend = ColorScale.Grey(0, 1), ValueLabel = "pixel" },
                caption);
        var dead = all.Where(e => e.Dead).Select(e => e.Unit).ToArray();
        if (dead.Length > 0) report.Paragraph($"Dead (zero on every digit, black rows above): {string.Join(", ", dead)}.");
        report.Table(["unit", "preferred label", "top scores", "confusing scores"],
            all.Select(e => (IReadOnlyList<string>)[I(e.Unit), e.Dead ? "dead" : I(e.PreferredLabel), e.Dead ? "all 0" : Range(e.TopScores), e.Dead ? "—" : Range(e.ConfusingScores)]));
    }

    // the raster also lies beside the report as a PNG; the report shows it inline with its title, axis labels and legend
    static void AddImage(HtmlReport report, string folder, string file, ImageFigure figure, string caption)
    {
        figure.Image.SavePng(Path.Combine(folder, file));
        report.Figure(figure, $"{caption} ({file})");
    }

    static string Range(double[] v) => v.Length == 0 ? "none" : $"{F(v.Min())} .. {F(v.Max())}";

    // k images per row; missing ones (fewer confusing digits than k) stay black
    static Tensor Rows(Eis7Cnn cnn, IEnumerable<int[]> rows, int k)
    {
        int h = cnn.Digits.Height, w = cnn.Digits.Width;
        var images = new List<Tensor>();
        foreach (var row in rows)
        {
            if (row.Length > 0) images.Add(cnn.Images(row));
            if (row.Length < k) images.Add(Tensor.Zeros([k - row.Length, h, w]));
        }
        return Tensor.Cat(images, 0);
    }

    static void Saliency(HtmlReport report, Eis7Cnn cnn, int k, string folder)
    {
        report.Heading("Saliency: input x gradient of logit 1 − logit 0");
        report.Paragraph("Each pixel's value times the gradient of the logit difference, drawn over its digit (grey): red pixels push towards " +
            "label 1, blue towards label 0, white-grey ones hardly matter. One colour scale per row, so the digits of a row compare; for a " +
            "ReLU network the map sums to the change of the logit difference from scaling the digit up slightly.");
        for (int label = 0; label <= 1; label++)
        {
            var e = cnn.Examples("hook_logits", label, k);
            foreach (var (kind, rows) in new[] { ("top", e.Top), ("confusing", e.Confusing) })
            {
                if (rows.Length == 0) continue;
                var (image, bound) = ReportImages.SignedOverDigits(cnn.Images(rows), cnn.Saliency(rows));
                string caption = kind == "top"
                    ? $"The digits labelled {label} most surely, their saliency drawn over them."
                    : $"The digits labelled {1 - label} that came closest to label {label}, their saliency drawn over them.";
                AddImage(report, folder, $"saliency_label{label}_{kind}.png", new ImageFigure($"saliency towards label 1: {kind} digits of label {label}", image)
                    { XLabel = "digit", Legend = ColorScale.Signed(bound), ValueLabel = "saliency" }, caption);
            }
        }
    }
}
