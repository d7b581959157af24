using System.CommandLine;
using System.Globalization;
using Interp.Analysis.Datasets;
using Interp.Analysis.Plot;
using Interp.Analysis.Rules;

namespace Interp.Cli;

/// <summary><c>interp features</c>: scalar image features in deciles against the model's label, with band search.</summary>
public sealed class FeaturesCommand : Command
{
    readonly ModelInputs inputs = new(imagesOnly: true);
    readonly Option<string[]> features = new("--feature")
    {
        Description = "a feature expression, as in interp rule (repeat for several; default: ink, the bounding box and the centre of mass)",
        Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false,
    };
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "features"), "the report folder");

    public FeaturesCommand() : base("features", """
        Image features in deciles against the model's label, with the best threshold and band.

        For each --feature (any numeric expression of interp rule, e.g. ink, width, "l2(img, mean:3)",
        "dot(img, file:map.txt)"): the share of each decile the model gives --label, the best single threshold and the
        best two-threshold band (inside or outside) with the agreement each reaches, written as rules that interp rule
        runs as they are. Best bands first. Writes an HTML report.
        """)
    {
        inputs.AddTo(this);
        Add(features);
        Add(outDir);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var expressions = r.GetValue(features) is { Length: > 0 } given ? given : Rule.BasicFeatures.ToArray();
        foreach (var e in expressions)
            try { RuleParser.ParseNumber(e); }
            catch (RuleSyntaxError error) { Console.Error.WriteLine("  " + error.Pointer.Replace("\n", "\n  ")); throw new CliError($"--feature: {error.Message}"); }
        string folder = Vocabulary.Folder(r.GetValue(outDir)!);
        var run = inputs.Load(r);
        int label = r.GetValue(inputs.Label);
        FeatureStudy study;
        try { study = FeatureStudy.Run(Rule.Features(expressions, new RuleData(run.Data)), run.Labels, label); }
        catch (RuleSyntaxError error) { Console.Error.WriteLine("  " + error.Pointer.Replace("\n", "\n  ")); throw new CliError($"--feature: {error.Message}"); }
        Console.WriteLine($"{run.Count} images, {100 * study.BaseRate:F1} % labelled {label} by the model; share labelled {label} in each decile:");
        foreach (var f in study.Features)
        {
            var filled = f.Bins.Where(b => b.Count > 0).ToArray();   // equal values share a bin, so some bins are empty ("-")
            Console.WriteLine($"  {f.Name}: {string.Join(" ", f.Bins.Select(b => (b.Count == 0 ? "-" : (100 * b.Fraction).ToString("F0", CultureInfo.InvariantCulture)).PadLeft(3)))}  " +
                $"(deciles {G(filled[0].Low)} .. {G(filled[^1].High)})");
            Console.WriteLine($"      threshold: {f.Threshold.Rule(f.Name)}  -> {100 * f.Threshold.Agreement:F2} %");
            Console.WriteLine($"      band:      {f.Band.Rule(f.Name)}  -> {100 * f.Band.Agreement:F2} %");
        }
        var report = new HtmlReport("Image features against the model's label");
        study.AddTo(report, folder);
        report.Save(folder);
        Console.WriteLine($"report: {Path.Combine(folder, "index.html")}");
        return 0;
    }

    static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
