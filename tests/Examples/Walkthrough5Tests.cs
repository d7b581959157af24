using System.Globalization;
using System.Text.RegularExpressions;
using Interp.Analysis.Patching;
using Interp.Transformers;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Examples;

/// <summary>Walkthrough 5 (attribution vs activation patching) on the small trained induction model.</summary>
[Collection("Console")]
public class Walkthrough5Tests(ITestOutputHelper log)
{
    [Fact]
    public void AttributionPatchingTracksTheActivationPatchingItPrints()
    {
        string dir = ExampleRunner.TempDir("attribution");
        try
        {
            var (exit, output) = ExampleRunner.Run("Interp.Examples.AttributionPatching", TrainedModels.InductionDir, dir, "8", "3");
            Assert.Equal(0, exit);
            log.WriteLine(output);
            var rows = Regex.Matches(output, @"^L(\d)H(\d)\s+(-?[0-9.]+)\s+(-?[0-9.]+)\s*$", RegexOptions.Multiline);
            var model = HookedTransformer.Load(TrainedModels.InductionDir);
            model.Eval();
            Assert.Equal(model.Config.NLayers * model.Config.NHeads, rows.Count);

            // the printed activation-patching column equals an independent run with the same prompts, metric built from the model
            var (clean, corrupted, answers, wrong) = InductionPrompts.Make(model.Config.DVocab, model.Config.NCtx / 2, 8, seed: 3);
            var metric = PatchMetrics.NormalizedLogitDiff(model, clean, corrupted, answers, wrong);
            var expected = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric).ToDoubleArray();
            double[] act = [.. rows.Select(r => Parse(r.Groups[3].Value))], attr = [.. rows.Select(r => Parse(r.Groups[4].Value))];
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.Equal($"L{i / model.Config.NHeads}H{i % model.Config.NHeads}", $"L{rows[i].Groups[1].Value}H{rows[i].Groups[2].Value}");
                Assert.True(Math.Abs(act[i] - expected[i]) < 1e-4, $"head {i}: printed {act[i]}, independent {expected[i]:F6}\n{output}");
            }

            // the printed head correlation is that of the printed columns (4 points: not asserted high)
            var m = Regex.Match(output, @"heads r = (-?[0-9.]+)");
            Assert.True(m.Success, output);
            double r = Parse(m.Groups[1].Value);
            Assert.True(Math.Abs(r - Pearson(act, attr)) < 0.01, $"printed r {r}, from the printed columns {Pearson(act, attr):F4}\n{output}");
            // over many patches attribution tracks activation patching
            var many = Regex.Match(output, @"heads by position r = (-?[0-9.]+) \((\d+) patches\); resid_pre r = (-?[0-9.]+)");
            Assert.True(many.Success, output);
            Assert.Equal(model.Config.NLayers * model.Config.NHeads * clean.Size(1), int.Parse(many.Groups[2].Value));
            Assert.True(Parse(many.Groups[1].Value) > 0.8, output);
            Assert.True(Parse(many.Groups[3].Value) > 0.8, output);
            string svg = File.ReadAllText(Path.Combine(dir, "heads-by-position-attribution-vs-activation.svg"));
            Assert.Contains("<svg", svg);
            Assert.Contains($"r = {many.Groups[1].Value}", svg);
        }
        finally { Directory.Delete(dir, true); }
    }

    static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        double sxy = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum();
        return sxy / Math.Sqrt(x.Sum(a => (a - mx) * (a - mx)) * y.Sum(b => (b - my) * (b - my)));
    }
}
