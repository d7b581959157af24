using System.CommandLine;
using Interp.Analysis.Residual;

namespace Interp.Cli;

/// <summary><c>interp case norms</c>: the residual-norm case study over several models, one plot and a report section.</summary>
public sealed class CaseNormsCommand : Command
{
    readonly AnalysisInputs inputs = new(Path.Combine("runs", "case-norms"));
    readonly Option<string[]> models = new("--model")
    {
        Description = AnalysisInputs.ModelHelp + "; give it once per model (required)", Arity = ArgumentArity.OneOrMore,
    };
    readonly Option<bool> keepBos = Vocabulary.Flag("--keep-bos", "include position 0 in the mean");

    public CaseNormsCommand() : base("norms", """
        The residual-norm case study over several models: one plot, a report section.

        The residual-stream norm case study: for every model named (folders from `interp train induction|modadd`,
        GPT-2 checkpoints) the per-layer residual norm on repeated random sequences with its exponential fit
        (norm = A * G^layer, R^2 on log norm) and the output-weight norms per layer (W_V W_O per head, W_out), all
        drawn in one log-scale plot. Each model gets its own sequences, same seed. Writes to --out: norms.svg,
        norms.csv, norms_heads.csv and index.html (the report section: plot, table of fits, per-layer figures).
        """)
    {
        Add(models);
        inputs.AddTo(this, withModel: false);
        Add(keepBos);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var paths = r.GetValue(models) is { Length: > 0 } given ? given : throw new CliError("--model is required");
        string dir = inputs.OutDir(r);
        var results = new List<ResidualNorms>();
        foreach (var path in paths)
        {
            var model = inputs.LoadModel(r, path);
            var (tokens, _, description) = inputs.TokensFor(r, model, plainIfShort: true);
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
            if (results.Any(n => n.ModelName == name)) name = path;
            var norms = ResidualNorms.Measure(model, tokens, excludeBos: !r.GetValue(keepBos), modelName: name);
            Console.WriteLine($"{ResidualNormsReport.Summary(norms)} [{description}]");
            results.Add(norms);
        }
        var (svg, _, _) = NormsCommand.Write(dir, results);
        ResidualNormsReport.Section(results, Path.GetFileName(svg)).Save(dir);
        Console.WriteLine($"wrote {Path.Combine(dir, "index.html")}");
        return 0;
    }
}
