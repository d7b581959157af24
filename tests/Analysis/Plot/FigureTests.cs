using System.Xml.Linq;
using Interp.Analysis.Heads;
using Interp.Analysis.Patching;
using Interp.Analysis.Plot;
using Xunit;

namespace Interp.Tests.Analysis.Plot;

/// <summary>The figures carry what a reader needs as text (title, axis labels, ticks, colour-bar values, hover values) and use the right colour map.</summary>
public class FigureTests
{
    static readonly XNamespace S = "http://www.w3.org/2000/svg";
    static readonly (byte, byte, byte) White = (255, 255, 255);

    static XElement Parse(string svg) => XElement.Parse(svg);   // throws unless the SVG is well-formed XML

    static List<string> Texts(XElement svg) => svg.Descendants(S + "text").Select(t => t.Value).ToList();

    static List<string> CellTitles(XElement svg) => svg.Descendants(S + "rect").Select(r => r.Element(S + "title")?.Value).OfType<string>().ToList();

    [Fact]
    public void HeatmapSvgCarriesTitleAxisLabelsTickLabelsColourBarValuesAndEachCellsValue()
    {
        var values = Tensor.FromArray(new double[] { -2, 0, 1, 0.5, 1.5, 2 }, [2, 3]);
        var svg = Parse(new HeatmapFigure("patching effect", values)
            { Rows = Axis.Layers(2), Columns = Axis.Heads(3), ValueLabel = "logit diff", CellName = (l, h) => $"L{l}H{h}" }.ToSvg());
        var texts = Texts(svg);
        foreach (string expected in new[] { "patching effect", "layer", "head", "0", "1", "H0", "H1", "H2", "logit diff", "-2", "-1", "2" })
            Assert.Contains(expected, texts);
        var titles = CellTitles(svg);
        Assert.Equal(6, titles.Count);
        Assert.Contains("L0H0: -2", titles);
        Assert.Contains("L1H2: 2", titles);
        Assert.Contains("L1H0: 0.5", titles);
    }

    [Fact]
    public void TheDivergingMapPutsItsNeutralColourAtZeroAndSignedDataGetsIt()
    {
        Assert.Equal(White, ColorScale.Signed(3).Color(0));
        Assert.Equal(White, ColorScale.Signed(0.01).Color(0));
        var scale = ColorScale.For([-1, 4]);
        Assert.True(scale.Diverging);
        Assert.Equal((-4.0, 4.0), (scale.Min, scale.Max));   // symmetric, so white stays at 0
        Assert.Contains(0.0, scale.Ticks());
        var (r, _, b) = scale.Color(-1);
        Assert.True(b > r, "negative is blue");
        (r, _, b) = scale.Color(1);
        Assert.True(r > b, "positive is red");

        // in the drawn figure the zero cell is white
        var svg = Parse(new HeatmapFigure("t", Tensor.FromArray(new double[] { -1, 0, 3 }, [1, 3])).ToSvg());
        var zero = svg.Descendants(S + "rect").Single(e => e.Element(S + "title")?.Value == "row 0, column 1: 0");
        Assert.Equal("#ffffff", zero.Attribute("fill")!.Value);
    }

    [Fact]
    public void NonNegativeDataGetsTheSequentialMapAndSignedResultsTheDivergingOneEvenWhenAllPositive()
    {
        var scale = ColorScale.For([0, 1, 2]);
        Assert.False(scale.Diverging);
        Assert.Equal(Colormap.Viridis(0), scale.Color(0));
        Assert.Equal(Colormap.Viridis(1), scale.Color(2));

        var patched = Tensor.FromArray(new double[] { 0.1, 0.9, 0.2, 0.4 }, [2, 2]);   // a patching result happens to be all positive
        var figure = PatchPlots.HeadsFigure("denoising", patched);
        Assert.True(figure.Scale!.Diverging);
        Assert.Equal(White, figure.Scale.Color(0));
        Assert.Contains("L0H1: 0.9", CellTitles(Parse(figure.ToSvg())));
    }

    [Fact]
    public void CellsAreReadableAndLargeMatricesBecomeAPngWithTheSameAxesAndHoverValues()
    {
        var small = Parse(new HeatmapFigure("small", Tensor.Ones([2, 3])).ToSvg());
        Assert.All(small.Descendants(S + "rect").Where(r => r.Element(S + "title") is not null),
            r => Assert.True(double.Parse(r.Attribute("width")!.Value) >= 10, "a cell is at least 10 pixels"));
        var mid = new HeatmapFigure("mid", Tensor.Ones([60, 60]));
        Assert.False(mid.IsRaster);
        Assert.All(Parse(mid.ToSvg()).Descendants(S + "rect").Where(r => r.Element(S + "title") is not null),
            r => Assert.True(double.Parse(r.Attribute("width")!.Value) >= 10));

        var values = Tensor.FromArray(Enumerable.Range(0, 150 * 120).Select(i => (double)i).ToArray(), [150, 120]);
        var large = new HeatmapFigure("large", values) { Rows = Axis.Numbered("x", 150), Columns = Axis.Numbered("y", 120) };
        Assert.True(large.IsRaster);
        var svg = Parse(large.ToSvg());
        var image = svg.Descendants(S + "image").Single();
        Assert.StartsWith("data:image/png;base64,", image.Attribute("href")!.Value);
        Assert.Contains("x 2, y 3: 243", image.Attribute("data-cells")!.Value);
        var texts = Texts(svg);
        Assert.Contains("large", texts);
        Assert.Contains("x", texts);
        Assert.Contains("140", texts);   // thinned ticks, still there
        Assert.Contains("15000", texts);   // colour-bar value
    }

    [Fact]
    public void TokenAxesLabelTicksWithTokensAndHoverWithPositions()
    {
        string[] tokens = ["the", "cat", "the"];
        var pattern = Tensor.FromArray(new double[] { 1, 0, 0, 0.25, 0.75, 0, 0.5, 0.125, 0.375 }, [1, 3, 3]);
        var view = new AttentionView("attention", tokens, [pattern, pattern]) { Selected = (1, 0) };
        string html = view.ToHtml();
        Assert.Contains("<select class=\"layer\"><option value=\"0\">0</option><option value=\"1\" selected>1</option></select>", html);
        var svg = Parse(view.Figure(1, 0).ToSvg());
        var texts = Texts(svg);
        foreach (string expected in new[] { "L1H0 attention pattern", "query", "key", "the", "cat", "attention weight", "0", "1" })
            Assert.Contains(expected, texts);
        Assert.Contains("query 2 'the', key 1 'cat': 0.125", CellTitles(svg));
    }

    [Fact]
    public void TokenViewColoursEachTokenAndCarriesItsValue()
    {
        string html = new TokenView("loss", ["a", "<b>", "c"], [-1, 0, 2]) { ValueLabel = "effect" }.ToHtml();
        Assert.Contains("data-tip=\"1 &#39;&lt;b&gt;&#39;: 0\"", html);
        Assert.Contains("style=\"background:#ffffff;", html);   // signed values: zero is white
        Assert.Contains(">&lt;b&gt;</span>", html);
        Assert.Contains(">effect</text>", html);
        Assert.Contains(">-2</text>", html);
    }

    [Fact]
    public void PatchingFiguresNameHeadsAsLayerAndHeadAndPositionsByTheirTokens()
    {
        var byPos = Tensor.FromArray(Enumerable.Range(0, 2 * 2 * 3).Select(i => i - 5.0).ToArray(), [2, 2, 3]);
        var svg = Parse(PatchPlots.ByPositionFigure("heads by position", byPos, ["A", "B", "C"]).ToSvg());
        var texts = Texts(svg);
        foreach (string expected in new[] { "L0H0", "L1H1", "A", "C", "position", "head" }) Assert.Contains(expected, texts);
        Assert.Contains("head L1H1, position 2 'C': 6", CellTitles(svg));
    }

    [Fact]
    public void HeadScoresAreThreeLabelledPanelsInOneFigure()
    {
        var scan = HeadScan.OnRepeatedRandomTokens(TrainedModels.Induction, 4, batch: 2, bos: 0, seed: 1);
        var svg = Parse(HeadPlots.ScoreFigures(scan).ToSvg());
        var texts = Texts(svg);
        foreach (string expected in new[] { "previous-token score", "duplicate-token score", "induction score", "layer", "head", "H1", "score", "0.6", "1" })
            Assert.Contains(expected, texts);
        Assert.Equal(3 * 2 * 2, CellTitles(svg).Count(t => t.StartsWith('L')));
    }

    [Fact]
    public void AReportInlinesItsFiguresWithTheHoverScriptAndWritesTheirFiles()
    {
        string dir = Path.Combine(Path.GetTempPath(), "interp-figure-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(dir);
            var report = new HtmlReport("r").Figure(new HeatmapFigure("grid", Tensor.Ones([2, 2])), "a grid", "figs/grid.svg");
            report.Save(dir);
            string html = File.ReadAllText(Path.Combine(dir, "index.html"));
            Assert.Contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure heatmap\"", html);
            Assert.Contains("document.addEventListener('mousemove'", html);
            Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", ""));   // nothing fetched from the network
            Assert.Contains("grid", Texts(Parse(File.ReadAllText(Path.Combine(dir, "figs", "grid.svg")))));
        }
        finally { Directory.Delete(dir, true); }
    }
}
