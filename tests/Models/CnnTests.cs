using System.Diagnostics;
using System.Text.Json;
using Interp.Data;
using Interp.IO;
using Interp.Models;
using Interp.Nn;
using Interp.Optim;
using Interp.Training;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Models;

public class CnnTests(ITestOutputHelper output)
{
    static string FixturePath => Path.Combine(AppContext.BaseDirectory, "fixtures", "cnn.safetensors");

    [Fact]
    public void DefaultIsPyTorchsMnistExampleAndEis7IsExpressible()
    {
        var torchExample = new Cnn(gen: new Generator(0));
        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
            torchExample.NamedParameters().Select(p => p.Name));
        Assert.Equal([128, 9216], torchExample.Fc1.Weight.ShapeArray);
        var eis = new Cnn(CnnConfig.Eis7, new Generator(0));
        var shapes = eis.NamedParameters().ToDictionary(p => p.Name, p => p.Param.ShapeArray);
        Assert.Equal([8, 1, 3, 3], shapes["conv1.weight"]);
        Assert.Equal([16, 8, 3, 3], shapes["conv2.weight"]);
        Assert.Equal([200, 400], shapes["fc1.weight"]);
        Assert.Equal([2, 200], shapes["fc2.weight"]);
        Assert.Equal([5, 2], eis.Forward(Tensor.Rand([5, 1, 28, 28], new Generator(1))).ShapeArray);
    }

    [Fact]
    public void InitUsesPyTorchsKaimingUniformBounds()
    {
        var cnn = new Cnn(new CnnConfig(Conv1Channels: 6, Conv2Channels: 10), new Generator(2));
        foreach (var (name, p, fanIn) in new[] { ("conv1", cnn.Conv1.Weight, 9), ("conv2", cnn.Conv2.Weight, 6 * 9), ("fc1", cnn.Fc1.Weight, cnn.Config.FlatFeatures) })
        {
            double bound = 1 / Math.Sqrt(fanIn), max = p.ToDoubleArray().Max(Math.Abs);
            Assert.True(max <= bound && max > 0.9 * bound, $"{name}: max |w| {max}, bound {bound}");
        }
    }

    [Theory]
    [InlineData("mnist_layout")]
    [InlineData("eis7_layout")]
    public void LogitsMatchPyTorch(string name)
    {
        using var file = SafeTensorsFile.Open(FixturePath);
        var config = JsonSerializer.Deserialize<CnnConfig>(file.Metadata[name])!;
        var cnn = new Cnn(config, new Generator(0));
        cnn.LoadStateDict(TensorIO.ReadAll(file, name + ".").Where(kv => kv.Key is not ("x" or "logits")).ToDictionary());
        cnn.Eval();
        var logits = cnn.Forward(TensorIO.Read(file, name + ".x")).ToDoubleArray();
        var expected = file.ReadFloat64(name + ".logits");
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4 * scale, $"{name} logit {i}: {logits[i]} vs PyTorch {expected[i]}");
    }

    [Fact]
    public void LoadRefusesMissingAndMisShapedTensorsByName()
    {
        var cnn = new Cnn(CnnConfig.Eis7, new Generator(0));
        var state = cnn.StateDict();
        state.Remove("fc2.bias");
        var missing = Assert.Throws<ArgumentException>(() => cnn.LoadStateDict(state));
        Assert.Contains("'fc2.bias' [2]", missing.Message);

        var other = new Cnn(CnnConfig.Eis7 with { Hidden = 100 }, new Generator(0)).StateDict();
        var misShaped = Assert.Throws<ArgumentException>(() => cnn.LoadStateDict(other));
        Assert.Contains("'fc1.weight'", misShaped.Message);
        Assert.Contains("[200, 400]", misShaped.Message);
        Assert.Contains("[100, 400]", misShaped.Message);

        state = cnn.StateDict();
        state["conv3.weight"] = Tensor.Zeros([1]);
        Assert.Contains("'conv3.weight'", Assert.Throws<ArgumentException>(() => cnn.LoadStateDict(state)).Message);
    }

    [Fact]
    public void SafeTensorsRoundTripKeepsTheLogits()
    {
        var a = new Cnn(CnnConfig.Eis7, new Generator(3));
        var b = new Cnn(CnnConfig.Eis7, new Generator(4));
        var x = Tensor.Rand([2, 1, 28, 28], new Generator(5));
        string path = Path.Combine(Path.GetTempPath(), $"interp-cnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            a.SaveSafeTensors(path);
            b.LoadSafeTensors(path);
            Assert.Equal(a.Forward(x).ToFloatArray(), b.Forward(x).ToFloatArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void HooksSeeAndReplaceEveryLayerOutput()
    {
        var cnn = new Cnn(CnnConfig.Eis7, new Generator(6));
        var x = Tensor.Rand([2, 1, 28, 28], new Generator(7));
        var (logits, cache) = cnn.RunWithCache(x);
        Assert.Equal(cnn.HookNames, cache.Keys);
        Assert.Equal([2, 8, 26, 26], cache["hook_conv1"].ShapeArray);
        Assert.Equal([2, 8, 13, 13], cache["hook_pool1"].ShapeArray);
        Assert.Equal([2, 16, 5, 5], cache["hook_pool"].ShapeArray);
        Assert.Equal([2, 200], cache["hook_relu3"].ShapeArray);
        Assert.Equal(logits.ToFloatArray(), cache["hook_logits"].ToFloatArray());
        Assert.Empty(cnn.Hooks);

        // zero-ablating fc1's ReLU leaves only fc2's bias
        cnn.Hooks["hook_relu3"] = a => Tensor.ZerosLike(a);
        var ablated = cnn.Forward(x).ToFloatArray();
        var bias = cnn.Fc2.Bias!.ToFloatArray();
        Assert.Equal([.. bias, .. bias], ablated);
    }

    // with no hook on a ReLU before a pool the model pools first and applies the ReLU to the pooled map; an observing
    // hook puts the ReLU back before the pool: both give the same logits and the same gradient of every parameter
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PoolingBeforeTheReluGivesTheSameLogitsAndGradients(bool eis7)
    {
        var cnn = new Cnn(eis7 ? CnnConfig.Eis7 : new CnnConfig(Conv1Channels: 8, Conv2Channels: 12, Hidden: 16), new Generator(8));
        var x = Tensor.Randn([3, 1, 28, 28], new Generator(9));
        var y = Tensor.RandInt(0, cnn.Config.Classes, [3], new Generator(10));
        (float[] Logits, float[][] Grads) Run()
        {
            foreach (var p in cnn.Parameters()) p.Grad = null;
            var logits = cnn.Forward(x);
            logits.CrossEntropy(y).Backward();
            return (logits.ToFloatArray(), [.. cnn.Parameters().Select(p => p.Grad!.ToFloatArray())]);
        }
        var pooledFirst = Run();
        int seen = 0;
        cnn.Hooks["hook_relu1"] = a => { seen++; return null; };
        cnn.Hooks["hook_relu2"] = a => { seen++; return null; };
        var reluFirst = Run();
        Assert.Equal(2, seen);
        Close(reluFirst.Logits, pooledFirst.Logits);
        for (int i = 0; i < reluFirst.Grads.Length; i++) Close(reluFirst.Grads[i], pooledFirst.Grads[i]);

        static void Close(float[] expect, float[] got)
        {
            double scale = Math.Max(1e-30, expect.Max(v => Math.Abs(v)));
            Assert.True(expect.Max(v => Math.Abs(v)) > 0, "a gradient that is all zero tests nothing");
            for (int i = 0; i < expect.Length; i++)
                Assert.True(Math.Abs(expect[i] - got[i]) <= 1e-5 * scale, $"element {i}: {got[i]} vs {expect[i]}");
        }
    }

    [Fact]
    public void ASmallCnnLearnsFashionMnist()
    {
        if (!FashionMnist.IsAvailable) { output.WriteLine($"skipped: install {FashionMnist.DebianPackage}"); return; }
        var train = ImageClassification.Take(FashionMnist.Load(train: true), 1500);
        var test = ImageClassification.Take(FashionMnist.Load(train: false), 500);
        var clock = Stopwatch.StartNew();
        var gen = new Generator(11);
        var cnn = new Cnn(new CnnConfig(Conv1Channels: 8, Conv2Channels: 16, PoolAfterConv1: true, Hidden: 64), gen);
        var trainer = new Trainer(cnn, new Adam(cnn.Parameters(), 2e-3), train.Count, rows =>
        {
            var (x, y) = ImageClassification.Batch(train, rows);
            return cnn.Forward(x).CrossEntropy(y);
        }, new TrainerOptions(Epochs: 2, BatchSize: 32, Seed: 11), gen);
        var losses = trainer.Run();
        cnn.Eval();
        double accuracy = ImageClassification.Accuracy(cnn.Forward, test);
        output.WriteLine($"{losses.Count} steps, loss {losses[0]:F3} → {losses.TakeLast(10).Average():F3}, test accuracy {accuracy:P1}, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.InRange(losses[0], 2.0, 2.6);
        Assert.True(accuracy >= 0.65, $"test accuracy {accuracy:P1} on 500 real test images, expected ≥ 65%");
    }
}
