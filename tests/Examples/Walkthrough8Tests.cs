using System.Text.RegularExpressions;
using Xunit;

namespace Interp.Tests.Examples;

/// <summary>Walkthrough 8 (gradient properties): the buggy backward is caught and shrunk, the fixed one passes.</summary>
[Collection("Console")]
public class Walkthrough8Tests
{
    [Fact]
    public void TheWrongBroadcastReductionIsShrunkToTwoSmallInputs()
    {
        var (exit, output) = ExampleRunner.Run("Interp.Examples.GradientProperties");
        Assert.Equal(0, exit);
        Assert.Contains("gradcheck with x [2, 3] and s [3]: passes", output);
        Assert.Contains("fixed backward: passed 100 cases", output);

        // the shrunk inputs: at most 2 dims of size at most 2, and s has the size-1 dim that the reduction missed
        var shrunk = Regex.Matches(output, @"^  input (\d): \[([0-9, ]*)\]", RegexOptions.Multiline).Take(2)
            .Select(m => m.Groups[2].Value.Split(", ", StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).ToArray();
        Assert.Equal(2, shrunk.Length);
        Assert.All(shrunk, shape => Assert.True(shape.Length <= 2 && shape.All(d => d <= 2), output));
        Assert.Contains(1, shrunk[1]);
        Assert.Contains("GradCheck.Assert(xs => op(x0View(xs[0]), x1View(xs[1])), [x0Leaf, x1Leaf]);", output);
    }
}
