using Interp.Analysis.Plot;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Analysis.Plot;

/// <summary>
/// A report with every kind of figure, opened in headless Chromium through the DevTools protocol: each figure shows
/// (its own screenshot is not blank), no image is broken, the console stays clean, and the real mouse over a known
/// cell, token or attention weight shows its value.
/// </summary>
public class ReportHoverTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryFigureShowsAndTheMouseReadsExactValues()
    {
        if (HeadlessChromium.Path is null) { output.WriteLine("skipped: " + HeadlessChromium.SkipReason); return; }
        string dir = Path.Combine(Path.GetTempPath(), "interp-hover-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(dir);
            var small = Tensor.FromArray(new double[] { -2, 0, 1, 0.5, 1.5, 0.25 }, [2, 3]);
            var large = Tensor.FromArray(Enumerable.Range(0, 150 * 120).Select(i => (double)i).ToArray(), [150, 120]);
            var pattern = Tensor.FromArray(new double[] { 1, 0, 0, 0.25, 0.75, 0, 0.5, 0.125, 0.375 }, [1, 3, 3]);
            Heatmap.Save(Path.Combine(dir, "raw.png"), small, new HeatmapOptions(CellSize: 20));
            new HtmlReport("hover test")
                .Figure(new HeatmapFigure("small", small) { Rows = Axis.Layers(2), Columns = Axis.Heads(3) }, "small heatmap")
                .Figure(new HeatmapFigure("large", large), "large heatmap")
                .Attention(new AttentionView("attention", ["the", "cat", "sat"], [pattern, pattern * 0.5]), "attention view")
                .Tokens(new TokenView("loss", ["the", "cat", "sat"], [0.5, 2.25, 1]), "token view")
                .Figure(new LinePlot("norms", "layer", "norm").Line("resid", [1.0, 2, 4]), "line plot")
                .Image("raw.png", "an older PNG")
                .Save(dir);

            using var page = DevToolsPage.Open(Path.Combine(dir, "index.html"));
            var check = HeadlessChromium.CheckFigures(page);
            Assert.Equal(6, check.Figures);
            Assert.Empty(check.Blank);
            Assert.Empty(check.BrokenImages);
            Assert.Empty(check.Errors);

            string Cell(int figure, int index) => $"document.querySelectorAll('svg.heatmap')[{figure}].querySelectorAll('.cells rect')[{index}]";
            Assert.Equal("layer 1, head H2: 0.25", HeadlessChromium.Hover(page, Cell(0, 5)));
            Assert.Equal("layer 0, head H1: 0", HeadlessChromium.Hover(page, Cell(0, 1)));
            // the raster heatmap: the mouse at row 10, column 20 of 150 x 120
            Assert.Equal("row 10, column 20: 1220",
                HeadlessChromium.Hover(page, "document.querySelectorAll('svg.heatmap')[1].querySelector('image.cells')", (20 + 0.5) / 120, (10 + 0.5) / 150));
            Assert.Equal("1 'cat': 2.25", HeadlessChromium.Hover(page, "document.querySelectorAll('.token-view .tok')[1]"));
            Assert.Equal("resid: layer 2, norm 4", HeadlessChromium.Hover(page, "document.querySelectorAll('svg.line .hover-points circle')[2]"));

            // the attention view shows layer 0 head 0 first; choosing layer 1 shows its (halved) pattern
            string visibleCell = "[...document.querySelectorAll('.attention-view .pattern')].find(p => !p.hidden).querySelectorAll('.cells rect')[3]";
            Assert.Equal("query 1 'cat', key 0 'the': 0.25", HeadlessChromium.Hover(page, visibleCell));
            page.Evaluate("(() => { const s = document.querySelector('.attention-view select.layer'); s.value = '1'; s.dispatchEvent(new Event('change')); })()");
            Assert.Equal(1, page.Evaluate("[...document.querySelectorAll('.attention-view .pattern')].filter(p => !p.hidden).length")!.GetValue<int>());
            Assert.Equal("query 1 'cat', key 0 'the': 0.125", HeadlessChromium.Hover(page, visibleCell));
            Assert.Null(HeadlessChromium.Hover(page, "document.querySelector('h1')"));   // off the figures the tooltip hides
            Assert.Empty(page.Errors);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TheBrowserCheckCatchesABlankFigureABrokenImageAndAConsoleError()
    {
        if (HeadlessChromium.Path is null) { output.WriteLine("skipped: " + HeadlessChromium.SkipReason); return; }
        string dir = Path.Combine(Path.GetTempPath(), "interp-hover-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "index.html"), """
                <!DOCTYPE html><html><body>
                <figure><img src="missing.png" width="200" height="100"><figcaption>a broken image</figcaption></figure>
                <figure><svg width="300" height="200"><rect width="300" height="200" fill="white"/></svg><figcaption>x</figcaption></figure>
                <script>console.error('something failed')</script>
                </body></html>
                """);
            using var page = DevToolsPage.Open(Path.Combine(dir, "index.html"));
            var check = HeadlessChromium.CheckFigures(page);
            Assert.Equal(2, check.Figures);
            Assert.Contains(check.Blank, b => b.StartsWith("figure 1"));
            Assert.Equal(["missing.png"], check.BrokenImages);
            Assert.Contains(check.Errors, e => e.Contains("something failed"));
            Assert.Contains(check.Errors, e => e.Contains("missing.png"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
