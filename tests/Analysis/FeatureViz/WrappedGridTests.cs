using Interp.Analysis.FeatureViz;
using Interp.Analysis.Plot;
using Xunit;

namespace Interp.Tests.Analysis.FeatureViz;

/// <summary>Feature-visualization grids of many units wrap into screen-sized files; the margin objective.</summary>
public class WrappedGridTests
{
    [Fact]
    public void TwoHundredUnitsWrapIntoFilesNoLargerThanAScreen()
    {
        int n = 200;
        var v = new LayerVisualization("fc1", Enumerable.Range(0, n).ToArray(), Tensor.Rand([n, 1, 28, 28]), new double[n], null,
            new RenderResult(Tensor.Zeros([1]), [], 0, 0, TimeSpan.Zero));
        string dir = Path.Combine(Path.GetTempPath(), "interp-wrap-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var files = LayerVisualizer.SaveWrappedGrids(dir, "grid", v, data: null, maxWidth: 1000, maxHeight: 600);
            Assert.Equal(Enumerable.Range(0, n), files.SelectMany(f => f.Units));
            Assert.True(files.Count > 1);
            foreach (var (file, _) in files)
            {
                var png = Png.Decode(File.ReadAllBytes(Path.Combine(dir, file)));
                Assert.True(png.Width <= 1000 && png.Height <= 600, $"{file} is {png.Width}x{png.Height}");
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TheMarginIsTheLogitMinusTheMeanOfTheOthers()
    {
        var logits = Tensor.FromArray(new double[] { 1, 4, 7, 2, 2, 2 }, [2, 3]);
        Activations acts = _ => logits;
        Assert.Equal(1 - 5.5, Objective.Margin("logits", 0, batch: 0).Evaluate(acts).Item(), 12);
        Assert.Equal(((4 - 4.0) + 0) / 2, Objective.Margin("logits", 1).Evaluate(acts).Item(), 12);
    }
}
