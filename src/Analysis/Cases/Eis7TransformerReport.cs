using System.Globalization;
using Interp.Analysis.Linalg;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Cases;

/// <summary>
/// The challenge-2 report: accuracy and wall time of the retrained model, the true and learned 113 x 113 label grids,
/// the Fourier spectrum of the embedding, the attention of <c>=</c> to x and y, the residual stream before the MLP in
/// its top principal directions, and the split of the label logit difference over the inputs. Writes index.html and
/// its images into a folder.
/// </summary>
public static class Eis7TransformerReport
{
    public static HtmlReport Build(Eis7TransformerRun run, Eis7Labels labels, string folder, string? command = null)
    {
        Directory.CreateDirectory(folder);
        var model = run.Model;
        int p = labels.Size;
        var learned = Eis7Transformer.PredictGrid(model);
        var report = new HtmlReport("EIS VII challenge 2: the retrained transformer");
        Summary(report, run, labels, learned, command);
        Curve(report, run, folder);
        LabelGrids(report, run, labels, learned, folder);
        Fourier(report, Eis7TransformerAnalysis.EmbeddingFourierNorms(model), folder);
        Attention(report, Eis7TransformerAnalysis.AttentionFromEquals(model), folder);
        Residual(report, Eis7TransformerAnalysis.ResidMidAtEquals(model), labels, folder);
        Logits(report, Eis7TransformerAnalysis.DecomposeLogitDifference(model), p, folder);
        Units(report, model, p, folder);
        report.Save(folder);
        return report;
    }

    /// <summary>Heads and MLP neurons as units, over every 7th pair (the same tools as interp ablate and neurons).</summary>
    static void Units(HtmlReport report, Interp.Transformers.HookedTransformer model, int p, string folder)
    {
        var pairs = Eis7Transformer.AllPairs(p).Where(k => k % 7 == 0).ToArray();
        var run = new Neurons.ModelOnDataset(Neurons.TransformerClassifier.Of(model, position: 2), Eis7Transformer.Tokens(pairs, p), answers: null);
        report.Heading("Heads and MLP neurons as units");
        Neurons.TransformerUnitsReport.Add(report, model, run, 1, 0, folder, $"{pairs.Length} pairs (every 7th)",
            "interp ablate --model MODEL_FOLDER --data modadd --stride 7 --logits 1,0 --hook blocks.0.attn.hook_z --units 3\n" +
            "interp neurons --model MODEL_FOLDER --data modadd --stride 7 --logits 1,0 --hook blocks.0.mlp.hook_post");
    }

    static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %";
    static string F(double v, string format = "F3") => v.ToString(format, CultureInfo.InvariantCulture);

    static void Summary(HtmlReport report, Eis7TransformerRun run, Eis7Labels labels, int[,] learned, string? command)
    {
        var o = run.Options;
        var f = run.Final;
        report.Paragraph($"A 1-layer transformer (d_model {o.DModel}, {o.NHeads} heads of {o.DHead}, ReLU MLP {o.DMlp}, no LayerNorm, no attention or " +
            $"unembed biases, learned positions) reads \"x y =\" and predicts the secret label of (x, y) as the token 0 or 1 at \"=\". It was trained " +
            $"with full-batch AdamW (lr {F(o.LearningRate, "G3")}, betas 0.9/0.98, weight decay {F(o.WeightDecay, "G3")}, {o.WarmupSteps} warm-up steps) " +
            $"for {run.StepsRun} steps on {run.TrainPairs.Length} pairs ({SplitWords(o)}, {o.Init} init, seed {o.Seed}) and tested on the other {run.TestPairs.Length}." +
            StopWords(run));
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "test accuracy (held-out pairs)", Pct(f.TestAccuracy) },
            new[] { "train accuracy", Pct(f.TrainAccuracy) },
            new[] { "train / test loss", $"{F(f.TrainLoss, "F4")} / {F(f.TestLoss, "F4")}" },
            new[] { "wall time of training", $"{F(run.Wall.TotalSeconds, "F1")} s" },
            new[] { "pairs labelled 1", Pct(labels.FractionOnes) },
            new[] { "majority-class accuracy on the test pairs", Pct(Majority(labels, run.TestPairs)) },
        };
        if (labels.ModelLabels is { } theirs)
        {
            rows.Insert(1, new[] { "the challenge's model on the same held-out pairs", Pct(Eis7Labels.Agreement(theirs, labels.Labels, run.TestPairs)) });
            rows.Insert(3, new[] { "the challenge's model on the same train pairs", Pct(Eis7Labels.Agreement(theirs, labels.Labels, run.TrainPairs)) });
            rows.Add(new[] { "the challenge's model vs the true labels, all pairs", Pct(Eis7Labels.Agreement(theirs, labels.Labels)) });
            rows.Add(new[] { "this model vs the challenge's model, all pairs", Pct(Eis7Labels.Agreement(learned, theirs)) });
        }
        report.Table(["measure", "value"], rows);
        report.Paragraph(o.Split == "challenge"
            ? "The split is the challenge's own (CPython's random.seed(0) and random.shuffle of the pairs, first half trains), so the two models " +
              "are compared on the same held-out pairs. The README's 97.27 % is 1 − 2 × (error over all pairs), the challenge notebook's formula, " +
              "which equals the test-half accuracy only when the train half is perfect."
            : "This split is drawn from the seed, not the challenge's, so the challenge model's figures on it mix its train and test pairs.");
        if (command is not null) report.Code(command);
    }

    static string StopWords(Eis7TransformerRun run) => run.Options.Stop == "none" ? "" :
        $" Stop rule: {Eis7TransformerStop.Describe(run.Options)}" +
        (run.ValidationPairs is { Length: > 0 } v ? $" ({v.Length} pairs held out of the train half, never trained on)" : "") +
        $"; the model kept is step {run.Final.Step}'s.";

    static string SplitWords(Eis7TransformerOptions o) => o.Split == "challenge" ? "the challenge's split" : "a seeded random split";

    static double Majority(Eis7Labels labels, int[] pairs)
    {
        int p = labels.Size;
        double ones = pairs.Average(i => (double)labels[i / p, i % p]);
        return Math.Max(ones, 1 - ones);
    }

    static void Curve(HtmlReport report, Eis7TransformerRun run, string folder)
    {
        if (run.Curve.Count == 0) return;
        var steps = run.Curve.Select(e => (double)e.Step).ToArray();
        var plot = new LinePlot("accuracy during training", "step", "accuracy")
            .Line("train", steps, run.Curve.Select(e => e.TrainAccuracy).ToArray())
            .Line("test", steps, run.Curve.Select(e => e.TestAccuracy).ToArray(), dashed: true);
        if (run.Curve.Any(e => double.IsFinite(e.ValidationAccuracy)))
            plot = plot.Line("validation (held out of the train half)", steps, run.Curve.Select(e => e.ValidationAccuracy).ToArray(), dashed: true);
        report.Figure(plot, "Train and test accuracy at each evaluation.", "accuracy.svg");
    }

    static void LabelGrids(HtmlReport report, Eis7TransformerRun run, Eis7Labels labels, int[,] learned, string folder)
    {
        int p = labels.Size;
        var split = new int[p * p];                    // 0 unused (--max-pairs), 1 train, 2 test
        foreach (int i in run.TrainPairs) split[i] = 1;
        foreach (int i in run.TestPairs) split[i] = 2;
        var errors = ReportImages.BinaryGrid(learned, 3, (x, y) => learned[x, y] == labels[x, y] ? null : split[x * p + y] switch
        {
            2 => ((byte)220, (byte)30, (byte)30),
            1 => ((byte)250, (byte)160, (byte)0),
            _ => ((byte)240, (byte)170, (byte)200),
        });
        var row = new FigureRow("label grids", [
            PairMap("true labels", PairValues(labels.Labels), p, ColorScale.Sequential(0, 1), "label"),
            PairMap("this model's labels", PairValues(learned), p, ColorScale.Sequential(0, 1), "label"),
            new ImageFigure("its mistakes", errors) { XLabel = "y", YLabel = "x" }]);
        report.Heading("Label grids");
        report.Figure(row, "Left: the true labels (row x, column y; yellow = 1). Middle: this model's labels. Right: its labels (dark = 1) with " +
            "the mistakes marked (red on held-out pairs, orange on training pairs, pink on pairs the run did not use).", "label_grids.svg");
    }

    static void Fourier(HtmlReport report, double[] norms, string folder)
    {
        var plot = new LinePlot("embedding W_E[:p] by Fourier frequency", "frequency k", "norm").Line("norm of frequency k", norms);
        report.Heading("Fourier spectrum of the embedding");
        double total = Math.Sqrt(norms.Sum(v => v * v));
        var top = norms.Select((v, k) => (v, k)).OrderByDescending(t => t.v).Take(5)
            .Select(t => new[] { t.k.ToString(CultureInfo.InvariantCulture), F(t.v), Pct(t.v * t.v / (total * total)) }).ToList();
        report.Paragraph("W_E[:113] projected on the cos/sin basis of Z_113; the squared norms of the frequencies sum to ‖W_E‖². " +
            "A model that computes with modular arithmetic concentrates on a few frequencies; a spread spectrum means it does not.");
        report.Figure(plot, "Norm of each frequency's component of the token embedding.", "fourier.svg");
        report.Table(["frequency", "norm", "share of ‖W_E‖²"], top);
    }

    static void Attention(HtmlReport report, EqualsAttention attention, string folder)
    {
        int heads = attention.Pattern.Size(0), p = attention.Pattern.Size(2);
        string[] sources = ["x", "y", "="];
        report.Heading("Attention from =");
        report.Paragraph("The attention of the \"=\" query to x, y and itself, for every pair (row x, column y), one figure per head; " +
            "colour from 0 (dark) to 1 (yellow).");
        for (int h = 0; h < heads; h++)
        {
            var panels = Enumerable.Range(0, 3).Select(s => (IFigure)PairMap($"head {h} to {sources[s]}", attention.Pattern.Select(0, h).Select(0, s).ToDoubleArray(),
                p, ColorScale.Sequential(0, 1), "attention")).ToList();
            report.Figure(new FigureRow($"head {h}: attention from = to x, y and =", panels), $"Head {h} attending to x, y and =.", $"attention_head{h}.svg");
        }
        report.Table(["head", "mean to x", "mean to y", "mean to ="],
            Enumerable.Range(0, heads).Select(h => (IReadOnlyList<string>)[h.ToString(CultureInfo.InvariantCulture),
                F(attention.MeanBySource[h, 0]), F(attention.MeanBySource[h, 1]), F(attention.MeanBySource[h, 2])]));
    }

    static void Residual(HtmlReport report, Tensor residMid, Eis7Labels labels, string folder)
    {
        int p = labels.Size, k = Math.Min(4, residMid.Size(1));
        var pca = Pca.Fit(residMid, k);
        var coords = pca.Project(residMid).ToDoubleArray();
        var plot = new LinePlot("blocks.0.hook_resid_mid at = in its top two principal directions", "PC 1", "PC 2");
        for (int label = 0; label <= 1; label++)
        {
            // every 4th pair keeps the SVG small; the two classes keep their proportions
            var rows = Enumerable.Range(0, p * p).Where(i => i % 4 == 0 && labels[i / p, i % p] == label).ToArray();
            plot.Points($"label {label}", rows.Select(i => coords[i * k]).ToArray(), rows.Select(i => coords[i * k + 1]).ToArray());
        }
        var maps = Enumerable.Range(0, k).Select(c =>
        {
            var values = Enumerable.Range(0, p * p).Select(i => coords[i * k + c]).ToArray();
            return (IFigure)PairMap($"PC {c + 1}", values, p, ColorScale.For(values, signed: true), "projection");
        }).ToList();
        report.Heading("Residual stream before the MLP");
        report.Paragraph("Principal components of blocks.0.hook_resid_mid at the \"=\" position over all pairs (eigenvectors of its covariance, " +
            "Jacobi method).");
        report.Table(["component", "variance", "share of the total variance"],
            Enumerable.Range(0, k).Select(c => (IReadOnlyList<string>)[(c + 1).ToString(CultureInfo.InvariantCulture), F(pca.Variances[c]), Pct(pca.ExplainedRatio[c])]));
        report.Figure(plot, "PC 1 against PC 2, coloured by the true label (every 4th pair).", "resid_pca.svg");
        report.Figure(new FigureRow("residual at = on its principal components", maps),
            $"PC 1 to PC {k} of each pair's residual as {p} x {p} maps (row x, column y; blue negative, white 0, red positive).", "resid_pca_grids.svg");
    }

    static void Logits(HtmlReport report, LogitDecomposition d, int p, string folder)
    {
        (string Name, double[] Values)[] parts = [("x path", d.XPath), ("y path", d.YPath), ("rest", d.Rest), ("total", d.Total)];
        double bound = parts.Max(t => t.Values.Max(Math.Abs));
        var maps = parts.Select(t => (IFigure)PairMap(t.Name, t.Values, p, ColorScale.Signed(bound), "logit difference")).ToList();
        report.Heading("Logit contribution of each input");
        report.Paragraph("The logit difference u·resid (u = W_U[:, 1] − W_U[:, 0]) at \"=\" splits exactly into: the direct term of \"=\" " +
            "(W_E[=] + W_pos[2]), the attention output read from each source position (x, y, =), and the MLP; the ReLU MLP splits further, " +
            "with its active neurons fixed, into the share of each of those inputs plus its biases. The x path is x's attention term plus its " +
            "MLP share, likewise y; the rest is everything of \"=\" and the biases. The parts sum to the logit difference.");
        (string, double[])[] rows = [
            ("direct: W_E[=] + W_pos[2]", d.Direct), ("attention from x", d.AttnX), ("attention from y", d.AttnY), ("attention from =", d.AttnEq),
            ("MLP (all)", d.Mlp), ("  MLP via x", d.MlpViaX), ("  MLP via y", d.MlpViaY), ("  MLP via = attention", d.MlpViaEq),
            ("  MLP via the direct term", d.MlpViaDirect), ("  MLP biases", d.MlpBias),
            ("x path", d.XPath), ("y path", d.YPath), ("rest", d.Rest), ("total logit difference", d.Total)];
        report.Table(["part", "mean", "std over pairs", "mean |value|"],
            rows.Select(r => (IReadOnlyList<string>)[r.Item1, F(r.Item2.Average()), F(Std(r.Item2)), F(r.Item2.Average(Math.Abs))]));
        report.Figure(new FigureRow("logit difference by path", maps),
            $"x path, y path, rest and total as {p} x {p} maps (row x, column y), one colour scale: red pushes to label 1, white is 0.", "logit_paths.svg");
    }

    /// <summary>Values over the pairs in order x·p + y as a [x, y] heatmap (large: drawn as a PNG with axes, colour bar and hover values).</summary>
    static HeatmapFigure PairMap(string title, double[] values, int p, ColorScale scale, string valueLabel) =>
        new(title, ReportImages.PairGrid(values, p)) { Rows = Axis.Numbered("x", p), Columns = Axis.Numbered("y", p), Scale = scale, ValueLabel = valueLabel };

    static double[] PairValues(int[,] grid) => grid.Cast<int>().Select(v => (double)v).ToArray();

    static double Std(double[] v)
    {
        double m = v.Average();
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / Math.Max(1, v.Length - 1));
    }
}
