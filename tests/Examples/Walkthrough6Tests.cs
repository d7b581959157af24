using System.Globalization;
using System.Text.RegularExpressions;
using Interp.Analysis.Sae;
using Interp.Data.Tasks;
using Interp.Transformers;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Examples;

/// <summary>Walkthrough 6 (a sparse autoencoder on blocks.0.hook_resid_post) on the small trained induction model, briefly trained.</summary>
[Collection("Console")]
public class Walkthrough6Tests(ITestOutputHelper log)
{
    [Fact]
    public void SaeMetricsAndTopFeaturesAgreeWithTheSavedSae()
    {
        string dir = ExampleRunner.TempDir("sae");
        try
        {
            var (exit, output) = ExampleRunner.Run("Interp.Examples.SparseAutoencoder", TrainedModels.InductionDir, dir, "150", "512", "5");
            Assert.Equal(0, exit);
            log.WriteLine(output);
            var m = Regex.Match(output, @"L0 ([0-9.]+)  explained variance (-?[0-9.]+)");
            Assert.True(m.Success, output);
            double l0 = Parse(m.Groups[1].Value), ev = Parse(m.Groups[2].Value);
            Assert.True(l0 > 0, output);
            Assert.True(ev > 0, output);
            Assert.Matches(@"CE loss: clean [0-9.]+, SAE spliced [0-9.]+, zero-ablated [0-9.]+; recovered -?[0-9.]+", output);

            // recompute the metrics from the saved SAE on the held-out sequences the program documents (seed + 1)
            var model = HookedTransformer.Load(TrainedModels.InductionDir);
            var sae = SparseAutoencoder.Load(dir);
            Assert.Equal("blocks.0.hook_resid_post", sae.Config.HookName);
            var held = new RepeatedTokens(model.Config.DVocab, (model.Config.NCtx - 1) / 2, bos: 0, seed: 6);
            var batches = Enumerable.Range(0, 16).Select(_ => ActivationStore.Rows(model, sae.Config.HookName, held.Batch(32), 1)).ToList();
            var metrics = SaeMetrics.Compute(sae, batches);
            Assert.True(Math.Abs(l0 - metrics.L0) < 1e-3, $"printed L0 {l0}, recomputed {metrics.L0:F6}\n{output}");
            Assert.True(Math.Abs(ev - metrics.ExplainedVariance) < 1e-3, $"printed EV {ev}, recomputed {metrics.ExplainedVariance:F6}\n{output}");

            // five features, the most frequent ones, each with its density and at least one context line below it
            var features = Regex.Matches(output, @"^feature (\d+): density ([0-9.]+).*\n(    .*\[\d+\]\n)+", RegexOptions.Multiline);
            Assert.Equal(5, features.Count);
            double fifth = metrics.FeatureDensity.OrderDescending().ElementAt(4);
            foreach (Match f in features)
            {
                int j = int.Parse(f.Groups[1].Value);
                Assert.True(Math.Abs(Parse(f.Groups[2].Value) - metrics.FeatureDensity[j]) < 1e-4, f.Value);
                Assert.True(metrics.FeatureDensity[j] >= fifth - 1e-4, $"feature {j} is not among the 5 most frequent\n{output}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
