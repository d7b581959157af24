using Interp.Analysis.Datasets;
using Interp.Analysis.Neurons;
using Interp.Tests.Analysis.Neurons;
using Xunit;

namespace Interp.Tests.Analysis.Datasets;

/// <summary>The image transforms on a hand-made 5x5 image, and their label flips on the planted MLP.</summary>
public class ImageTransformTests
{
    // a single lit pixel at row 1, column 3
    static float[] Dot()
    {
        var p = new float[25];
        p[1 * 5 + 3] = 0.8f;
        return p;
    }

    static float[] Apply(string spec, float[] p) => ImageTransform.Parse(spec).Apply(p, 5, 5);

    [Fact]
    public void EachTransformMovesThePixelAsNamed()
    {
        Assert.Equal(0.4f, Apply("brightness:0.5", Dot())[8]);
        Assert.Equal(1f, Apply("brightness:2", Dot())[8]);
        Assert.Equal(0.2f, Apply("invert", Dot())[8], 6);
        var centre = new float[25];
        centre[12] = 1;
        Assert.Equal(9, Apply("dilate", centre).Count(v => v > 0));   // the 3x3 block around (2, 2)
        Assert.Equal(centre, Apply("erode", Apply("dilate", centre)));   // back to the one pixel
        Assert.Equal(0.8f, Apply("shift:-1,2", Dot())[3 * 5 + 2]);   // left 1, down 2
        // a quarter turn counter-clockwise about the centre (2, 2): (row 1, col 3) goes to (row 1, col 1)
        Assert.Equal(0.8f, Apply("rotate:90", Dot())[1 * 5 + 1], 5);
        Assert.Equal(Dot(), Apply("rotate:360", Dot()).Select(v => (float)Math.Round(v, 5)).ToArray());
    }

    [Theory]
    [InlineData("blur", "unknown")]
    [InlineData("shift:1", "shift:DX,DY")]
    [InlineData("rotate:x", "not a finite number")]
    [InlineData("rotate:nan", "'nan' is not a finite number")]
    [InlineData("brightness:Infinity", "not a finite number")]
    public void BadSpecsAreRefused(string spec, string problem) =>
        Assert.Contains(problem, Assert.Throws<ArgumentException>(() => ImageTransform.Parse(spec)).Message);

    [Fact]
    public void ShiftingDigitsDownFlipsThePlantedTopHeavyLabelOneWayOnly()
    {
        var run = new ModelOnDataset(HookedClassifier.Of(PlantedMlp.Build()), Digits.Every(20));
        var flips = TransformFlips.Measure(run, ImageTransform.Parse("shift:0,4"));
        Assert.True(flips.Changes[1, 0] > 50, TransformFlips.Directions(flips.Changes));
        Assert.Equal(0, flips.Changes[0, 1]);   // moving ink down never makes the top heavier
        Assert.Equal(flips.Changed, flips.ByClass.Values.Sum(m => m[1, 0]));
    }
}
