using Interp.Analysis.Plot;
using Interp.Analysis.Residual;

namespace Interp.Cli;

/// <summary><c>interp norms</c>: residual-stream norm per layer with its exponential fit, and the output-weight norms.</summary>
public static class NormsCommand
{
    public const string Usage = $"""
        usage: interp norms --model PATH [--out DIR] [--keep-bos] [options]

        The residual-norm analysis: the mean L2 norm of the residual stream entering each block and leaving the last
        (layers 0..n), over all sequences and positions (position 0 left out unless --keep-bos), fitted by
        norm = A * G^layer (least squares on log norm; G is the growth factor per layer), and the Frobenius and
        spectral norms of each head's W_V W_O and each MLP's W_out. Writes to DIR (default runs/norms):
        norms.svg (log-scale plot), norms.csv (per layer) and norms_heads.csv (per head).
        {AnalysisInputs.OptionsHelp}
          --out DIR      output folder (default runs/norms)
          --keep-bos     include position 0 in the mean
        """;

    public static int Run(string[] args)
    {
        const string command = "interp norms";
        var a = CliArgs.Parse(command, args, AnalysisInputs.Options, ["--keep-bos"]).NoPositionals();
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        var model = AnalysisInputs.Model(a, command);
        var (tokens, _, description) = AnalysisInputs.Tokens(a, model, command, plainIfShort: true);
        string dir = AnalysisInputs.OutDir(a, Path.Combine("runs", "norms"), command);
        var norms = ResidualNorms.Measure(model, tokens, excludeBos: !a.Has("--keep-bos"), modelName: Path.GetFileName(Path.TrimEndingDirectorySeparator(a.Get("--model")!)));
        Console.WriteLine($"{command}: {description}");
        Console.WriteLine(ResidualNormsReport.Summary(norms));
        Write(dir, [norms]);
        return 0;
    }

    /// <summary>norms.svg, norms.csv, norms_heads.csv in dir; prints their names.</summary>
    internal static (string Svg, string Csv, string HeadsCsv) Write(string dir, IReadOnlyList<ResidualNorms> models)
    {
        string svg = Path.Combine(dir, "norms.svg"), csv = Path.Combine(dir, "norms.csv"), heads = Path.Combine(dir, "norms_heads.csv");
        ResidualNormsReport.Plot(models).Save(svg);
        AtomicFile.WriteAllText(csv, ResidualNormsReport.ToCsv(models));
        AtomicFile.WriteAllText(heads, ResidualNormsReport.HeadsCsv(models));
        Console.WriteLine($"wrote {svg}, {csv}, {heads}");
        return (svg, csv, heads);
    }
}
