using System.CommandLine;
using Interp.Analysis.Cases;
using Interp.Data;

namespace Interp.Cli;

/// <summary><c>interp case eis7-cnn</c>: the challenge-1 CNN on real digits, with the report of <see cref="Eis7CnnReport"/>.</summary>
public sealed class Eis7CnnCaseCommand : Command
{
    readonly Option<string> model = Vocabulary.Model("the state dict (default ../shared/data/eis7/mnist_model.pt)");
    readonly Option<int> stride = Vocabulary.Int("--stride", 1, "use every N-th digit only (1: all 10,000)", min: 1);
    readonly Option<int> examples = Vocabulary.Int("--examples", 8, "digits per unit in the example grids", min: 1);
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "eis7-cnn"), "the report folder");

    public Eis7CnnCaseCommand() : base("eis7-cnn", """
        The EIS VII challenge-1 MNIST CNN on real digits.

        Runs the EIS VII challenge-1 CNN (a PyTorch state dict) on the 10,000 real MNIST digits of ../shared/data/mnist
        and writes a report: the fraction of each digit class it labels 1, the agreement of example labelling rules
        with it, the top and most confusing digits of every conv channel (dead ones marked) and of both logits, a
        section on fc1 (census, direct attribution, co-activation groups, ablation, PCA, pixel readouts, image
        features in deciles with band search), and saliency maps (input x gradient over the digit). Test your own
        rule with interp rule --model MODEL "EXPR", or from C#: Eis7Cnn.Load().TestRule(img => ...).
        """)
    {
        foreach (var option in new Option[] { model, stride, examples, outDir }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string model = r.GetValue(this.model) ?? Eis7Cnn.DefaultModelPath
            ?? throw new CliError("no shared data folder found; name the model with --model FILE");
        if (Directory.Exists(model)) throw new CliError($"--model '{model}' is a folder; this case reads the challenge's PyTorch state dict (a .pt file such as ../shared/data/eis7/mnist_model.pt)");
        if (!File.Exists(model)) throw new CliError($"model file not found: '{model}'");
        if (!Mnist.IsAvailable) throw new CliError("the MNIST digits of ../shared/data/mnist were not found (or set $INTERP_SHARED_DATA)");
        int stride = r.GetValue(this.stride), examples = r.GetValue(this.examples);
        string outDir = Vocabulary.Folder(r.GetValue(this.outDir)!);
        var digits = Mnist.Load10k();
        var cnn = Eis7Cnn.Load(digits: stride > 1 ? Eis7Cnn.EveryNth(digits, stride) : digits, modelPath: model);
        Console.WriteLine($"digits: {cnn.Digits.Count}, labelled 1 by the model: {100 * cnn.FractionOnes:F2} %");
        foreach (var c in cnn.ClassFractions()) Console.WriteLine($"  class {c.Digit}: {c.LabelledOne}/{c.Count} labelled 1 ({100 * c.Fraction:F1} %)");
        foreach (var rule in Eis7CnnRules.Examples) Console.WriteLine($"rule '{rule.Name}': {cnn.TestRule(rule.Rule).AgreementPercent:F2} % agreement");
        Eis7CnnReport.Build(cnn, outDir, examples, command: "interp case eis7-cnn " + string.Join(' ', r.Tokens.Skip(2).Select(t => t.Value)));
        Console.WriteLine($"report: {Path.Combine(outDir, "index.html")}");
        return 0;
    }
}
