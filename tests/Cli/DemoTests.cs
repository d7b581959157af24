using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Cli;

/// <summary>The main job at a small size: it trains, analyses, prints five summary lines and writes a report a browser shows, every figure drawn and its values under the mouse.</summary>
[Collection("Console")]
public class DemoTests(ITestOutputHelper output)
{
    [Fact]
    public void TheDemoWritesAReportWhoseFiguresAllShowAndHover()
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
            Assert.All(images, img => Assert.True(File.Exists(Path.Combine(dir, img)), $"{img} is missing"));
            foreach (string svg in new[] { "head_scores.svg", "patch_resid_pre.svg", "patch_heads.svg", "attrib_heads.svg", "attrib_vs_patch.svg", "resid_norms.svg" })
                Assert.True(File.Exists(Path.Combine(dir, svg)), $"{svg} is missing");
            Assert.True(File.Exists(Path.Combine(dir, "model", "model.safetensors")));
            Assert.True(File.Exists(Path.Combine(dir, "sae", "sae_weights.safetensors")));

            if (HeadlessChromium.Path is null) { output.WriteLine("browser check skipped: " + HeadlessChromium.SkipReason); return; }
            using var page = DevToolsPage.Open(Path.Combine(dir, "index.html"));
            var check = HeadlessChromium.CheckFigures(page);
            Assert.True(check.Figures >= 10, $"{check.Figures} figures");
            Assert.Empty(check.Blank);
            Assert.Empty(check.BrokenImages);
            Assert.Empty(check.Errors);
            Assert.Equal(1, page.Evaluate("document.querySelectorAll('.attention-view').length")!.GetValue<int>());
            Assert.Equal(3, page.Evaluate("document.querySelectorAll('.token-view').length")!.GetValue<int>());

            // the head that restores most (printed in the summary) shows its value under the mouse in the patching figure
            var best = Regex.Match(lines[3], @"patching: (L\dH\d) restores ([0-9.]+)");
            Assert.True(best.Success, lines[3]);
            string cell = $"[...document.querySelectorAll('svg.heatmap')].find(s => s.querySelector('.title').textContent === 'activation patching per head')" +
                          $".querySelector('.cells').children[{int.Parse(best.Groups[1].Value[1..2]) * 2 + int.Parse(best.Groups[1].Value[3..4])}]";
            string? tip = HeadlessChromium.Hover(page, cell);
            Assert.NotNull(tip);
            Assert.StartsWith(best.Groups[1].Value + ": ", tip);
            Assert.InRange(Math.Abs(double.Parse(best.Groups[2].Value) - double.Parse(tip[(best.Groups[1].Value.Length + 2)..])), 0, 6e-4);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
