using System.IO.Compression;
using System.Text;
using System.Xml.Linq;
using Interp.Analysis.Plot;
using Xunit;

namespace Interp.Tests.Analysis.Plot;

public class PlotTests
{
    [Fact]
    public void Crc32MatchesThePngSpecification()
    {
        // every PNG ends with the IEND chunk, whose CRC over "IEND" is AE 42 60 82 in every valid file
        Assert.Equal(0xAE426082u, Png.Crc32(Encoding.ASCII.GetBytes("IEND")));
        Assert.Equal(0xCBF43926u, Png.Crc32(Encoding.ASCII.GetBytes("123456789")));  // the standard CRC-32 check value
    }

    [Fact]
    public void PngRoundTripsEveryPixel()
    {
        var gen = new Random(3);
        var image = new RgbImage(17, 9);
        gen.NextBytes(image.Pixels);
        var png = image.EncodePng();
        Assert.Equal([137, 80, 78, 71, 13, 10, 26, 10], png[..8]);
        var back = Png.Decode(png);
        Assert.Equal((17, 9), (back.Width, back.Height));
        Assert.Equal(image.Pixels, back.Pixels);
    }

    [Fact]
    public void PngDecoderUndoesEveryRowFilter()
    {
        // a 3x5 RGB image written by hand with filters 0..4 on its five rows, so the decoder is checked independently of Encode
        var image = new RgbImage(3, 5);
        new Random(5).NextBytes(image.Pixels);
        int stride = 9;
        var raw = new byte[5 * (stride + 1)];
        for (int y = 0; y < 5; y++)
        {
            raw[y * (stride + 1)] = (byte)y;
            for (int i = 0; i < stride; i++)
            {
                int x = image.Pixels[y * stride + i], a = i >= 3 ? image.Pixels[y * stride + i - 3] : 0;
                int b = y > 0 ? image.Pixels[(y - 1) * stride + i] : 0, c = y > 0 && i >= 3 ? image.Pixels[(y - 1) * stride + i - 3] : 0;
                int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                int predictor = y switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => pa <= pb && pa <= pc ? a : pb <= pc ? b : c };
                raw[y * (stride + 1) + 1 + i] = (byte)(x - predictor);
            }
        }
        var png = Png.Encode(3, 5, image.Pixels);
        // replace the IDAT payload with the hand-filtered rows
        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Fastest, true)) zs.Write(raw);
        var idat = z.ToArray();
        var rebuilt = new List<byte>(png[..33]);  // signature + IHDR
        var chunk = new byte[4 + idat.Length];
        Encoding.ASCII.GetBytes("IDAT", chunk);
        idat.CopyTo(chunk, 4);
        rebuilt.AddRange(BigEndian(idat.Length));
        rebuilt.AddRange(chunk);
        rebuilt.AddRange(BigEndian((int)Png.Crc32(chunk)));
        rebuilt.AddRange(png[^12..]);  // IEND
        Assert.Equal(image.Pixels, Png.Decode([.. rebuilt]).Pixels);
    }

    static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

    [Fact]
    public void PngDecoderRejectsACorruptChunk()
    {
        var png = new RgbImage(4, 4, (1, 2, 3)).EncodePng();
        png[40] ^= 0xFF;
        Assert.Contains("CRC", Assert.Throws<InvalidDataException>(() => Png.Decode(png)).Message);
    }

    [Fact]
    public void HeatmapMapsSignsToBlueAndRedAndZeroToWhite()
    {
        var values = Tensor.FromArray(new double[] { -2, 0, 2, 1 }, [2, 2]);
        var image = Heatmap.Render(values, new HeatmapOptions(CellSize: 3));
        Assert.Equal((6, 6), (image.Width, image.Height));
        Assert.Equal(Colormap.Diverging(-1), image.Get(0, 0));
        Assert.Equal(((byte)255, (byte)255, (byte)255), image.Get(3, 0));
        Assert.Equal(Colormap.Diverging(1), image.Get(0, 3));
        Assert.Equal(Colormap.Diverging(0.5), image.Get(5, 5));
        var (r, _, b) = image.Get(0, 0);
        Assert.True(b > r, "negative values are blue");
    }

    [Fact]
    public void HeatmapOfNonNegativeValuesUsesViridisEnds()
    {
        var image = Heatmap.Render(Tensor.FromArray(new double[] { 0, 1, 2, 4 }, [1, 4]), new HeatmapOptions(CellSize: 1));
        Assert.Equal(Colormap.Viridis(0), image.Get(0, 0));
        Assert.Equal(Colormap.Viridis(1), image.Get(3, 0));
        Assert.Contains("[3]", Assert.Throws<ArgumentException>(() => Heatmap.Render(Tensor.Zeros([3]))).Message);
    }

    [Fact]
    public void ImageGridPlacesEachImageNormalisedOnItsOwn()
    {
        var images = Tensor.FromArray(new double[] { 0, 1, 2, 3, /* second */ 10, 10, 10, 20 }, [2, 2, 2]);
        var grid = ImageGrid.Render(images, columns: 2, scale: 1, pad: 1);
        Assert.Equal((1 + 2 * 3, 1 + 3), (grid.Width, grid.Height));
        Assert.Equal(((byte)0, (byte)0, (byte)0), grid.Get(1, 1));        // first image's minimum
        Assert.Equal(((byte)255, (byte)255, (byte)255), grid.Get(2, 2));  // its maximum
        Assert.Equal(((byte)0, (byte)0, (byte)0), grid.Get(4, 1));        // second image's 10 is its minimum
        Assert.Equal(((byte)255, (byte)255, (byte)255), grid.Get(5, 2));
        Assert.Contains("channels", Assert.Throws<ArgumentException>(() => ImageGrid.Render(Tensor.Zeros([2, 2, 4, 4]))).Message);
    }

    [Fact]
    public void LinePlotIsWellFormedSvgWithOnePolylinePerSeries()
    {
        var svg = new LinePlot("norms <per> layer", "layer", "norm")
            .Line("resid", [1.0, 2, 4, 8]).Line("fit", [0.0, 1, 2, 3], [1.0, 2, 4, 8], dashed: true).Points("pts", [0.5], [3.0])
            .LogY().ToSvg();
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(2, doc.Descendants(ns + "polyline").Count());
        var markers = doc.Descendants(ns + "circle").Where(c => c.Parent!.Attribute("class")?.Value != "hover-points").ToList();
        Assert.Equal("pts: layer 0.5, norm 3", Assert.Single(markers).Value);
        var hovers = doc.Descendants(ns + "g").Where(g => g.Attribute("class")?.Value == "hover-points").ToList();
        Assert.Equal([4, 4], hovers.Select(g => g.Elements(ns + "circle").Count()));   // one per point of each line
        Assert.Equal("fit: layer 3, norm 8", hovers[1].Elements(ns + "circle").Last().Value);
        Assert.Contains(doc.Descendants(ns + "text"), t => t.Value == "norms <per> layer");
        Assert.Throws<ArgumentException>(() => new LinePlot().Line("bad", [1.0], [1.0, 2]));
    }

    [Fact]
    public void NiceTicksCoverTheRangeAtRoundSteps()
    {
        var ticks = LinePlot.NiceTicks(0.13, 9.7);
        Assert.True(ticks[0] <= 0.13 && ticks[^1] >= 9.7);
        double step = ticks[1] - ticks[0];
        Assert.Contains(Math.Round(step / Math.Pow(10, Math.Floor(Math.Log10(step))), 6), new[] { 1.0, 2, 5 });
    }

    [Fact]
    public void HtmlReportEscapesTextAndWritesIndexAtomically()
    {
        string dir = Path.Combine(Path.GetTempPath(), "interp-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            new HtmlReport("a <b> & c").Paragraph("x < y").Image("heat.png", "caption \"q\"")
                .Table(["head", "score"], [["L1H2", "0.93"]]).Save(dir);
            string html = File.ReadAllText(Path.Combine(dir, "index.html"));
            Assert.Contains("<title>a &lt;b&gt; &amp; c</title>", html);
            Assert.Contains("<p>x &lt; y</p>", html);
            Assert.Contains("src=\"heat.png\"", html);
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<script"));   // one inline script (the hover tooltip), nothing loaded
            Assert.Contains("<script>", html);
            Assert.Equal(["index.html"], Directory.GetFiles(dir).Select(Path.GetFileName));
            Assert.Throws<ArgumentException>(() => new HtmlReport("t").Table(["a", "b"], [["1"]]));
            Assert.Throws<ArgumentException>(() => new HtmlReport("t").Image("/abs/x.png", "c"));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
