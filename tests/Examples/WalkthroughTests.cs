using System.Text.RegularExpressions;
using Interp.Analysis.Plot;
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
            var m = Regex.Match(output, @"induction head: L(\d)H(\d) \(([0-9.]+) at L = 8, ([0-9.]+) at L = 5\)");
            Assert.True(m.Success, output);
            // the stripe is far above uniform attention (about 1/12 over the keys of the second copy)
            Assert.True(double.Parse(m.Groups[3].Value) > 0.2, output);
            // the ranked table agrees with the verdict line
            var row = Regex.Match(output, $@"L{m.Groups[1].Value}H{m.Groups[2].Value}\s+([0-9.]+)\s+([0-9.]+)");
            Assert.Equal(m.Groups[3].Value, row.Groups[1].Value);
            Assert.Equal(m.Groups[4].Value, row.Groups[2].Value);
            // [17 query, 17 key] positions, each cell's weight on hover
            var svg = System.Xml.Linq.XElement.Load(Path.Combine(dir, "induction-pattern.svg"));
            var titles = svg.Descendants().Where(e => e.Name.LocalName == "title").Select(t => t.Value).ToList();
            Assert.Equal(17 * 17, titles.Count);
            Assert.Contains(titles, t => t.StartsWith("query position 16, key position 9: "));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void EveryWalkthroughKeepsThePromiseOfAtMostFiftyLines()
    {
        string examples = Path.Combine(Interp.Data.DataPaths.FindRepoRoot()!, "examples");
        var programs = Directory.GetFiles(examples, "Program.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")).ToList();
        Assert.NotEmpty(programs);
        foreach (var program in programs)
            Assert.True(File.ReadAllLines(program).Length <= 50, $"{program}: {File.ReadAllLines(program).Length} lines");
    }
}
