using Interp.Analysis.Plot;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Analysis.Plot;

/// <summary>A report folder opened in a real browser: every image loads and the page is not blank.</summary>
public class ReportRenderTests(ITestOutputHelper output)
{
    [Fact]
    public void ChromiumLoadsEveryImageOfAReportAndDrawsIt()
    {
        if (HeadlessChromium.Path is null) { output.WriteLine("skipped: " + HeadlessChromium.SkipReason); return; }
        string dir = Path.Combine(Path.GetTempPath(), "interp-render-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(dir);
            Heatmap.Save(Path.Combine(dir, "heat.png"), Tensor.Randn([8, 12], new Generator(2)), new HeatmapOptions(CellSize: 20));
            ImageGrid.Save(Path.Combine(dir, "grid.png"), Tensor.Rand([6, 28, 28], new Generator(3)), scale: 3);
            new LinePlot("norms", "layer", "norm").Line("resid", [1.0, 2, 4, 8]).LogY().Save(Path.Combine(dir, "norms.svg"));
            new HtmlReport("render test").Image("heat.png", "a heatmap").Image("grid.png", "a grid").Image("norms.svg", "a plot")
                .Table(["a", "b"], [["1", "2"]]).Save(dir);

            var (images, loaded) = HeadlessChromium.CountLoadedImages(dir);
            Assert.Equal(3, images);
            Assert.Equal(3, loaded);
            Assert.True(HeadlessChromium.HasContent(HeadlessChromium.Screenshot(dir)), "the screenshot is blank");

            // a missing image is caught: the check can fail
            File.Delete(Path.Combine(dir, "grid.png"));
            Assert.Equal((3, 2), HeadlessChromium.CountLoadedImages(dir));
        }
        finally { Directory.Delete(dir, true); }
    }
}
