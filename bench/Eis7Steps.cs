using System.Globalization;
using System.Text.Json;
using Interp.Analysis.Cases;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench eis7-steps INIT.safetensors [steps] [seed]`: Interp's half of the step-by-step comparison with
/// bench/peers/eis7_grokking.py. Trains the challenge-2 transformer (the challenge's sizes, recipe and split) from the
/// initial weights PyTorch drew (the peer's --save-init) and prints, as JSON, the train loss before each step and after
/// the last, the numbers the peer's --losses prints.
/// </summary>
public static class Eis7Steps
{
    public static void Run(string[] args)
    {
        if (args.Length < 1) throw new ArgumentException("usage: Interp.Bench eis7-steps INIT.safetensors [steps]");
        int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        var labels = Eis7Labels.Load(Eis7Labels.DefaultPath ?? throw new FileNotFoundException("no shared data folder (../shared/data)"));
        var losses = new List<double>();
        var run = Eis7Transformer.Train(labels, new Eis7TransformerOptions(Steps: steps, EvalEvery: steps, InitFrom: args[0]), r => losses.Add(r.Loss));
        losses.Add(run.Final.TrainLoss);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            init = args[0], steps, train_losses = losses.Select(l => l.ToString("R", CultureInfo.InvariantCulture)),
            train_acc = run.Final.TrainAccuracy, test_acc = run.Final.TestAccuracy,
        }));
    }
}
