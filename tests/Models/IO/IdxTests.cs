using System.IO.Compression;
using Interp.Data;
using Xunit;

namespace Interp.Tests.Models.IO;

public sealed class IdxTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    private static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    private string Save(string name, byte[] bytes)
    {
        string p = _tmp.File(name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    // 2 x 3 ubyte array, hand-built.
    private static readonly byte[] Raw23 = [0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 10, 11, 12, 20, 21, 22];

    [Fact]
    public void ReadsRawAndGzip_DetectedByMagicNotName()
    {
        foreach (var (name, bytes) in new[] { ("raw.gz", Raw23), ("gz.idx", Gzip(Raw23)), ("plain-idx3-ubyte", Raw23), ("x.gz", Gzip(Raw23)) })
        {
            var a = Idx.Read(Save(name, bytes));
            Assert.Equal([2, 3], a.Shape);
            Assert.Equal(Raw23[12..], a.Data);
        }
    }

    [Fact]
    public void WriteThenRead_RoundTrips()
    {
        var data = Enumerable.Range(0, 4 * 5 * 6).Select(i => (byte)(i * 7)).ToArray();
        var arr = new IdxArray([4, 5, 6], data);
        foreach (bool gz in new[] { false, true })
        {
            string p = _tmp.File($"rt{gz}.idx");
            Idx.Write(p, arr, gz);
            Assert.Equal(gz, File.ReadAllBytes(p)[0] == 0x1f);
            var back = Idx.Read(p);
            Assert.Equal(arr.Shape, back.Shape);
            Assert.Equal(arr.Data, back.Data);
        }
        // Zero dimensions: a scalar of one byte; a zero-length dimension: no data.
        Assert.Equal([42], Idx.Read(Save("scalar", [0, 0, 8, 0, 42])).Data);
        Assert.Empty(Idx.Read(Save("empty", [0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 9])).Data);
    }

    private void AssertBad(string name, byte[] bytes, string phrase)
    {
        foreach (var (suffix, content) in new[] { ("", bytes), (".gz", Gzip(bytes)) })
        {
            string p = Save(name + suffix, content);
            var e = Assert.Throws<InvalidDataException>(() => Idx.Read(p));
            Assert.Contains(p, e.Message);
            Assert.Contains(phrase, e.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void MalformedFiles_ThrowInvalidDataNamingFile()
    {
        AssertBad("empty", [], "too short");
        AssertBad("short_magic", [0, 0, 8], "too short");
        AssertBad("bad_magic", [1, 0, 8, 1, 0, 0, 0, 1, 5], "bad IDX magic");
        AssertBad("bad_magic2", [0, 7, 8, 1, 0, 0, 0, 1, 5], "bad IDX magic");
        AssertBad("float_type", [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], "unsupported IDX data type 0x0d");
        AssertBad("int_type", [0, 0, 0x0C, 1, 0, 0, 0, 1, 0, 0, 0, 0], "unsupported");
        AssertBad("too_many_dims", [0, 0, 8, 9, .. new byte[36], 0], "9 dimensions");
        AssertBad("header_truncated", [0, 0, 8, 3, 0, 0, 0, 2, 0, 0], "header truncated");
        AssertBad("data_truncated", [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5], "truncated");
        AssertBad("trailing_data", [.. Raw23, 99], "size mismatch");
        AssertBad("negative_dim", [0, 0, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF], "negative");
        // Huge declared size with little data: no huge allocation, just "truncated".
        AssertBad("huge", [0, 0, 8, 3, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 1, 2], "more than");
        AssertBad("big_but_fits", [0, 0, 8, 1, 0x70, 0, 0, 0, 1, 2], "truncated");
    }

    [Fact]
    public void CorruptGzip_ThrowsInvalidDataNamingFile()
    {
        var gz = Gzip(Raw23);
        var broken = gz[..(gz.Length / 2)];
        broken[^1] ^= 0x55;
        string p = Save("corrupt.gz", [.. gz[..10], 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(p));
        Assert.Contains(p, e.Message);
        string p2 = Save("cut.gz", broken);
        Assert.Contains(p2, Assert.Throws<InvalidDataException>(() => Idx.Read(p2)).Message);
    }

    [Fact]
    public void RepoRootAndSharedData_AreFound()
    {
        var root = DataPaths.FindRepoRoot();
        Assert.NotNull(root);
        Assert.True(File.Exists(Path.Combine(root, "Interp.sln")));
    }

    [Fact]
    public void Mnist10k_LoadsRealDigits()
    {
        Assert.True(Mnist.IsAvailable, $"MNIST 10k not found under {Mnist.Directory ?? "(no ../shared/data)"}");
        var ds = Mnist.Load10k();
        Assert.Equal(10000, ds.Count);
        Assert.Equal(28, ds.Height);
        Assert.Equal(28, ds.Width);
        Assert.Equal(10000 * 28 * 28, ds.Images.Length);
        Assert.Equal(0f, ds.Images.Min());
        Assert.Equal(1f, ds.Images.Max());
        var counts = new int[10];
        foreach (var l in ds.Labels) counts[l]++; // throws if a label is out of 0..9
        Assert.All(counts, c => Assert.InRange(c, 850, 1150));
        Assert.Equal(10000, counts.Sum());
        // A digit has ink: mean pixel of image 0 well above 0, below 0.5.
        Assert.InRange(ds.Images.Take(784).Average(), 0.03, 0.5);
    }

    [Fact]
    public void FashionMnist_TrainAndTest()
    {
        Assert.True(FashionMnist.IsAvailable,
            $"Fashion-MNIST not found in {FashionMnist.Directory}: apt-get install -y {FashionMnist.DebianPackage}");
        var train = FashionMnist.Load(train: true);
        var test = FashionMnist.Load(train: false);
        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, test.Count);
        Assert.Equal(28, train.Height);
        Assert.Equal(60000 * 784, train.Images.Length);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6000, train.Labels.Count(l => l == c)));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, test.Labels.Count(l => l == c)));
        Assert.InRange(train.Images.Max(), 0.99f, 1f);
        Assert.True(train.Images.All(p => p >= 0f));
    }

    [Fact]
    public void FashionMnist_MissingGivesInstallHint()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(train: false, _tmp.File("none")));
        Assert.Contains("apt-get install -y dataset-fashion-mnist", e.Message);
    }
}
