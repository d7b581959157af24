using Interp.Analysis.Heads;
using Interp.Analysis.Plot;

namespace Interp.Cli;

/// <summary><c>interp heads</c>: previous-token, duplicate-token and induction scores of every head, ranked, with heatmaps.</summary>
public static class HeadsCommand
{
    public const string Usage = $"""
        usage: interp heads --model PATH [--out DIR] [options]

        Runs the model on repeated random sequences ([BOS] + L random tokens + the same L again) and scores every
        attention head: previous-token (attention to q-1), duplicate-token (to earlier copies of q's token) and
        induction (to the token after an earlier copy), the last two over the queries of the repeated half. Prints the top heads by each score and writes to DIR
        (default runs/heads): heads.csv (every head's scores and ranks), head_scores.png (the three [layer, head]
        tables, viridis 0..1) and patterns.png (the first sequence's pattern of every head: a row per layer).
        {AnalysisInputs.OptionsHelp}
          --out DIR      output folder (default runs/heads)
          --top K        heads listed per score (default 5)
        """;

    public static int Run(string[] args)
    {
        const string command = "interp heads";
        var a = CliArgs.Parse(command, args, [.. AnalysisInputs.Options, "--top"]).NoPositionals();
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        var model = AnalysisInputs.Model(a, command);
        var (tokens, repeatStart, description) = AnalysisInputs.Tokens(a, model, command);
        int top = a.GetInt("--top", 5, min: 1);
        string dir = AnalysisInputs.OutDir(a, Path.Combine("runs", "heads"), command);

        var scan = HeadScan.Run(model, tokens, repeatStart ?? 0);
        Console.WriteLine($"{command}: {model.Config.NLayers} layers x {model.Config.NHeads} heads on {description}");
        foreach (var kind in Enum.GetValues<HeadScoreKind>())
            Console.WriteLine($"  {kind,-15} " + string.Join("  ", scan.Ranked(kind).Take(top).Select(r => $"{r.Label} {r.Score:F3}")));
        string csv = Path.Combine(dir, "heads.csv"), scores = Path.Combine(dir, "head_scores.png"), patterns = Path.Combine(dir, "patterns.png");
        AtomicFile.WriteAllText(csv, scan.ToCsv());
        HeadPlots.Scores(scan).SavePng(scores);
        HeadPlots.Patterns(scan.Patterns).SavePng(patterns);
        Console.WriteLine($"wrote {csv}, {scores}, {patterns}");
        return 0;
    }
}
