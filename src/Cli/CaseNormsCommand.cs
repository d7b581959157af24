using Interp.Analysis.Plot;
using Interp.Analysis.Residual;

namespace Interp.Cli;

/// <summary><c>interp case norms</c>: the residual-norm case study over several models, one plot and a report section.</summary>
public static class CaseNormsCommand
{
    public const string Usage = $"""
        usage: interp case norms --model PATH [--model PATH ...] [--out DIR] [--keep-bos] [options]

        The residual-stream norm case study: for every model named (folders from `interp train induction|modadd`,
        GPT-2 checkpoints) the per-layer residual norm on repeated random sequences with its exponential fit
        (norm = A * G^layer, R^2 on log norm) and the output-weight norms per layer (W_V W_O per head, W_out), all
        drawn in one log-scale plot. Writes to DIR (default runs/case-norms): norms.svg, norms.csv, norms_heads.csv
        and index.html (the report section: plot, table of fits, per-layer figures).
        {AnalysisInputs.OptionsHelp}
          --model PATH   may be given several times (each model gets its own sequences, same seed)
          --out DIR      output folder (default runs/case-norms)
          --keep-bos     include position 0 in the mean
        """;

    public static int Run(string[] args)
    {
        const string command = "interp case norms";
        // --model repeats here; the one-value parser sees each model separately
        var paths = new List<string>();
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--model")
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--")) throw new CliError($"{command}: --model needs a path");
                paths.Add(args[++i]);
            }
            else rest.Add(args[i]);
        }
        var a = CliArgs.Parse(command, [.. rest], AnalysisInputs.Options.Where(o => o != "--model"), ["--keep-bos"]).NoPositionals();
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        if (paths.Count == 0) throw new CliError($"{command}: give at least one --model PATH (see {command} --help)");
        string dir = AnalysisInputs.OutDir(a, Path.Combine("runs", "case-norms"), command);
        var results = new List<ResidualNorms>();
        foreach (var path in paths)
        {
            var model = ModelFiles.LoadTransformer(path, a.GetDevice());
            model.Eval();
            var (tokens, _, description) = AnalysisInputs.Tokens(a, model, command, plainIfShort: true);
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
            if (results.Any(r => r.ModelName == name)) name = path;
            var norms = ResidualNorms.Measure(model, tokens, excludeBos: !a.Has("--keep-bos"), modelName: name);
            Console.WriteLine($"{ResidualNormsReport.Summary(norms)} [{description}]");
            results.Add(norms);
        }
        var (svg, _, _) = NormsCommand.Write(dir, results);
        ResidualNormsReport.Section(results, Path.GetFileName(svg)).Save(dir);
        Console.WriteLine($"wrote {Path.Combine(dir, "index.html")}");
        return 0;
    }
}
