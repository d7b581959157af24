using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Interp.Data.Tasks;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Examples;

/// <summary>Walkthrough 7 (residual-stream norms) on the shared induction model.</summary>
[Collection("Console")]
public class Walkthrough7Tests
{
    static double Num(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    [Fact]
    public void PrintedNormsMatchAnIndependentComputationAndTheFitReproducesThem()
    {
        string dir = ExampleRunner.TempDir("resid-norms");
        try
        {
            const int batch = 8;
            var (exit, output) = ExampleRunner.Run("Interp.Examples.ResidualNorms", TrainedModels.InductionDir, dir, batch.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(0, exit);
            var rows = Regex.Matches(output, @"^\s*(\d+)\s+blocks\.\d+\.hook_resid_\w+\s+([0-9.]+)\s+([0-9.]+)\s*$", RegexOptions.Multiline);
            var printed = rows.Select(r => Num(r.Groups[2].Value)).ToArray();

            // independently: the same tokens, the cached streams, the mean over batch and positions >= 1 of the L2 norm
            var model = HookedTransformer.Load(TrainedModels.InductionDir);
            int n = model.Config.NLayers;
            var tokens = new RepeatedTokens(model.Config.DVocab, (model.Config.NCtx - 1) / 2, bos: 0, seed: 7).Batch(batch);
            var (_, cache) = model.RunWithCache(tokens);
            var expected = Enumerable.Range(0, n).Select(l => MeanNormWithoutBos(cache.ResidPre(l)))
                .Append(MeanNormWithoutBos(cache.ResidPost(n - 1))).ToArray();
            Assert.Equal(n + 1, printed.Length);
            for (int l = 0; l <= n; l++) Assert.Equal(expected[l], printed[l], 1e-4 * expected[l]);

            // the printed fit A·G^layer gives the printed fit column, and its R² on ln(norm) is the printed R²
            var fit = Regex.Match(output, @"fit: A = ([0-9.E+-]+), G = ([0-9.E+-]+), R² = ([0-9.-]+)");
            Assert.True(fit.Success, output);
            double a = Num(fit.Groups[1].Value), g = Num(fit.Groups[2].Value), r2 = Num(fit.Groups[3].Value);
            for (int l = 0; l <= n; l++) Assert.Equal(a * Math.Pow(g, l), Num(rows[l].Groups[3].Value), 1e-5 * a * Math.Pow(g, l) + 1e-6);
            var logs = printed.Select(v => Math.Log(v)).ToArray();
            double ssRes = Enumerable.Range(0, n + 1).Sum(l => Math.Pow(logs[l] - Math.Log(a * Math.Pow(g, l)), 2));
            double ssTot = logs.Sum(v => Math.Pow(v - logs.Average(), 2));
            Assert.Equal(ssTot == 0 ? 1 : 1 - ssRes / ssTot, r2, 1e-4);
            Assert.InRange(r2, double.NegativeInfinity, 1);

            var svg = XDocument.Load(Path.Combine(dir, "residual-norms.svg"));
            Assert.Equal("svg", svg.Root!.Name.LocalName);
        }
        finally { Directory.Delete(dir, true); }
    }

    static double MeanNormWithoutBos(Tensor resid)
    {
        int b = resid.Size(0), p = resid.Size(1), d = resid.Size(2);
        var v = resid.ToDoubleArray();
        double total = 0;
        for (int i = 0; i < b; i++)
            for (int j = 1; j < p; j++)
                total += Math.Sqrt(Enumerable.Range(0, d).Sum(k => v[(i * p + j) * d + k] * v[(i * p + j) * d + k]));
        return total / (b * (p - 1));
    }
}
