using System.Text.Json;
using Interp.Data;
using Interp.IO;
using Xunit;

namespace Interp.Tests.Models.IO;

/// <summary>TorchStateDict against files written by torch.save (tests/fixtures/make_torch_fixtures.py).</summary>
public sealed class TorchStateDictTests : IDisposable
{
    static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "torch");
    static string Fixture(string name) => Path.Combine(Dir, name);
    static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Fixture("expected.json"))).RootElement;

    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    /// <summary>Shape, sum and the first elements (logical order) agree with what torch printed.</summary>
    static void AssertMatches(JsonElement expected, IReadOnlyDictionary<string, Tensor> got, double tol)
    {
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name), got.Keys);
        foreach (var p in expected.EnumerateObject())
        {
            var t = got[p.Name];
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()), t.Shape);
            double[] values = t.ToDoubleArray();
            double sum = p.Value.GetProperty("sum").GetDouble();
            Assert.True(Math.Abs(values.Sum() - sum) <= tol * (1 + Math.Abs(sum)), $"{p.Name}: sum {values.Sum()} vs torch {sum}");
            var first = p.Value.GetProperty("first").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var head = values.Take(first.Length).ToArray();
            for (int i = 0; i < first.Length; i++)
                Assert.True(Math.Abs(head[i] - first[i]) <= tol * (1 + Math.Abs(first[i])), $"{p.Name}[{i}]: {head[i]} vs torch {first[i]}");
        }
    }

    [Fact]
    public void EisMnistCnnMatchesTorch()
    {
        string? shared = DataPaths.SharedData();
        Assert.True(shared is not null, "../shared/data not found");
        var sd = TorchStateDict.Load(Path.Combine(shared!, "eis7", "mnist_model.pt"));
        Assert.Equal(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], sd.Keys);
        Assert.Equal([16, 8, 3, 3], sd["conv2.weight"].Shape);
        Assert.Equal([200, 400], sd["fc1.weight"].Shape);
        Assert.All(sd.Values, t => Assert.Equal(DType.Float32, t.DType));
        AssertMatches(Expected.GetProperty("eis_mnist"), sd, 1e-9);
    }

    [Theory]
    [InlineData("basic.pt")]
    [InlineData("basic_proto4.pt")]   // protocol 4: FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL
    [InlineData("renamed.pt")]        // another archive folder name, and a byteorder record
    public void ReadsEveryDTypeAndView(string file)
    {
        AssertMatches(Expected.GetProperty("basic"), TorchStateDict.Load(Fixture(file), DType.Float64), 1e-12);
        var sd = TorchStateDict.Load(Fixture(file));
        AssertMatches(Expected.GetProperty("basic"), sd, 1e-6);
        Assert.Equal(DType.Float32, sd["f64"].DType);
        Assert.Equal(DType.Float32, sd["f16"].DType);
        Assert.Equal(DType.Int32, sd["i64"].DType);
        Assert.Equal([0, -5, 7, int.MaxValue, int.MinValue], sd["i64"].ToIntArray());
        Assert.Equal([0, 200, 255], sd["u8"].ToIntArray());
        Assert.Equal([1, 0, 1], sd["flag"].ToIntArray());
        Assert.Empty(sd["scalar"].Shape);
        Assert.Equal([0, 3], sd["empty"].Shape);
    }

    [Fact]
    public void ViewsOfOneStorageComeOutIndependent()
    {
        var sd = TorchStateDict.Load(Fixture("basic.pt"), DType.Float64);
        var a = sd["shared_a"].ToDoubleArray();   // base[2:8].view(2, 3)
        var b = sd["shared_b"].ToDoubleArray();   // base[1::3] = base[1, 4, 7, 10]
        Assert.Equal(a[2], b[1]);                 // base[4]
        Assert.Equal(a[5], b[2]);                 // base[7]
        Assert.True(sd["transposed"].IsContiguous);
        Assert.Equal([4, 3], sd["transposed"].Shape);
    }

    [Fact]
    public void Float64IsExactWhenAskedFor()
    {
        var sd = TorchStateDict.Load(Fixture("basic.pt"), DType.Float64);
        Assert.Equal(DType.Float64, sd["f64"].DType);
        var first = Expected.GetProperty("basic").GetProperty("f64").GetProperty("first").EnumerateArray().Select(e => e.GetDouble());
        Assert.Equal(first, sd["f64"].ToDoubleArray());
    }

    [Fact]
    public void PlainDictAndParameters()
    {
        var sd = TorchStateDict.Load(Fixture("plain_dict.pt"));
        AssertMatches(Expected.GetProperty("plain_dict"), sd, 1e-12);
    }

    [Theory]
    [InlineData("evil_os_system.pt", "'posix.system'", "GLOBAL")]
    [InlineData("evil_eval.pt", "'__builtin__.eval'", "GLOBAL")]
    [InlineData("bad_opcode.pt", "0x82", "EXT1")]
    [InlineData("load_from_bytes.pt", "'torch.storage._load_from_bytes'", "GLOBAL")]
    public void MaliciousPicklesAreRefused(string file, string what, string opcode)
    {
        var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(Fixture(file)));
        Assert.Contains(file, e.Message);
        Assert.Contains(what, e.Message);
        Assert.Contains($"opcode {opcode} at byte ", e.Message);
    }

    [Fact]
    public void Int64OutsideInt32IsRefused()
    {
        var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(Fixture("int64_overflow.pt")));
        Assert.Contains("'big' holds 2147483648", e.Message);
    }

    [Fact]
    public void TruncatedAndGarbageFilesGiveClearErrors()
    {
        byte[] real = File.ReadAllBytes(Fixture("basic.pt"));
        var cases = new Dictionary<string, byte[]>
        {
            ["empty.pt"] = [],
            ["garbage.pt"] = Enumerable.Range(0, 1000).Select(i => (byte)(i * 37 + 11)).ToArray(),
            ["half.pt"] = real[..(real.Length / 2)],
            ["no_tail.pt"] = real[..^30],
        };
        foreach (var (name, bytes) in cases)
        {
            File.WriteAllBytes(tmp.File(name), bytes);
            var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(tmp.File(name)));
            Assert.Contains(name, e.Message);
        }
    }

    string WritePickle(string name, byte[] pickle)
    {
        using var zip = System.IO.Compression.ZipFile.Open(tmp.File(name), System.IO.Compression.ZipArchiveMode.Create);
        using var s = zip.CreateEntry("archive/data.pkl").Open();
        s.Write(pickle);
        return tmp.File(name);
    }

    [Fact]
    public void CorruptPickleIsRefusedWithItsOffset()
    {
        // data.pkl cut short inside a string: the machine reports where it ran out.
        string cut = WritePickle("cut.pt", [0x80, 0x02, (byte)'}', (byte)'q', 0, (byte)'(', (byte)'X', 5, 0, 0, 0, (byte)'a', (byte)'b']);
        var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(cut));
        Assert.Contains("BINUNICODE at byte 6", e.Message);
    }

    [Fact]
    public void AllowedGlobalsAreNotCallableInOtherWays()
    {
        // REDUCE(torch.FloatStorage, ()): an allowed name, but only as a persistent-id storage type.
        string call = WritePickle("call.pt", [0x80, 0x02, (byte)'c', .. "torch\nFloatStorage\n"u8, (byte)')', (byte)'R', (byte)'.']);
        var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(call));
        Assert.Contains("calling torch.FloatStorage with 0 arguments is not supported (opcode REDUCE at byte 23", e.Message);
    }
}
