using System.CommandLine;
using Interp.Analysis.Residual;
using Interp.IO;
using Interp.Analysis.Plot;

namespace Interp.Cli;

/// <summary><c>interp lens</c>: the logit lens over the layers and the direct logit attribution of every head and MLP.</summary>
public sealed class LensCommand : Command
{
    readonly AnalysisInputs inputs = new(Path.Combine("runs", "lens"));

    public LensCommand() : base("lens", """
        Logit lens per layer and direct logit attribution per head and MLP.

        Logit lens: the log-probability of the true next token read from the residual stream at every stage (each
        layer's input, the middle of each MLP block, the final residual) through the final LayerNorm and the
        unembedding, averaged over the sequences, per position. Direct logit attribution: what every head, MLP,
        embedding and the biases add to the true next token's logit (final-LN scale frozen from the run; they sum to
        the logit). Prints the mean per stage (and on the repeated half) and the largest contributors; writes to --out:
        lens_logprob.svg ([stage, position], viridis), lens_dla.svg ([component, position], blue-white-red around 0)
        and lens.csv; each heatmap cell shows its value on hover.
        """)
    {
        inputs.AddTo(this);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string dir = inputs.OutDir(r);
        var model = inputs.LoadModel(r);
        var (tokens, repeatStart, description) = inputs.TokensFor(r, model, plainIfShort: true);
        var scan = LensScan.Run(model, tokens);
        Console.WriteLine($"interp lens: {description}");
        // position p predicts token p+1: the repeat is predictable from position repeatStart on
        var repeated = repeatStart is int start ? scan.StageMeans(start) : null;
        var all = scan.StageMeans();
        Console.WriteLine(repeated is null ? "mean log-prob of the next token per stage:" : "mean log-prob of the next token per stage (all positions / repeated half):");
        for (int i = 0; i < all.Count; i++)
            Console.WriteLine($"  {all[i].Stage,-11} {all[i].LogProb,8:F3}" + (repeated is null ? "" : $"  {repeated[i].LogProb,8:F3}"));
        int from = repeatStart ?? 0;
        var dla = scan.Dla.Narrow(1, from, scan.Dla.Size(1) - from).Mean(1).ToDoubleArray();
        var largest = dla.Select((v, i) => (Label: scan.ComponentLabels[i], Value: v)).OrderByDescending(x => Math.Abs(x.Value)).Take(6);
        Console.WriteLine($"largest direct logit attributions to the next token{(repeatStart is null ? "" : " on the repeated half")}: " +
            string.Join("  ", largest.Select(x => $"{x.Label} {x.Value:+0.00;-0.00}")));
        string logProbSvg = Path.Combine(dir, "lens_logprob.svg"), dlaSvg = Path.Combine(dir, "lens_dla.svg"), csv = Path.Combine(dir, "lens.csv");
        int positions = scan.LogProb.Size(1);
        new HeatmapFigure("logit lens: log-prob of the next token", scan.LogProb)
        {
            Rows = new Axis("stage", scan.StageLabels), Columns = Axis.Positions(positions),
            Scale = ColorScale.For(scan.LogProb.ToDoubleArray(), signed: false), ValueLabel = "log-prob",
        }.Save(logProbSvg);
        new HeatmapFigure("direct logit attribution to the next token", scan.Dla)
        {
            Rows = new Axis("component", scan.ComponentLabels), Columns = Axis.Positions(positions),
            Scale = ColorScale.For(scan.Dla.ToDoubleArray(), signed: true), ValueLabel = "logit",
        }.Save(dlaSvg);
        AtomicFile.WriteAllText(csv, scan.ToCsv());
        Console.WriteLine($"wrote {logProbSvg}, {dlaSvg}, {csv}");
        return 0;
    }
}
