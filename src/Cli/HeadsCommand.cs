using System.CommandLine;
using Interp.Analysis.Heads;
using Interp.Analysis.Plot;
using Interp.IO;

namespace Interp.Cli;

/// <summary><c>interp heads</c>: previous-token, duplicate-token and induction scores of every head, ranked, with heatmaps.</summary>
public sealed class HeadsCommand : Command
{
    readonly AnalysisInputs inputs = new(Path.Combine("runs", "heads"));
    readonly Option<int> top = Vocabulary.Int("--top", 5, "heads listed per score", min: 1);

    public HeadsCommand() : base("heads", """
        Previous-token, duplicate-token and induction score of every head, ranked; pattern heatmaps.

        Runs the model on repeated random sequences ([BOS] + L random tokens + the same L again) and scores every
        attention head: previous-token (attention to q-1), duplicate-token (to earlier copies of q's token) and
        induction (to the token after an earlier copy), the last two over the queries of the repeated half. Prints the
        top heads by each score and writes to --out: heads.csv (every head's scores and ranks), head_scores.svg (the
        three [layer, head] tables, viridis 0..1, each head's score on hover) and attention.html (the first sequence's
        pattern of any layer and head, chosen with select boxes, tokens on both axes, the weight on hover).
        """)
    {
        inputs.AddTo(this);
        Add(top);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string dir = inputs.OutDir(r);
        var model = inputs.LoadModel(r);
        var (tokens, repeatStart, description) = inputs.TokensFor(r, model);
        var scan = HeadScan.Run(model, tokens, repeatStart ?? 0);
        Console.WriteLine($"interp heads: {model.Config.NLayers} layers x {model.Config.NHeads} heads on {description}");
        foreach (var kind in Enum.GetValues<HeadScoreKind>())
            Console.WriteLine($"  {kind,-15} " + string.Join("  ", scan.Ranked(kind).Take(r.GetValue(top)).Select(h => $"{h.Label} {h.Score:F3}")));
        string csv = Path.Combine(dir, "heads.csv"), scores = Path.Combine(dir, "head_scores.svg"), patterns = Path.Combine(dir, "attention.html");
        AtomicFile.WriteAllText(csv, scan.ToCsv());
        HeadPlots.ScoreFigures(scan).Save(scores);
        var best = scan.Ranked(HeadScoreKind.Induction)[0];
        var page = new HtmlReport("attention patterns").Attention(HeadPlots.AttentionView(scan, selected: (best.Layer, best.Head)),
            $"every head's pattern on the first sequence (token ids), the top induction head {best.Label} first");
        AtomicFile.WriteAllText(patterns, page.Render());
        Console.WriteLine($"wrote {csv}, {scores}, {patterns}");
        return 0;
    }
}
