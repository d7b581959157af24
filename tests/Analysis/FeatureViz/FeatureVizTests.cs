using FsCheck.Xunit;
using Interp.Analysis.FeatureViz;
using Interp.Data;
using Interp.IO;
using Interp.Models;
using Interp.Nn;
using Xunit;

namespace Interp.Tests.Analysis.FeatureViz;

/// <summary>
/// Feature visualization: optimisation on the real EIS VII CNN against real MNIST digits, the resampling transforms
/// against exact pixel permutations, the Fourier basis against an independently computed forward DFT, regularisers'
/// values and gradients, the diversity term and the objectives' algebra.
/// </summary>
public class FeatureVizTests
{
    internal static Cnn Eis7()
    {
        string? dir = DataPaths.SharedData();
        Assert.True(dir is not null && File.Exists(Path.Combine(dir, "eis7", "mnist_model.pt")),
            $"EIS VII model not found under {dir ?? "(no ../shared/data; set INTERP_SHARED_DATA)"}/eis7/mnist_model.pt");
        var cnn = new Cnn(CnnConfig.Eis7, new Generator(0));
        cnn.LoadStateDict(TorchStateDict.Load(Path.Combine(dir!, "eis7", "mnist_model.pt")));
        cnn.Eval();
        return cnn;
    }

    static ImageDataset Mnist2000()
    {
        Assert.True(Mnist.IsAvailable, $"MNIST 10k not found under {Mnist.Directory ?? "(no ../shared/data; set INTERP_SHARED_DATA)"}");
        var all = Mnist.Load10k();
        // the file is grouped by digit: every 5th image gives 2,000 covering all ten
        var rows = Enumerable.Range(0, 2000).Select(i => i * 5).ToArray();
        int px = all.Height * all.Width;
        var images = rows.SelectMany(r => all.Images.AsSpan(r * px, px).ToArray()).ToArray();
        return new ImageDataset(images, rows.Select(r => all.Labels[r]).ToArray(), all.Height, all.Width);
    }

    // ---- optimisation on a real model ----

    /// <summary>
    /// One image per conv2 channel of the real EIS VII CNN, optimised jointly (the objective sums channel i of image
    /// i). Pixel images beat the best of 2,000 real digits on every channel; the Fourier basis, which favours smooth
    /// images, rises as much but is not held to the digits' thin bright strokes in these few steps.
    /// </summary>
    [Theory]
    [InlineData("pixel")]
    [InlineData("fourier")]
    public void ChannelVisualizationsRiseAndBeatNoiseAndDatasetExamplesOnTheEisCnn(string param)
    {
        var cnn = Eis7();
        const string layer = "conv2";
        int channels = cnn.Config.Conv2Channels;
        var objective = Objective.Sum(Enumerable.Range(0, channels).Select(c => Objective.Channel(layer, c, batch: c)));
        IImageParam image = param == "pixel"
            ? new PixelImage(channels, 1, 28, 28, gen: new Generator(1))
            : new FourierImage(channels, 1, 28, 28, gen: new Generator(1));
        var result = FeatureRenderer.Render(cnn, objective, image, new RenderOptions { Steps = 100, LearningRate = 0.1 });

        Assert.True(result.FinalObjective > result.InitialObjective + 10, $"objective {result.InitialObjective:F3} → {result.FinalObjective:F3}");
        Assert.True(result.History.TakeLast(10).Average() > result.History.Take(10).Average());
        Assert.All(result.Images.ToDoubleArray(), v => Assert.InRange(v, 0, 1));
        var values = ChannelMeans(cnn, result.Images, layer);
        var noise = ChannelMeans(cnn, Tensor.Rand([64, 1, 28, 28], new Generator(2)), layer);
        for (int c = 0; c < channels; c++)
        {
            double bestNoise = Enumerable.Range(0, 64).Max(i => noise[i, c]);
            Assert.True(values[c, c] > bestNoise, $"channel {c}: visualization {values[c, c]:F3} vs best of 64 noise images {bestNoise:F3}");
        }
        if (param != "pixel") return;
        var top = TopActivating.Find(CnnActivations.Of(cnn), Mnist2000(), layer, k: 1);
        for (int c = 0; c < channels; c++)
            Assert.True(values[c, c] > top[c].Values[0], $"channel {c}: visualization {values[c, c]:F3} vs best of 2,000 digits {top[c].Values[0]:F3}");
    }

    [Fact]
    public void DiversityTermMakesTheImagesOfOneChannelDiffer()
    {
        var cnn = Eis7();
        var channel = Objective.Channel("conv2", 6);
        var diversity = Objective.Diversity("hook_relu1");   // post-ReLU maps, as Lucid's diversity layers
        var options = new RenderOptions { Steps = 60, LearningRate = 0.1 };
        var plain = FeatureRenderer.Render(cnn, channel, new PixelImage(3, 1, 28, 28, gen: new Generator(14)), options);
        var diverse = FeatureRenderer.Render(cnn, channel + 100 * diversity, new PixelImage(3, 1, 28, 28, gen: new Generator(14)), options);
        double Diversity(Tensor images) => diversity.Evaluate(CnnActivations.Of(cnn)(images)).Item();
        double plainDiversity = Diversity(plain.Images), diverseDiversity = Diversity(diverse.Images);
        Assert.True(diverseDiversity > plainDiversity + 0.1, $"diversity with the term {diverseDiversity:F3}, without {plainDiversity:F3}");
        Assert.True(plainDiversity < -1.9, $"without the term the three images converge to one pattern: diversity {plainDiversity:F3} (−2 = identical)");
    }

    /// <summary>[image, channel] mean activation, computed directly from the cache.</summary>
    static double[,] ChannelMeans(Cnn cnn, Tensor images, string layer)
    {
        var a = CnnActivations.Of(cnn)(images)(layer).Mean([2, 3]);
        var r = new double[a.Size(0), a.Size(1)];
        var v = a.ToDoubleArray();
        for (int i = 0; i < a.Size(0); i++) for (int c = 0; c < a.Size(1); c++) r[i, c] = v[i * a.Size(1) + c];
        return r;
    }

    [Fact]
    public void TopActivatingExamplesAreTheHighestScoringRowsInOrder()
    {
        var cnn = Eis7();
        var data = Mnist2000();
        var top = TopActivating.Find(CnnActivations.Of(cnn), data, "logits", k: 5, batchSize: 300);
        Assert.Equal(2, top.Length);
        var logits = cnn.Forward(TopActivating.Images(data, Enumerable.Range(0, data.Count).ToArray())).ToDoubleArray();
        for (int c = 0; c < 2; c++)
        {
            var expected = Enumerable.Range(0, data.Count).Select(i => logits[i * 2 + c]).OrderDescending().Take(5).ToArray();
            for (int j = 0; j < 5; j++) Assert.Equal(expected[j], top[c].Values[j], 4);
            Assert.Equal(top[c].Values[0], logits[top[c].Rows[0] * 2 + c], 4);
        }
    }

    // ---- transforms ----

    static Tensor Images(int seed, int n = 2, int c = 2, int h = 6, int w = 6) => Tensor.Rand([n, c, h, w], new Generator((ulong)seed), DType.Float64);

    [Fact]
    public void RotationByZeroAndScaleOneAreIdentities()
    {
        var x = Images(1, h: 7, w: 5);
        Assert.Equal(x.ToDoubleArray(), Resample.Rotate(x, 0).ToDoubleArray());
        Assert.Equal(x.ToDoubleArray(), Resample.Scale(x, 1).ToDoubleArray());
        Assert.Equal(x.ToDoubleArray(), Resample.Shift(x, 0, 0).ToDoubleArray());
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    public void RotationBy90IsRot90(int size)
    {
        var x = Images(2, h: size, w: size);
        var r = Resample.Rotate(x, 90).ToDoubleArray();
        var r180 = Resample.Rotate(x, 180).ToDoubleArray();
        var v = x.ToDoubleArray();
        int n = size;
        for (int img = 0; img < 4; img++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    int o = img * n * n;
                    Assert.Equal(v[o + j * n + (n - 1 - i)], r[o + i * n + j], 12);                 // torch.rot90(x, 1)
                    Assert.Equal(v[o + (n - 1 - i) * n + (n - 1 - j)], r180[o + i * n + j], 12);     // both flips
                }
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(-2, 0)]
    [InlineData(0, -3)]
    public void ShiftMovesPixelsAndFillsTheVacatedBorder(int dy, int dx)
    {
        var x = Images(3, h: 5, w: 6);
        var s = Resample.Shift(x, dy, dx, fill: 0.25).ToDoubleArray();
        var v = x.ToDoubleArray();
        for (int img = 0; img < 4; img++)
            for (int y = 0; y < 5; y++)
                for (int xx = 0; xx < 6; xx++)
                {
                    int sy = y - dy, sx = xx - dx;
                    double expected = sy is >= 0 and < 5 && sx is >= 0 and < 6 ? v[img * 30 + sy * 6 + sx] : 0.25;
                    Assert.Equal(expected, s[img * 30 + y * 6 + xx], 12);
                }
    }

    [Fact]
    public void HalfPixelShiftAveragesNeighboursAndJitterIsAWholeShift()
    {
        var x = Images(4, n: 1, c: 1, h: 4, w: 5);
        var v = x.ToDoubleArray();
        var s = Resample.Shift(x, 0, 0.5).ToDoubleArray();
        for (int y = 0; y < 4; y++)
        {
            Assert.Equal(v[y * 5] / 2, s[y * 5], 12);   // half of the sample lies outside: fill 0
            for (int xx = 1; xx < 5; xx++) Assert.Equal((v[y * 5 + xx] + v[y * 5 + xx - 1]) / 2, s[y * 5 + xx], 12);
        }
        var gen = new Generator(5);
        var jitter = new Jitter(2);
        for (int draw = 0; draw < 10; draw++)
        {
            var j = jitter.Apply(x, gen).ToDoubleArray();
            bool matches = false;
            for (int dy = -2; dy <= 2 && !matches; dy++)
                for (int dx = -2; dx <= 2 && !matches; dx++)
                    matches = Resample.Shift(x, dy, dx).ToDoubleArray().SequenceEqual(j);
            Assert.True(matches, "a jitter draw is not a whole-pixel shift within ±2");
        }
    }

    [Fact]
    public void RotationsAndScalesAreDifferentiableAndPreserveTheCentre()
    {
        GradCheck.Assert(xs => Resample.Rotate(xs[0].Permute(0, 1, 3, 2), 23, fill: 0.5), [Images(6, n: 1, c: 2, h: 5, w: 5)]);
        GradCheck.Assert(xs => Resample.Scale(xs[0], 1.1), [Images(7, n: 2, c: 1, h: 5, w: 5)]);
        var x = Images(8, n: 1, c: 1, h: 5, w: 5);
        Assert.Equal(x.GetValue(0, 0, 2, 2), Resample.Rotate(x, 37).GetValue(0, 0, 2, 2), 12);
        // the sparse application is the dense interpolation matrix's map
        var y = Images(9, n: 2, c: 2, h: 4, w: 6);
        Func<double, double, (double, double)> warp = (r, c) => (0.8 * r + 0.3 * c - 0.4, -0.2 * r + 1.1 * c + 0.7);
        var dense = Tensor.FromDoubles(Resample.SamplingMatrix(4, 6, warp), [24, 24], DType.Float64);
        var expected = y.Reshape(4, 24).MatMul(dense).ToDoubleArray();
        var sparse = Resample.Apply(y, warp).ToDoubleArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], sparse[i], 12);
        Assert.Equal(x.GetValue(0, 0, 2, 2), Resample.Scale(x, 0.93).GetValue(0, 0, 2, 2), 12);
    }

    // ---- Fourier parameterization ----

    [Theory]
    [InlineData(4, 4)]
    [InlineData(6, 8)]
    [InlineData(5, 7)]
    [InlineData(7, 6)]
    public void FourierBasisInvertsAnIndependentForwardDft(int h, int w)
    {
        var gen = new Generator((ulong)(h * 31 + w));
        var image = Enumerable.Range(0, h * w).Select(_ => gen.NextDouble()).ToArray();
        // forward rfft2 by the definition: X[k, l] = Σ_m Σ_n x[m, n]·e^(−2πi(km/h + ln/w)), l = 0..w/2
        int wf = w / 2 + 1;
        var coeffs = new double[2 * h * wf];
        for (int k = 0; k < h; k++)
            for (int l = 0; l < wf; l++)
            {
                double re = 0, im = 0;
                for (int m = 0; m < h; m++)
                    for (int n = 0; n < w; n++)
                    {
                        double a = -2 * Math.PI * (k * m / (double)h + l * n / (double)w);
                        re += image[m * w + n] * Math.Cos(a);
                        im += image[m * w + n] * Math.Sin(a);
                    }
                coeffs[k * wf + l] = re;
                coeffs[(h + k) * wf + l] = im;
            }
        var basis = Tensor.FromDoubles(FourierBasis.InverseMatrix(h, w), [coeffs.Length, h * w], DType.Float64);
        var back = Tensor.FromDoubles(coeffs, [1, coeffs.Length], DType.Float64).MatMul(basis).ToDoubleArray();
        for (int i = 0; i < image.Length; i++) Assert.Equal(image[i], back[i], 10);
    }

    [Fact]
    public void FourierScaleIsOneOverFrequencyWithLucidsFloor()
    {
        // numpy: fftfreq(4) = [0, .25, -.5, -.25]; rfft columns of w = 6: [0, 1/6, 2/6, 3/6]
        double[] fy = [0, 0.25, -0.5, -0.25], fx = [0, 1 / 6.0, 2 / 6.0, 0.5];
        var scale = FourierBasis.Scale(4, 6);
        Assert.Equal(4 * 4, scale.Length);
        double unit = Math.Sqrt(24);
        for (int k = 0; k < 4; k++)
            for (int l = 0; l < 4; l++)
            {
                double f = Math.Sqrt(fy[k] * fy[k] + fx[l] * fx[l]);
                double expected = unit / Math.Max(f, 1 / 6.0);
                Assert.Equal(expected, scale[k * 4 + l], 12);
                if (f >= 1 / 6.0) Assert.Equal(unit, scale[k * 4 + l] * f, 12);   // 1/f above the floor
            }
        Assert.Equal(6 * unit, scale[0], 12);   // DC: 1/(1/max(h, w))
        var squared = FourierBasis.Scale(4, 6, decayPower: 2);
        Assert.Equal(unit / (0.25 * 0.25), squared[1 * 4 + 0], 10);
    }

    [Fact]
    public void FourierImageOfAZeroSpectrumIsGreyAndItsSpectrumMapsThroughTheScaledBasis()
    {
        var p = new FourierImage(2, 1, 6, 6, gen: new Generator(9), dtype: DType.Float64);
        var raw = p.Spectrum.Detach().ToDoubleArray();
        var scale = FourierBasis.Scale(6, 6);
        var scaled = raw.Select((v, i) => v * scale[i % scale.Length] / 4).ToArray();
        var basis = Tensor.FromDoubles(FourierBasis.InverseMatrix(6, 6), [FourierBasis.Coefficients(6, 6), 36], DType.Float64);
        var expected = Tensor.FromDoubles(scaled, [2, scaled.Length / 2], DType.Float64).MatMul(basis).Sigmoid().ToDoubleArray();
        var image = p.Image().ToDoubleArray();
        for (int i = 0; i < image.Length; i++) Assert.Equal(expected[i], image[i], 12);
        using (Interp.Autograd.GradMode.NoGrad()) p.Spectrum.Backend.Copy(Tensor.ZerosLike(p.Spectrum), p.Spectrum);
        Assert.All(p.Image().ToDoubleArray(), v => Assert.Equal(0.5, v, 12));
    }

    // ---- regularisers ----

    static Activations InputOnly(Tensor x) => name => name == "input" ? x : throw new ArgumentException(name);

    [Fact]
    public void TotalVariationAndL2HaveTheirDefiningValues()
    {
        var x = Tensor.FromDoubles([1, 4, 2, 0, 3, 3], [1, 1, 2, 3], DType.Float64);
        // rows: |0−1| + |3−4| + |3−2| = 3; columns: |4−1| + |2−4| + |3−0| + |3−3| = 8
        Assert.Equal(11, Objective.TotalVariation().Evaluate(InputOnly(x)).Item(), 12);
        Assert.Equal(Math.Sqrt(1e-6 + 1 + 16 + 4 + 0 + 9 + 9), Objective.L2().Evaluate(InputOnly(x)).Item(), 12);
        Assert.Equal(Math.Sqrt(1e-6 + 0.25 + 12.25 + 2.25 + 0.25 + 6.25 + 6.25), Objective.L2(constant: 0.5).Evaluate(InputOnly(x)).Item(), 12);
    }

    [Property(MaxTest = 8)]
    public void RegularisersGradientsMatchFiniteDifferences(int seed)
    {
        var d = new TestData(seed);
        var shape = new[] { d.Int(1, 2), d.Int(1, 2), d.Int(2, 4), d.Int(2, 4) };
        var (leaf, view, _) = d.View(shape);
        GradCheck.Assert(xs => Objective.TotalVariation().Evaluate(InputOnly(view(xs[0]))), [d.Tensor(leaf)]);
        GradCheck.Assert(xs => Objective.L2(constant: 0.3).Evaluate(InputOnly(view(xs[0]))), [d.Tensor(leaf)]);
        shape[0] = d.Int(2, 3);   // diversity compares images: a batch of at least two
        var (batchLeaf, batchView, _) = d.View(shape);
        GradCheck.Assert(xs => Objective.Diversity("input").Evaluate(InputOnly(batchView(xs[0]).Relu() + 0.1)), [d.Tensor(batchLeaf)]);
    }

    // ---- diversity and the objectives' algebra ----

    [Fact]
    public void DiversityIsLowestForIdenticalImages()
    {
        var one = Tensor.Rand([1, 4, 5, 5], new Generator(10), DType.Float64);
        var same = one.Expand(3, 4, 5, 5);
        var different = Tensor.Rand([3, 4, 5, 5], new Generator(11), DType.Float64);
        double sameValue = Objective.Diversity("input").Evaluate(InputOnly(same)).Item();
        double differentValue = Objective.Diversity("input").Evaluate(InputOnly(different)).Item();
        Assert.Equal(-2, sameValue, 10);   // −(N − 1): every pair of unit Gram matrices has cosine 1
        Assert.True(differentValue > sameValue, $"different {differentValue} vs identical {sameValue}");
        Assert.Throws<ArgumentException>(() => Objective.Diversity("input").Evaluate(InputOnly(one)));
    }

    [Fact]
    public void ObjectivesComposeAndPickTheirUnits()
    {
        var a = Tensor.Randn([3, 4, 5, 6], new Generator(12), DType.Float64);
        var dense = Tensor.Randn([3, 7], new Generator(13), DType.Float64);
        Activations t = name => name switch { "conv" => a, "fc" => dense, _ => throw new ArgumentException(name) };
        double V(Objective o) => o.Evaluate(t).Item();

        Assert.Equal(a.Select(1, 2).Mean().Item(), V(Objective.Channel("conv", 2)), 12);
        Assert.Equal(a.GetValue(1, 2, 2, 3), V(Objective.Neuron("conv", 2, batch: 1)), 12);   // centre of 5x6 is (2, 3)
        Assert.Equal(a.GetValue(0, 3, 4, 0), V(Objective.Neuron("conv", 3, 4, 0, batch: 0)), 12);
        Assert.Equal(dense.Select(1, 5).Mean().Item(), V(Objective.Channel("fc", 5)), 12);
        Assert.Equal(dense.GetValue(2, 6), V(Objective.Neuron("fc", 6, batch: 2)), 12);
        Assert.Equal(a.Narrow(0, 1, 1).Mean().Item(), V(Objective.LayerMean("conv", batch: 1)), 12);

        var dir = Tensor.FromDoubles([1, -2, 0.5, 3], [4], DType.Float64);
        double manual = 0;
        for (int n = 0; n < 3; n++) for (int y = 0; y < 5; y++) for (int x = 0; x < 6; x++)
            for (int c = 0; c < 4; c++) manual += a.GetValue(n, c, y, x) * dir.GetValue(c);
        Assert.Equal(manual / 90, V(Objective.Direction("conv", dir)), 10);

        var c1 = Objective.Channel("conv", 1);
        var c2 = Objective.Neuron("fc", 0);
        Assert.Equal(V(c1) - 0.5 * V(c2), V(c1 - 0.5 * c2), 12);
        Assert.Equal(V(c1) + V(c2) + V(c1), V(Objective.Sum([c1, c2, c1])), 12);
        Assert.Equal(-V(c2) / 4, V(-c2 / 4), 12);

        var e = Assert.Throws<ArgumentException>(() => V(Objective.Channel("conv", 9)));
        Assert.Contains("conv", e.Message);
        Assert.Contains("9", e.Message);
        Assert.Throws<ArgumentException>(() => V(Objective.Channel("conv", 0, batch: 3)));
        Assert.Throws<ArgumentException>(() => V(Objective.Direction("conv", Tensor.Ones([3], DType.Float64))));
    }
}
