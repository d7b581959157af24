using System.CommandLine;
using Interp.Analysis.Residual;
using Interp.IO;

namespace Interp.Cli;

/// <summary><c>interp norms</c>: residual-stream norm per layer with its exponential fit, and the output-weight norms.</summary>
public sealed class NormsCommand : Command
{
    readonly AnalysisInputs inputs = new(Path.Combine("runs", "norms"));
    readonly Option<bool> keepBos = Vocabulary.Flag("--keep-bos", "include position 0 in the mean");

    public NormsCommand() : base("norms", """
        Residual norm per layer with its exponential fit; output-weight norms per head and MLP.

        The residual-norm analysis: the mean L2 norm of the residual stream entering each block and leaving the last
        (layers 0..n), over all sequences and positions (position 0 left out unless --keep-bos), fitted by
        norm = A * G^layer (least squares on log norm; G is the growth factor per layer), and the Frobenius and
        spectral norms of each head's W_V W_O and each MLP's W_out. Writes to --out: norms.svg (log-scale plot),
        norms.csv (per layer) and norms_heads.csv (per head).
        """)
    {
        inputs.AddTo(this);
        Add(keepBos);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string dir = inputs.OutDir(r);
        var model = inputs.LoadModel(r);
        var (tokens, _, description) = inputs.TokensFor(r, model, plainIfShort: true);
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(r.GetValue(inputs.Model)!));
        var norms = ResidualNorms.Measure(model, tokens, excludeBos: !r.GetValue(keepBos), modelName: name);
        Console.WriteLine($"interp norms: {description}");
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
