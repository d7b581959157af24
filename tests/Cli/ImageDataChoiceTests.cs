using Interp.Data;
using Interp.Models;
using Interp.Nn;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// Which images the image verbs (neurons, ablate, pca, readout, features, transform, rule) run a CNN on without --data:
/// Fashion-MNIST for a folder from <c>interp train</c> (which trains on it), the MNIST digits for a PyTorch .pt file,
/// and the line on stderr that says which. Fashion-MNIST is redirected with INTERP_FASHION_MNIST to ten blank images.
/// </summary>
[Collection("Console")]
public class ImageDataChoiceTests
{
    const int Count = 10, Side = 28;

    [Theory]
    [InlineData("ablate --model {cnn} --units 0")]
    [InlineData("readout --model {cnn} --out {out}")]
    [InlineData("transform --model {cnn} --transform invert")]
    public void ATrainedCnnFolderIsRunOnFashionMnistAndAPtFileOnTheDigits(string verb)
    {
        using var dir = new TempDir();
        string fashion = dir.File("fashion"), cnn = dir.File("cnn");
        Directory.CreateDirectory(fashion);
        Directory.CreateDirectory(cnn);
        foreach (var file in new[] { FashionMnist.TrainImagesFile, FashionMnist.TestImagesFile })
            File.WriteAllBytes(Path.Combine(fashion, file), [0, 0, Idx.TypeUByte, 3, .. BigEndian(Count), .. BigEndian(Side), .. BigEndian(Side), .. new byte[Count * Side * Side]]);
        foreach (var file in new[] { FashionMnist.TrainLabelsFile, FashionMnist.TestLabelsFile })
            File.WriteAllBytes(Path.Combine(fashion, file), [0, 0, Idx.TypeUByte, 1, .. BigEndian(Count), .. Enumerable.Range(0, Count).Select(i => (byte)i)]);
        new Cnn(new CnnConfig(Conv1Channels: 4, Conv2Channels: 4, PoolAfterConv1: true, Hidden: 8), new Generator(1))
            .SaveSafeTensors(Path.Combine(cnn, "model.safetensors"));
        string eis7 = Path.Combine(DataPaths.SharedData() ?? throw new InvalidOperationException("no ../shared/data"), "eis7", "mnist_model.pt");

        string before = Environment.GetEnvironmentVariable("INTERP_FASHION_MNIST")!;
        Environment.SetEnvironmentVariable("INTERP_FASHION_MNIST", fashion);
        try
        {
            var (exit, _, err) = InterpCli.Run(verb.Replace("{cnn}", cnn).Replace("{out}", dir.File("out1")).Split(' '));
            Assert.True(exit == 0, err);
            Assert.Contains($"{Count} images of the Fashion-MNIST test set", err);
            (exit, _, err) = InterpCli.Run([.. verb.Replace("{cnn}", eis7).Replace("{out}", dir.File("out2")).Split(' '), "--stride", "1000"]);
            Assert.True(exit == 0, err);
            Assert.Contains("10 images of MNIST (the 10k digits) (--stride 1000)", err);
            (exit, _, err) = InterpCli.Run([.. verb.Replace("{cnn}", cnn).Replace("{out}", dir.File("out3")).Split(' '), "--data", "mnist", "--stride", "1000"]);
            Assert.True(exit == 0, err);
            Assert.Contains("10 images of MNIST", err);
        }
        finally { Environment.SetEnvironmentVariable("INTERP_FASHION_MNIST", before); }
    }

    static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
}
