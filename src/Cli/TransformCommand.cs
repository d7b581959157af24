using System.CommandLine;
using Interp.Analysis.Datasets;
using Interp.Analysis.Plot;

namespace Interp.Cli;

/// <summary><c>interp transform</c>: the model on transformed copies of the images, and the labels that flip.</summary>
public sealed class TransformCommand : Command
{
    readonly ModelInputs inputs = new(imagesOnly: true);
    readonly Option<string[]> transforms = new("--transform")
    {
        Description = "brightness:S, invert, dilate, erode, shift:DX,DY or rotate:DEG (repeat for several; default: a standard set of nine)",
        Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false,
    };
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "transform"), "the report folder");

    public TransformCommand() : base("transform", """
        Runs the model on transformed images and counts the labels that flip, by class and direction.

        Each --transform (brightness:0.5 halves the pixels, dilate and erode thicken and thin the strokes, shift and
        rotate move them) is applied to every image; prints how many labels change, which way (model label on the
        original -> on the copy), and per dataset class. Writes an HTML table.
        """)
    {
        inputs.AddTo(this);
        Add(transforms);
        Add(outDir);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var specs = r.GetValue(transforms) is { Length: > 0 } given ? given : ImageTransform.Standard.ToArray();
        var parsed = specs.Select(ImageTransform.Parse).ToArray();
        string folder = Vocabulary.Folder(r.GetValue(outDir)!);
        var run = inputs.Load(r);
        var results = parsed.Select(t => TransformFlips.Measure(run, t)).ToList();
        foreach (var t in results)
        {
            Console.WriteLine($"{t.Transform}: {t.Changed} of {t.Count} labels change ({TransformFlips.Directions(t.Changes)})");
            foreach (var (c, m) in t.ByClass)
                if (TransformFlips.Directions(m) is var d && d != "none") Console.WriteLine($"    class {c} ({t.ClassCounts[c]}): {d}");
        }
        var report = new HtmlReport("Transformed inputs");
        TransformFlips.AddTo(report, results);
        report.Save(folder);
        Console.WriteLine($"report: {Path.Combine(folder, "index.html")}");
        return 0;
    }
}
