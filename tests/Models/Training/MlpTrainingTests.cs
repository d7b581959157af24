using System.Diagnostics;
using Interp.Training;
using Interp.Data;
using Interp.Nn;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Models.Training;

public class MlpTrainingTests(ITestOutputHelper output)
{
    static ImageDataset Take(ImageDataset d, int n)
    {
        int pixels = d.Height * d.Width;
        return new ImageDataset(d.Images[..(n * pixels)], d.Labels[..n], d.Height, d.Width);
    }

    [Fact]
    public void TheMainJobMlpLearnsRealFashionMnist()
    {
        if (!FashionMnist.IsAvailable) { output.WriteLine($"skipped: install {FashionMnist.DebianPackage}"); return; }
        var train = Take(FashionMnist.Load(train: true), 2000);
        var test = Take(FashionMnist.Load(train: false), 1000);
        var clock = Stopwatch.StartNew();
        var losses = new List<double>();
        var model = MlpClassifier.Train(train, new MlpOptions(Epochs: 2, BatchSize: 32, Seed: 7), p => losses.Add(p.Loss));
        double accuracy = MlpClassifier.Accuracy(model, test);
        output.WriteLine($"{losses.Count} steps, loss {losses[0]:F3} → {losses.TakeLast(20).Average():F3}, test accuracy {accuracy:P1}, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(2 * 63, losses.Count);
        Assert.InRange(losses[0], 2.0, 2.6);              // ≈ ln 10 at initialisation
        Assert.True(accuracy >= 0.70, $"test accuracy {accuracy:P1} on 1000 real test images, expected ≥ 70% (chance is 10%)");
    }

    [Fact]
    public void TrainingIsReproducibleForASeed()
    {
        var rng = new Generator(3);
        var images = new float[64 * 16];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        var data = new ImageDataset(images, Enumerable.Range(0, 64).Select(i => i % 10).ToArray(), 4, 4);
        double[] Run() => MlpClassifier.Train(data, new MlpOptions(Epochs: 2, BatchSize: 16, Hidden: 8, Seed: 5))
            .Parameters().SelectMany(p => p.ToDoubleArray()).ToArray();
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void LinearPassesGradCheck()
    {
        var layer = new Linear(4, 3, gen: new Generator(1), dtype: DType.Float64);
        var x = Tensor.Randn([2, 5, 4], new Generator(2), DType.Float64);
        // the layer's own parameters are the gradcheck's leaves (perturbed in place), so this checks Forward as is
        GradCheck.Assert(xs => layer.Forward(xs[0]), [x, layer.Weight, layer.Bias!]);
    }

    [Fact]
    public void LinearUsesPyTorchsDefaultInitBounds()
    {
        var layer = new Linear(100, 50, gen: new Generator(4));
        Assert.Equal([50, 100], layer.Weight.ShapeArray);
        Assert.Equal([50], layer.Bias!.ShapeArray);
        var w = layer.Weight.ToDoubleArray();
        Assert.All(w, v => Assert.InRange(v, -0.1, 0.1));
        Assert.InRange(w.Max(), 0.09, 0.1);               // the bound 1/√100 is reached, not a narrower one
        Assert.All(layer.Bias.ToDoubleArray(), v => Assert.InRange(v, -0.1, 0.1));
        Assert.Null(new Linear(3, 2, bias: false).Bias);
        Assert.Contains("linear: expected input [..., 100]", Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([2, 99]))).Message);
    }

    [Fact]
    public void ModulesNameTheirParametersWithDottedPaths()
    {
        var mlp = new Mlp([6, 5, 4, 3]);
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias"],
            mlp.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3, mlp.Parameters().Sum(p => p.Numel));
        Assert.All(mlp.Parameters(), p => Assert.True(p.RequiresGrad && p.IsLeaf));
        Assert.Same(mlp.Layers[1].Weight, mlp.NamedParameters().Single(p => p.Name == "layers.1.weight").Param);
        Assert.Equal([2, 3], mlp.Forward(Tensor.Zeros([2, 6])).ShapeArray);
    }

    [Fact]
    public void TrainAndEvalReachEveryDescendant()
    {
        var mlp = new Mlp([4, 3, 2]);
        Assert.True(mlp.Training);
        mlp.Eval();
        Assert.False(mlp.Training);
        Assert.All(mlp.Layers, l => Assert.False(l.Training));
        mlp.Train();
        Assert.All(mlp.Layers, l => Assert.True(l.Training));
    }
}
