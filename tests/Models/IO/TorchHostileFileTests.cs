using System.IO.Compression;
using System.Text;
using Interp.IO;
using Xunit;

namespace Interp.Tests.Models.IO;

/// <summary>
/// Small torch files built to cost a lot: deep or cyclic dict nesting, a view with stride 0 over a huge size, a storage
/// record of deflated zeros far larger than its tensor. Each loads (or is refused) with a clear error, and with memory
/// bounded by what the tensors honestly hold.
/// </summary>
public sealed class TorchHostileFileTests : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    static byte[] Str(string s) => [0x8c, (byte)s.Length, .. Encoding.ASCII.GetBytes(s)];   // SHORT_BINUNICODE
    static byte[] Int(int v) => [(byte)'J', .. BitConverter.GetBytes(v)];                    // BININT
    static byte[] Int(long v) => v is >= int.MinValue and <= int.MaxValue ? Int((int)v) : [0x8a, 8, .. BitConverter.GetBytes(v)];   // LONG1
    static byte[] Global(string module, string name) => [(byte)'c', .. Encoding.ASCII.GetBytes($"{module}\n{name}\n")];

    /// <summary>_rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', numel), offset, size, stride, False, None).</summary>
    static byte[] FloatTensor(string key, int numel, int offset, long[] size, long[] stride) =>
    [
        .. Global("torch._utils", "_rebuild_tensor_v2"),
        (byte)'(',
            (byte)'(', .. Str("storage"), .. Global("torch", "FloatStorage"), .. Str(key), .. Str("cpu"), .. Int(numel), (byte)'t', (byte)'Q',
            .. Int(offset),
            (byte)'(', .. size.SelectMany(d => Int(d)), (byte)'t',
            (byte)'(', .. stride.SelectMany(d => Int(d)), (byte)'t',
            0x89, (byte)'N',
        (byte)'t', (byte)'R',
    ];

    string Write(string name, byte[] pickle, params (string Key, byte[] Bytes)[] storages)
    {
        string path = tmp.File(name);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("archive/data.pkl").Open()) s.Write(pickle);
            foreach (var (key, bytes) in storages)
                using (var s = zip.CreateEntry("archive/data/" + key, CompressionLevel.Optimal).Open()) s.Write(bytes);
        }
        return path;
    }

    static long Allocated(Action load)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        load();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Deeply_nested_dicts_are_refused_without_overflowing_the_stack()
    {
        const int depth = 100_000;   // a 500 KB pickle; recursion over it would overflow the stack and kill the process
        var pickle = new List<byte> { 0x80, 2, (byte)'}' };
        for (int i = 0; i < depth; i++) pickle.AddRange([.. Str("a"), (byte)'}']);
        for (int i = 0; i < depth; i++) pickle.Add((byte)'s');
        pickle.Add((byte)'.');
        var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(Write("deep.pt", [.. pickle])));
        Assert.Contains("deep.pt", e.Message);
        Assert.Contains($"more than {TorchStateDict.MaxNesting} levels", e.Message);
    }

    [Fact]
    public void A_dict_that_contains_itself_is_refused()
    {
        byte[] pickle = [0x80, 2, (byte)'}', (byte)'q', 0, .. Str("self"), (byte)'h', 0, (byte)'s', (byte)'.'];   // d = {}; d['self'] = d
        var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(Write("cycle.pt", pickle)));
        Assert.Contains("entry 'self'", e.Message);
        Assert.Contains("already reached", e.Message);
    }

    [Fact]
    public void A_stride_zero_view_stays_expanded_instead_of_materialising()
    {
        const int huge = 500_000_000;   // 2 GB as a float32 array; the file holds one value
        byte[] pickle = [0x80, 2, (byte)'}', .. Str("w"), .. FloatTensor("0", 1, 0, [huge], [0]), (byte)'s', (byte)'.'];
        string path = Write("stride0.pt", pickle, ("0", BitConverter.GetBytes(2.5f)));
        IReadOnlyDictionary<string, Tensor>? sd = null;
        long bytes = Allocated(() => sd = TorchStateDict.Load(path));
        Assert.True(bytes < 16 << 20, $"loading allocated {bytes} bytes");
        var w = sd!["w"];
        Assert.Equal([huge], w.Shape);
        Assert.Equal(2.5, w.GetValue(0));
        Assert.Equal(2.5, w.GetValue(huge - 1));
    }

    [Fact]
    public void A_storage_record_is_read_only_as_far_as_its_views_reach()
    {
        var zeros = new byte[256 << 20];   // 256 MB of zeros deflate to about 256 KB
        BitConverter.GetBytes(1.5f).CopyTo(zeros, 4);
        byte[] pickle = [0x80, 2, (byte)'}', .. Str("v"), .. FloatTensor("0", zeros.Length / 4, 0, [4], [1]), (byte)'s', (byte)'.'];
        string path = Write("zeros.pt", pickle, ("0", zeros));
        zeros = null!;
        IReadOnlyDictionary<string, Tensor>? sd = null;
        long bytes = Allocated(() => sd = TorchStateDict.Load(path));
        Assert.True(bytes < 16 << 20, $"loading allocated {bytes} bytes");
        Assert.Equal([0.0, 1.5, 0.0, 0.0], sd!["v"].ToDoubleArray());
    }

    [Fact]
    public void A_view_beyond_its_records_bytes_is_refused()
    {
        byte[] pickle = [0x80, 2, (byte)'}', .. Str("v"), .. FloatTensor("0", 8, 0, [8], [1]), (byte)'s', (byte)'.'];
        string path = Write("short.pt", pickle, ("0", new byte[12]));   // 3 floats where the view needs 8
        var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(path));
        Assert.Contains("short.pt", e.Message);
        Assert.Contains("fewer than the 32", e.Message);
    }

    [Theory]
    [InlineData(0L, 3_000_000_000L)]          // no elements, but a dimension no int32 shape can hold
    [InlineData(3_000_000_000L, 1L)]
    public void A_dimension_beyond_int32_is_refused_with_the_file_name(long rows, long cols)
    {
        byte[] pickle = [0x80, 2, (byte)'}', .. Str("w"), .. FloatTensor("0", 1, 0, [rows, cols], [0, 0]), (byte)'s', (byte)'.'];
        var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(Write("wide.pt", pickle, ("0", new byte[4]))));
        Assert.Contains("wide.pt", e.Message);
        Assert.Contains("beyond Interp's int32 sizes", e.Message);
    }
}
