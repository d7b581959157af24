using System.Globalization;
using System.Text.RegularExpressions;
using Interp.Analysis.Cases;
using Interp.Analysis.Plot;
using Xunit;

namespace Interp.Tests.Examples;

/// <summary>Walkthrough 3 (feature visualization) on the real EIS VII CNN at a small size.</summary>
[Collection("Console")]
public class Walkthrough3Tests
{
    [Fact]
    public void EveryConv2ChannelsObjectiveRisesAndTheGridIsWritten()
    {
        Assert.True(Eis7Cnn.DefaultModelPath is string p && File.Exists(p), "../shared/data/eis7/mnist_model.pt not found (set INTERP_SHARED_DATA)");
        string dir = ExampleRunner.TempDir("featviz");
        try
        {
            const int channels = 4;
            var (exit, output) = ExampleRunner.Run("Interp.Examples.FeatureVisualization", Eis7Cnn.DefaultModelPath!, dir, "24", channels.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(0, exit);
            var rows = Regex.Matches(output, @"^conv2\s+(\d+)\s+(-?[0-9.]+)\s+(-?[0-9.]+)\s*$", RegexOptions.Multiline);
            Assert.Equal(Enumerable.Range(0, channels), rows.Select(r => int.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture)));
            foreach (Match r in rows)
                Assert.True(double.Parse(r.Groups[3].Value, CultureInfo.InvariantCulture) > double.Parse(r.Groups[2].Value, CultureInfo.InvariantCulture), $"channel did not rise: {r.Value}\n{output}");
            // the total is the sum of the channels' values (both on the plain images)
            var total = Regex.Match(output, @"total objective (-?[0-9.]+) -> (-?[0-9.]+)");
            Assert.True(total.Success, output);
            double sumAfter = rows.Sum(r => double.Parse(r.Groups[3].Value, CultureInfo.InvariantCulture));
            Assert.Equal(double.Parse(total.Groups[2].Value, CultureInfo.InvariantCulture), sumAfter, 0.01);
            // 4 images of 28x28 in one row, each pixel 4x, 2-pixel gaps around them
            var svg = System.Xml.Linq.XElement.Load(Path.Combine(dir, "conv2-channels.svg"));
            Assert.Contains(svg.Descendants(), e => e.Name.LocalName == "text" && e.Value == "pixel value");   // the legend
            string href = svg.Descendants().Single(e => e.Name.LocalName == "image").Attribute("href")!.Value;
            var png = Png.Decode(Convert.FromBase64String(href["data:image/png;base64,".Length..]));
            Assert.Equal((2 + channels * (28 * 4 + 2), 2 + 28 * 4 + 2), (png.Width, png.Height));
        }
        finally { Directory.Delete(dir, true); }
    }
}
