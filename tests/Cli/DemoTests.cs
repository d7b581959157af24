using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Cli;

/// <summary>The main job at a small size: it trains, analyses, prints five summary lines and writes a report a browser shows.</summary>
[Collection("Console")]
public class DemoTests(ITestOutputHelper output)
{
    [Fact]
    public void TheDemoWritesAReportWhoseImagesAllLoad()
    {
        string dir = Path.Combine(Path.GetTempPath(), "interp-demo-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exit, stdout, stderr) = ConsoleCapture.Run(() =>
                CommandLine.Execute(["demo", "--size", "small", "--steps", "300", "--sae-steps", "40", "--out", dir, "--quiet"]));
            Assert.True(exit == 0, stderr);
            var lines = stdout.Trim().Split('\n');
            Assert.Equal(5, lines.Length);
            Assert.StartsWith("report: ", lines[0]);
            // the small model learns the repeat: repeated-half loss far below the random half's
            var loss = Regex.Match(lines[1], @"held-out loss ([0-9.]+) \(random half\) vs ([0-9.]+) \(repeated half\)");
            Assert.True(loss.Success, lines[1]);
            Assert.True(double.Parse(loss.Groups[2].Value) < 0.5 * double.Parse(loss.Groups[1].Value), lines[1]);
            var r = Regex.Match(lines[3], @"r = (-?[0-9.]+) \(heads\)");
            Assert.True(r.Success && double.Parse(r.Groups[1].Value) > 0.5, lines[3]);

            string html = File.ReadAllText(Path.Combine(dir, "index.html"));
            var images = Regex.Matches(html, "<img src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
            Assert.True(images.Count >= 7, html);
            Assert.All(images, img => Assert.True(File.Exists(Path.Combine(dir, img)), $"{img} is missing"));
            Assert.True(File.Exists(Path.Combine(dir, "model", "model.safetensors")));
            Assert.True(File.Exists(Path.Combine(dir, "sae", "sae_weights.safetensors")));

            if (HeadlessChromium.Path is null) { output.WriteLine("browser check skipped: " + HeadlessChromium.SkipReason); return; }
            var (count, loaded) = HeadlessChromium.CountLoadedImages(dir);
            Assert.Equal(images.Count, count);
            Assert.Equal(count, loaded);
            Assert.True(HeadlessChromium.HasContent(HeadlessChromium.Screenshot(dir)), "the report's screenshot is blank");
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
