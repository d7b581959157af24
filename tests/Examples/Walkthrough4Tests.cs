using System.Globalization;
using System.Text.RegularExpressions;
using Interp.Analysis.Plot;
using Xunit;

namespace Interp.Tests.Examples;

/// <summary>Walkthrough 4 (docstring activation patching) trained and patched at a small size.</summary>
[Collection("Console")]
public class Walkthrough4Tests
{
    [Fact]
    public void DocstringModelLearnsTheTaskAndBothPatchingTablesHaveTheModelsShape()
    {
        string dir = ExampleRunner.TempDir("docstring");
        try
        {
            var (exit, output) = ExampleRunner.Run("Interp.Examples.DocstringPatching", "50", "2", dir);
            Assert.Equal(0, exit);
            var acc = Regex.Match(output, @"accuracy on the next param name: ([0-9.]+)");
            Assert.True(acc.Success, output);
            // well above picking one of the def's three names at random (and far above 1/40)
            Assert.True(double.Parse(acc.Groups[1].Value, CultureInfo.InvariantCulture) > 0.6, output);
            foreach (var (direction, all) in new[] { ("denoising", 1.0), ("noising", 0.0) })
            {
                // patching the whole residual stream replays the source run: exactly clean (1) or corrupted (0)
                var m = Regex.Match(output, "(?m)^" + direction + @": patching resid_pre at layer 0 everywhere: (-?[0-9.]+); per head \[layer, head\]:\n((?:  L\d .*\n)+)");
                Assert.True(m.Success, output);
                Assert.Equal(all, double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 3);
                var rows = m.Groups[2].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(2, rows.Length);
                foreach (var row in rows)
                {
                    var values = row.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
                        .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    Assert.Equal(4, values.Length);
                    Assert.All(values, x => Assert.True(double.IsFinite(x) && Math.Abs(x) < 10, row));
                }
                string svg = File.ReadAllText(Path.Combine(dir, $"{direction}_heads.svg"));
                Assert.Contains($">{direction} per head</text>", svg);
                Assert.Contains("<title>L1H3: ", svg);
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
