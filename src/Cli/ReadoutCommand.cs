using System.CommandLine;
using Interp.Analysis.Datasets;
using Interp.Analysis.Neurons;
using Interp.Analysis.Plot;

namespace Interp.Cli;

/// <summary><c>interp readout</c>: a unit, a PC, a group's contribution or the metric regressed on the input pixels.</summary>
public sealed class ReadoutCommand : Command
{
    readonly ModelInputs inputs = new(imagesOnly: true);
    readonly Option<string> hook = Vocabulary.Text("--hook", "the layer whose unit, PC or group is read out (default: the CNN's hook_relu3, an MLP's last hook_relu)");
    readonly Option<string> target = Vocabulary.Text("--target", "logits (the --logits metric), unit:N, pc:N (from 1) or group:A,B,C (summed direct contribution)", "logits");
    readonly Option<double> lambda = Vocabulary.Double("--lambda", 1e-3, "ridge penalty (per image)", positive: true);
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "readout"), "the report folder (weight map PNG and weights file)");

    public ReadoutCommand() : base("readout", """
        Regresses a unit, a PC, a group's contribution or the logit difference on the input pixels.

        Fits target = b + sum_p w[p] * pixel[p] by ridge regression and prints R^2 on the images it was fitted on and
        on held-out ones; writes the weight map as an image (red raises the target, blue lowers it) and the weights as
        a text file that rules and features read as file:PATH, e.g. interp features --feature "dot(img, file:W)".
        """)
    {
        inputs.AddTo(this);
        foreach (var option in new Option[] { hook, target, lambda, outDir }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string folder = Vocabulary.Folder(r.GetValue(outDir)!);
        var run = inputs.Load(r);
        var (plus, minus) = inputs.Metric(r, run);
        var (name, y) = ReadoutTarget.Resolve(run, ModelInputs.HookOr(r.GetValue(hook), run), r.GetValue(target)!, plus, minus);
        var fit = PixelReadout.Fit(run.Data, y, r.GetValue(lambda));
        var report = new HtmlReport($"Pixel readout of {name}");
        string weights = PixelReadoutReport.Add(report, name, fit, folder);
        report.Save(folder);
        Console.WriteLine($"readout of {name} from the pixels of {run.Count} images: R² {fit.TrainR2:F4} fitted, {fit.HeldOutR2:F4} held out");
        Console.WriteLine($"weight map: {Path.Combine(folder, "readout.png")}");
        Console.WriteLine($"weights:    {Path.Combine(folder, weights)}  (in rules: dot(img, file:{Path.Combine(folder, weights)}))");
        Console.WriteLine($"report: {Path.Combine(folder, "index.html")}");
        return 0;
    }
}
