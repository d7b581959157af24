using System.CommandLine;
using Interp.Analysis.Neurons;
using Interp.Analysis.Plot;

namespace Interp.Cli;

/// <summary><c>interp pca</c>: principal components of a hook's activations, and the PC1/PC2 scatter by label.</summary>
public sealed class PcaCommand : Command
{
    readonly ImageModelInputs inputs = new();
    readonly Option<string> hook = Vocabulary.Text("--hook", "the layer (a dense layer's features, or a conv layer's channel maxima)", "hook_relu3");
    readonly Option<int> components = Vocabulary.Int("--components", 10, "principal components", min: 1);
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "pca"), "the report folder");

    public PcaCommand() : base("pca", """
        Principal components of a hook's activations over the images.

        Prints the variance each component explains and writes a report with the PC1/PC2 scatter, each image coloured
        by the model's label. Read a component back in pixel space with interp readout --target pc:N.
        """)
    {
        inputs.AddTo(this);
        foreach (var option in new Option[] { hook, components, outDir }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string folder = Vocabulary.Folder(r.GetValue(outDir)!);
        var run = inputs.Load(r);
        var pca = HookPca.Run(run, r.GetValue(hook)!, r.GetValue(components));
        Console.WriteLine($"PCA of {pca.Hook} over {run.Count} images:");
        double cumulative = 0;
        for (int c = 0; c < pca.Pca.ExplainedRatio.Length; c++)
        {
            cumulative += pca.Pca.ExplainedRatio[c];
            Console.WriteLine($"  PC{c + 1,-3} {100 * pca.Pca.ExplainedRatio[c],6:F2} % of the variance   (cumulative {100 * cumulative:F2} %)");
        }
        var report = new HtmlReport($"PCA of {pca.Hook}");
        pca.AddTo(report, folder);
        report.Save(folder);
        Console.WriteLine($"report: {Path.Combine(folder, "index.html")}");
        return 0;
    }
}
