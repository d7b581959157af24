using Interp.Analysis.Cases;
using Interp.Data;

namespace Interp.Cli;

/// <summary><c>interp case eis7-cnn</c>: the challenge-1 CNN on real digits, with the report of <see cref="Eis7CnnReport"/>.</summary>
public static class Eis7CnnCase
{
    public const string Usage = """
        usage: interp case eis7-cnn [--model FILE] [--stride N] [--examples K] [--out DIR]

        Runs the EIS VII challenge-1 CNN (a PyTorch state dict) on the 10,000 real MNIST digits of ../shared/data/mnist
        and writes a report: the fraction of each digit class it labels 1, the agreement of example labelling rules
        with it, the top and most confusing digits of every conv channel and of both logits, and saliency maps
        (input x gradient). Test your own rule from C#: Eis7Cnn.Load().TestRule(img => ...).
          --model FILE   the state dict (default ../shared/data/eis7/mnist_model.pt)
          --stride N     use every N-th digit only (default 1: all 10,000)
          --examples K   digits per unit in the example grids (default 8)
          --out DIR      the report folder (default report/eis7-cnn)
        """;

    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("interp case eis7-cnn", args, ["--model", "--stride", "--examples", "--out"]).NoPositionals();
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        string model = a.Get("--model") ?? Eis7Cnn.DefaultModelPath
            ?? throw new CliError("interp case eis7-cnn: no shared data folder found; name the model with --model FILE");
        if (!File.Exists(model)) throw new CliError($"interp case eis7-cnn: model file not found: '{model}'");
        if (!Mnist.IsAvailable) throw new CliError("interp case eis7-cnn: the MNIST digits of ../shared/data/mnist were not found (or set $INTERP_SHARED_DATA)");
        int stride = a.GetInt("--stride", 1, min: 1), examples = a.GetInt("--examples", 8, min: 1);
        string outDir = a.Get("--out", Path.Combine("report", "eis7-cnn"));
        var digits = Mnist.Load10k();
        var cnn = Eis7Cnn.Load(model, stride > 1 ? Eis7Cnn.EveryNth(digits, stride) : digits);
        Console.WriteLine($"digits: {cnn.Digits.Count}, labelled 1 by the model: {100 * cnn.FractionOnes:F2} %");
        foreach (var c in cnn.ClassFractions()) Console.WriteLine($"  class {c.Digit}: {c.LabelledOne}/{c.Count} labelled 1 ({100 * c.Fraction:F1} %)");
        foreach (var r in Eis7CnnRules.Examples) Console.WriteLine($"rule '{r.Name}': {cnn.TestRule(r.Rule).AgreementPercent:F2} % agreement");
        Eis7CnnReport.Build(cnn, outDir, examples, command: "interp case eis7-cnn " + string.Join(' ', args));
        Console.WriteLine($"report: {Path.Combine(outDir, "index.html")}");
        return 0;
    }
}
