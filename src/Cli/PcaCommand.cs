using System.CommandLine;
using Interp.Analysis.Neurons;
using Interp.Analysis.Plot;

namespace Interp.Cli;

/// <summary><c>interp pca</c>: principal components of a hook's activations, and the PC1/PC2 scatter by label.</summary>
public sealed class PcaCommand : Command
{
    readonly ModelInputs inputs = new();
    readonly Option<string> hook = Vocabulary.Text("--hook", "the layer (a dense layer's features, a conv layer's channel maxima, a transformer hook " +
        "at the position, e.g. blocks.0.hook_resid_post); default as for neurons");
    readonly Option<int> components = Vocabulary.Int("--components", 10, "principal components", min: 1);
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "pca"), "the report folder");

    public PcaCommand() : base("pca", """
        Principal components of a hook's activations over the inputs.

        Prints the variance each component explains and writes a report with the PC1/PC2 scatter, each input coloured
        by the model's label (a transformer's: its arg-max token at the position; the 10 most frequent labels get
        colours). For an image model, read a component back in pixel space with interp readout --target pc:N.
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
        var pca = HookPca.Run(run, ModelInputs.HookOr(r.GetValue(hook), run), r.GetValue(components));
        Console.WriteLine($"PCA of {pca.Hook} over {run.Count} {run.InputName}:");
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
