using System.Text.RegularExpressions;
using Interp.Plots;
using Xunit;

namespace Interp.Tests.Examples;

/// <summary>Every walkthrough in examples/ run at a small size, with its printed result checked.</summary>
[Collection("Console")]
public class WalkthroughTests
{
    [Fact]
    public void ForwardPassFromRawWeightsReproducesTheModelsLogits()
    {
        var (exit, output) = ExampleRunner.Run("Interp.Examples.ForwardPass", TrainedModels.InductionDir);
        Assert.Equal(0, exit);
        var m = Regex.Match(output, @"max \|difference\| from model\.Forward: ([0-9.E+-]+)");
        Assert.True(m.Success, output);
        Assert.True(double.Parse(m.Groups[1].Value) < 1e-4, output);
    }

    [Fact]
    public void InductionStripesAreFoundAndTestedForWhatTheyKeyOn()
    {
        string dir = ExampleRunner.TempDir("induction");
        try
        {
            var (exit, output) = ExampleRunner.Run("Interp.Examples.InductionHeads", TrainedModels.InductionDir, dir);
            Assert.Equal(0, exit);
            var m = Regex.Match(output, @"induction head: L(\d)H(\d) \(([0-9.]+), (token-based|positional)\)");
            Assert.True(m.Success, output);
            // the small test model is trained on repeats after exactly L = 8 tokens: its stripe is far above uniform
            // attention (about 1/12 over the keys), and it is a positional shortcut, gone at another repeat length
            Assert.True(double.Parse(m.Groups[3].Value) > 0.2, output);
            Assert.Equal("positional", m.Groups[4].Value);
            var row = Regex.Match(output, $@"L{m.Groups[1].Value}H{m.Groups[2].Value}\s+([0-9.]+)\s+([0-9.]+)");
            Assert.True(double.Parse(row.Groups[2].Value) < 0.5 * double.Parse(row.Groups[1].Value), output);
            var png = Png.Decode(File.ReadAllBytes(Path.Combine(dir, "induction-pattern.png")));
            Assert.Equal(17 * 8, png.Width);
        }
        finally { Directory.Delete(dir, true); }
    }
}
