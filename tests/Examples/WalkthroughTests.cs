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
    public void InductionHeadsAreFoundInLayerOneWithAPreviousTokenHeadInLayerZero()
    {
        string dir = ExampleRunner.TempDir("induction");
        try
        {
            var (exit, output) = ExampleRunner.Run("Interp.Examples.InductionHeads", TrainedModels.InductionDir, dir);
            Assert.Equal(0, exit);
            var m = Regex.Match(output, @"induction head: L(\d)H\d \(([0-9.]+)\); previous-token head: L(\d)H\d \(([0-9.]+)\)");
            Assert.True(m.Success, output);
            Assert.Equal("1", m.Groups[1].Value);
            Assert.True(double.Parse(m.Groups[2].Value) > 0.3, output);   // uniform attention over ~12 keys would give < 0.1
            Assert.Equal("0", m.Groups[3].Value);
            var png = Png.Decode(File.ReadAllBytes(Path.Combine(dir, "induction-pattern.png")));
            Assert.Equal(17 * 8, png.Width);
        }
        finally { Directory.Delete(dir, true); }
    }
}
