using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Xunit;
using Interp.IO;
using Xunit;

namespace Interp.Tests.Models.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    private static byte[] Bytes(params ushort[] v)
    {
        var b = new byte[v.Length * 2];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), v[i]);
        return b;
    }

    private static (string, string, long[], ReadOnlyMemory<byte>) Raw(string name, string dtype, long[] shape, byte[] data) => (name, dtype, shape, data);

    // ------------------------------------------------------------------------------------------
    // Round trips
    // ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(new byte[] { 0x80, 0x04, 0x95, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7d, 0x94 }, "Python pickle")]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x08, 0x08, 0x00, 0x00, 0x00, 0x00 }, "zip archive, as torch.save writes")]
    [InlineData(new byte[] { 0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00 }, "NumPy .npy")]
    public void AFileOfAnotherFormatIsNamedAsSuch(byte[] head, string format)
    {
        // the real EIS VII label pickle starts 80 04 95: read as a length prefix that is 2.4 GB; the error says what the file is
        string path = _tmp.File("other.safetensors");
        File.WriteAllBytes(path, [.. head, .. new byte[64]]);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"starts like a {format}", e.Message);
    }

    [Fact]
    public void RoundTrip_AllDTypes_RawBytesShapesAndMetadata()
    {
        var rng = new Random(1);
        var entries = new List<(string name, string dtype, long[] shape, ReadOnlyMemory<byte> data)>();
        foreach (var dt in SafeTensorsDType.All)
        {
            long[] shape = [2, 3];
            var data = new byte[6 * SafeTensorsDType.SizeOf(dt)];
            rng.NextBytes(data);
            entries.Add((dt.ToLowerInvariant() + "_t", dt, shape, data));
        }
        entries.Add(("scalar", "F32", [], BitConverter.GetBytes(2.5f)));
        entries.Add(("empty", "F64", [0, 3], Array.Empty<byte>()));
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo \"quoted\" \n" };
        string path = _tmp.File("all.safetensors");
        SafeTensorsWriter.Write(path, entries, meta);

        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(path, f.Path);
        Assert.Equal(entries.Count, f.Names.Count);
        Assert.Equal(meta, f.Metadata);
        foreach (var (name, dtype, shape, data) in entries)
        {
            var info = f.GetInfo(name);
            Assert.Equal(dtype, info.DType);
            Assert.Equal(shape, info.Shape);
            Assert.Equal(data.Length, info.End - info.Begin);
            Assert.Equal(data.ToArray(), f.ReadBytes(name));
        }
        Assert.Equal(2.5f, Assert.Single(f.ReadFloat32("scalar")));
        Assert.Empty(f.ReadFloat64("empty"));

        // Header padded to a multiple of 8 with spaces; tensors laid out by dtype size (largest first), then name.
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        Assert.Equal(8 + n, f.DataStart);
        var ordered = f.Tensors.Values.Where(i => i.End > i.Begin).OrderBy(i => i.Begin).ToList();
        Assert.Equal(0, ordered[0].Begin);
        for (int i = 1; i < ordered.Count; i++)
        {
            Assert.Equal(ordered[i - 1].End, ordered[i].Begin); // contiguous
            Assert.True(SafeTensorsDType.SizeOf(ordered[i - 1].DType) >= SafeTensorsDType.SizeOf(ordered[i].DType));
        }
        foreach (var i in ordered) Assert.Equal(0, i.Begin % SafeTensorsDType.SizeOf(i.DType)); // aligned
        Assert.Equal(f.DataLength, ordered[^1].End);
    }

    [Fact]
    public void A_file_truncated_by_another_process_while_open_gives_a_clear_error()
    {
        // Memory-mapped, this read would kill the process with SIGBUS; read, it comes back short.
        string p = _tmp.File("shrinks.safetensors");
        var values = Enumerable.Range(0, 1 << 18).Select(i => (float)i).ToArray();
        SafeTensorsWriter.Write(p, [SafeTensorsWriter.F32("w", [values.Length], values), SafeTensorsWriter.I32("ids", [values.Length], new int[values.Length])]);
        using var file = SafeTensorsFile.Open(p);
        using (var truncate = System.Diagnostics.Process.Start("truncate", ["-s", "4096", p])) truncate.WaitForExit();
        foreach (Action read in new Action[] { () => file.ReadFloat32("w"), () => file.ReadFloat64("w"), () => file.ReadInt32("ids"), () => file.ReadBytes("w") })
        {
            var e = Assert.Throws<SafeTensorsFormatException>(read);
            Assert.Contains("shrinks.safetensors", e.Message);
            Assert.Contains("truncated", e.Message);
        }
    }

    [Fact]
    public void Float16_KnownBitPatterns()
    {
        ushort[] bits = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x0400, 0x3800, 0x7C00, 0xFC00, 0x8000, 0x3555];
        double[] want = [1.0, -2.0, 65504.0, Math.Pow(2, -24), Math.Pow(2, -14), 0.5, double.PositiveInfinity, double.NegativeInfinity, -0.0, 0.333251953125];
        string path = _tmp.File("f16.safetensors");
        SafeTensorsWriter.Write(path, [Raw("h", "F16", [bits.Length + 1], Bytes([.. bits, 0x7E00]))]);
        using var f = SafeTensorsFile.Open(path);
        var d = f.ReadFloat64("h");
        var s = f.ReadFloat32("h");
        for (int i = 0; i < want.Length; i++)
        {
            Assert.Equal(want[i], d[i]);
            Assert.Equal((float)want[i], s[i]);
        }
        Assert.True(double.IsNegative(d[8]));
        Assert.True(double.IsNaN(d[^1]) && float.IsNaN(s[^1]));

        // Writer conversion float -> F16 rounds to nearest even.
        string p2 = _tmp.File("f16w.safetensors");
        SafeTensorsWriter.Write(p2, [SafeTensorsWriter.F16("h", [3], [1.0f, 1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048])]);
        using var g = SafeTensorsFile.Open(p2);
        Assert.Equal(Bytes(0x3C00, 0x3C00, 0x3C02), g.ReadBytes("h"));
    }

    [Theory]
    [InlineData("F32")]
    [InlineData("F64")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void PartialReadsIntoASpanMatchTheWholeRead(string dtype)
    {
        // Small integers and halves are exact in every float format, so each element has one right answer.
        float[] values = [.. Enumerable.Range(0, 24).Select(i => (i - 11) * 0.5f)];
        string path = _tmp.File($"part-{dtype}.safetensors");
        SafeTensorsWriter.Write(path, [dtype switch
        {
            "F32" => SafeTensorsWriter.F32("w", [4, 6], values),
            "F64" => SafeTensorsWriter.F64("w", [4, 6], [.. values.Select(v => (double)v)]),
            "F16" => SafeTensorsWriter.F16("w", [4, 6], values),
            _ => SafeTensorsWriter.BF16("w", [4, 6], values),
        }]);
        using var f = SafeTensorsFile.Open(path);
        var row = new float[6];
        var wide = new double[6];
        for (int r = 0; r < 4; r++)
        {
            f.ReadFloat32Into("w", row, first: r * 6);
            f.ReadFloat64Into("w", wide, first: r * 6);
            Assert.Equal(values[(r * 6)..(r * 6 + 6)], row);
            Assert.Equal(values[(r * 6)..(r * 6 + 6)].Select(v => (double)v), wide);
        }
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadFloat32Into("w", row, first: 19));
        Assert.Contains("elements [19, 25) are outside tensor 'w' of 24", e.Message);
    }

    [Fact]
    public void BFloat16_KnownBitPatterns()
    {
        ushort[] bits = [0x3F80, 0xC000, 0x4049, 0x7F80, 0xFF80, 0x0001, 0x7F7F, 0x8000];
        double[] want = [1.0, -2.0, 3.140625, double.PositiveInfinity, double.NegativeInfinity, Math.Pow(2, -133), 3.3895313892515355e38, -0.0];
        string path = _tmp.File("bf16.safetensors");
        SafeTensorsWriter.Write(path, [Raw("b", "BF16", [bits.Length + 1], Bytes([.. bits, 0x7FC0]))]);
        using var f = SafeTensorsFile.Open(path);
        var d = f.ReadFloat64("b");
        var s = f.ReadFloat32("b");
        for (int i = 0; i < want.Length; i++)
        {
            Assert.Equal(want[i], d[i]);
            Assert.Equal((float)want[i], s[i]);
        }
        Assert.True(double.IsNaN(d[^1]) && float.IsNaN(s[^1]));

        // float -> BF16: round to nearest, ties to even; NaN stays NaN.
        Assert.Equal(0x3F80, SafeTensorsWriter.FloatToBF16(1.0f));
        Assert.Equal(0x3F80, SafeTensorsWriter.FloatToBF16(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie -> even (down)
        Assert.Equal(0x3F82, SafeTensorsWriter.FloatToBF16(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie -> even (up)
        Assert.Equal(0x3F81, SafeTensorsWriter.FloatToBF16(BitConverter.UInt32BitsToSingle(0x3F808001))); // above tie
        Assert.Equal(0x7F80, SafeTensorsWriter.FloatToBF16(float.PositiveInfinity));
        Assert.True(float.IsNaN(SafeTensorsFile.BF16ToFloat(SafeTensorsWriter.FloatToBF16(float.NaN))));
        Assert.Equal(0x4049, SafeTensorsWriter.FloatToBF16(3.14159265f));
    }

    [Fact]
    public void Float32_Float64_Int32_Overloads_RoundTrip()
    {
        float[] fs = [1.5f, -0f, float.MaxValue, float.Epsilon, float.NegativeInfinity, 0.1f];
        double[] ds = [Math.PI, -1e300, double.Epsilon, 0.1];
        int[] ints = [int.MinValue, -1, 0, 7, int.MaxValue, 42];
        string pf = _tmp.File("f.safetensors"), pd = _tmp.File("d.safetensors"), pi = _tmp.File("i.safetensors");
        SafeTensorsWriter.Write(pf, [("w", new long[] { 2, 3 }, fs)], new Dictionary<string, string> { ["k"] = "v" });
        SafeTensorsWriter.Write(pd, [("d", new long[] { 4 }, ds)]);
        SafeTensorsWriter.Write(pi, [("i", new long[] { 3, 2 }, ints)]);
        using (var f = SafeTensorsFile.Open(pf))
        {
            Assert.Equal(fs, f.ReadFloat32("w"));
            Assert.Equal(fs.Select(x => (double)x), f.ReadFloat64("w")); // widening is exact
            Assert.Equal("v", f.Metadata["k"]);
            Assert.Equal("F32", f["w"].DType);
        }
        using (var f = SafeTensorsFile.Open(pd))
        {
            Assert.Equal(ds, f.ReadFloat64("d"));
            Assert.Equal(ds.Select(x => (float)x), f.ReadFloat32("d")); // narrowing rounds like a cast
        }
        using (var f = SafeTensorsFile.Open(pi))
            Assert.Equal(ints, f.ReadInt32("i"));
    }

    [Fact]
    public void ReadInt32_ConvertsIntegerDTypes_AndRangeChecksI64()
    {
        var i64 = new byte[24];
        BinaryPrimitives.WriteInt64LittleEndian(i64, -5);
        BinaryPrimitives.WriteInt64LittleEndian(i64.AsSpan(8), int.MaxValue);
        BinaryPrimitives.WriteInt64LittleEndian(i64.AsSpan(16), int.MinValue);
        var big = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(big.AsSpan(8), (long)int.MaxValue + 1);
        var i16 = new byte[4];
        BinaryPrimitives.WriteInt16LittleEndian(i16, -300);
        BinaryPrimitives.WriteInt16LittleEndian(i16.AsSpan(2), 300);
        string path = _tmp.File("ints.safetensors");
        SafeTensorsWriter.Write(path,
        [
            Raw("i64", "I64", [3], i64), Raw("big", "I64", [2], big), Raw("u8", "U8", [3], [0, 200, 255]),
            Raw("i8", "I8", [3], [0, 0x80, 0xFF]), Raw("i16", "I16", [2], i16), Raw("bool", "BOOL", [3], [0, 1, 1]),
            Raw("f32", "F32", [1], new byte[4]),
        ]);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal([-5, int.MaxValue, int.MinValue], f.ReadInt32("i64"));
        Assert.Equal([0, 200, 255], f.ReadInt32("u8"));
        Assert.Equal([0, -128, -1], f.ReadInt32("i8"));
        Assert.Equal([-300, 300], f.ReadInt32("i16"));
        Assert.Equal([0, 1, 1], f.ReadInt32("bool"));
        var e = Assert.Throws<SafeTensorsFormatException>(() => f.ReadInt32("big"));
        Assert.Contains(path, e.Message);
        Assert.Contains("2147483648", e.Message);
        // Wrong kind of dtype for the read.
        Assert.Contains("F32", Assert.Throws<SafeTensorsFormatException>(() => f.ReadInt32("f32")).Message);
        Assert.Contains("I64", Assert.Throws<SafeTensorsFormatException>(() => f.ReadFloat32("i64")).Message);
        Assert.Throws<SafeTensorsFormatException>(() => f.ReadFloat64("u8"));
    }

    [Fact]
    public void DisposedFile_ThrowsObjectDisposed()
    {
        string path = _tmp.File("d.safetensors");
        SafeTensorsWriter.Write(path, [("x", new long[] { 1 }, new[] { 1f })]);
        var f = SafeTensorsFile.Open(path);
        f.Dispose();
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.ReadFloat32("x"));
    }

    [Fact]
    public void Writer_RejectsBadInput()
    {
        string path = _tmp.File("bad.safetensors");
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [Raw("a", "F32", [2], new byte[4])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [Raw("a", "F31", [1], new byte[4])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [Raw("a", "U8", [-1], [])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [Raw("a", "U8", [1], [1]), Raw("a", "U8", [1], [1])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [Raw("__metadata__", "U8", [1], [1])]));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    // ------------------------------------------------------------------------------------------
    // Atomic writes
    // ------------------------------------------------------------------------------------------

    private static IEnumerable<(string, string, long[], ReadOnlyMemory<byte>)> ThrowsMidway()
    {
        yield return ("a", "U8", [2], new byte[] { 1, 2 });
        yield return ("b", "U8", [1], new byte[] { 3 });
        throw new InvalidOperationException("boom");
    }

    [Fact]
    public void AtomicWrite_EnumeratorThrowsMidway_OldFileIntact_NoTmpLeft()
    {
        string path = _tmp.File("model.safetensors");
        SafeTensorsWriter.Write(path, [("old", new long[] { 2 }, new[] { 1f, 2f })]);
        byte[] before = File.ReadAllBytes(path);

        var e = Assert.Throws<InvalidOperationException>(() => SafeTensorsWriter.Write(path, ThrowsMidway()));
        Assert.Equal("boom", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
        Assert.Single(Directory.GetFiles(_tmp.Path));

        // A stale tmp from an earlier crash does not get in the way, and success replaces the file.
        File.WriteAllText(path + ".tmp", "stale");
        SafeTensorsWriter.Write(path, [("new", new long[] { 1 }, new[] { 3.0 })]);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(["new"], f.Names);
        Assert.Equal([3.0], f.ReadFloat64("new"));
    }

    [Fact]
    public void AtomicWrite_FailingDataAfterOpen_OldFileIntact()
    {
        // The target directory is fine but the path itself is a directory: the move fails after the tmp was written.
        string path = _tmp.File("dir.safetensors");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "keep"), "x");
        Assert.ThrowsAny<IOException>(() => SafeTensorsWriter.Write(path, [("a", new long[] { 1 }, new[] { 1 })]));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
        Assert.True(File.Exists(Path.Combine(path, "keep")));
    }

    // ------------------------------------------------------------------------------------------
    // The PyTorch op fixtures
    // ------------------------------------------------------------------------------------------

    private static string OpsPath => Path.Combine(AppContext.BaseDirectory, "fixtures", "ops.safetensors");

    private static int[] Strides(long[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= (int)shape[i]; }
        return s;
    }

    [Fact]
    public void OpsFixture_AddOutputEqualsBroadcastSum()
    {
        using var f = SafeTensorsFile.Open(OpsPath);
        Assert.Equal([3L, 1, 4], f["add.in.a"].Shape);
        Assert.Equal([2L, 1], f["add.in.b"].Shape);
        Assert.Equal([3L, 2, 4], f["add.out"].Shape);
        Assert.Equal("F64", f["add.out"].DType);
        var a = f.ReadFloat64("add.in.a");
        var b = f.ReadFloat64("add.in.b");
        var o = f.ReadFloat64("add.out");
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 4; k++)
                    Assert.Equal(a[i * 4 + k] + b[j], o[(i * 2 + j) * 4 + k]);
        // d(sum(out*gout))/da sums gout over the broadcast dim j; for b over i and k.
        var g = f.ReadFloat64("add.gout");
        var ga = f.ReadFloat64("add.grad.a");
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 4; k++)
                Assert.Equal(g[(i * 2 + 0) * 4 + k] + g[(i * 2 + 1) * 4 + k], ga[i * 4 + k], 12);

        Assert.Equal("F32", f["add_f32.out"].DType);
        var af = f.ReadFloat32("add_f32.in.a");
        var bf = f.ReadFloat32("add_f32.in.b");
        Assert.Equal(af[1] + bf[0], f.ReadFloat32("add_f32.out")[1]);
    }

    [Fact]
    public void OpsFixture_MatmulSoftmaxAndMetadata()
    {
        using var f = SafeTensorsFile.Open(OpsPath);
        var a = f.ReadFloat64("matmul_2d.in.a");
        var b = f.ReadFloat64("matmul_2d.in.b");
        var o = f.ReadFloat64("matmul_2d.out");
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 5; k++)
            {
                double s = 0;
                for (int j = 0; j < 4; j++) s += a[i * 4 + j] * b[j * 5 + k];
                Assert.Equal(s, o[i * 5 + k], 12);
            }
        Assert.Equal([2L, 5, 3, 6], f["matmul_batched_bcast.out"].Shape);

        var sm = f.ReadFloat64("softmax_last.out");
        for (int r = 0; r < sm.Length / 5; r++) Assert.Equal(1.0, sm.Skip(r * 5).Take(5).Sum(), 12);

        using var ln = JsonDocument.Parse(f.Metadata["layer_norm"]);
        Assert.Equal("layer_norm", ln.RootElement.GetProperty("op").GetString());
        Assert.Equal(1e-5, ln.RootElement.GetProperty("eps").GetDouble());
        using var es = JsonDocument.Parse(f.Metadata["einsum_attn"]);
        Assert.Equal("bhqd,bhkd->bhqk", es.RootElement.GetProperty("equation").GetString());

        var target = f.ReadInt32("cross_entropy_ignore.in.target");
        Assert.Equal(2, target.Count(t => t == -100));
        Assert.Equal("I64", f["max_dim1.indices"].DType);
        Assert.Equal("BOOL", f["where.in.condition"].DType);
        Assert.False(f.Contains("argmax_dim1.gout"));
    }

    [Fact]
    public void OpsFixture_EveryCaseHasOutputAndMetadata()
    {
        using var f = SafeTensorsFile.Open(OpsPath);
        var cases = JsonSerializer.Deserialize<string[]>(f.Metadata["__cases__"])!;
        Assert.True(cases.Length >= 90, $"only {cases.Length} cases");
        foreach (var c in cases)
        {
            Assert.True(f.Contains(c + ".out"), c);
            Assert.True(f.Metadata.ContainsKey(c), c);
            foreach (var n in f.Names.Where(n => n.StartsWith(c + ".grad.", StringComparison.Ordinal)))
            {
                string arg = n[(c.Length + ".grad.".Length)..];
                Assert.Equal(f[$"{c}.in.{arg}"].Shape, f[n].Shape);
            }
            if (f.Contains(c + ".gout")) Assert.Equal(f[c + ".out"].Shape, f[c + ".gout"].Shape);
        }
        Assert.True(new FileInfo(OpsPath).Length < 1_000_000);
    }

    [Fact]
    public void SharedData_TransformerLabels_ReadsExternalFile()
    {
        var dir = Interp.Data.DataPaths.SharedData();
        Assert.NotNull(dir);
        using var f = SafeTensorsFile.Open(Path.Combine(dir, "eis7", "transformer_labels.safetensors"));
        foreach (var name in new[] { "labels", "model_labels" })
        {
            Assert.Equal("U8", f[name].DType);
            Assert.Equal([113L, 113], f[name].Shape);
            Assert.All(f.ReadInt32(name), v => Assert.InRange(v, 0, 1));
        }
        var a = f.ReadInt32("labels");
        var b = f.ReadInt32("model_labels");
        double agree = a.Zip(b).Count(p => p.First == p.Second) / (double)a.Length;
        Assert.InRange(agree, 0.95, 1.0); // ~97% on the held-out half, ~100% on the trained half
    }

    // ------------------------------------------------------------------------------------------
    // Malformed files
    // ------------------------------------------------------------------------------------------

    private string Build(string name, string header, byte[]? data = null, ulong? declaredLength = null, byte[]? rawHeader = null)
    {
        byte[] h = rawHeader ?? Encoding.UTF8.GetBytes(header);
        var ms = new MemoryStream();
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, declaredLength ?? (ulong)h.Length);
        ms.Write(len);
        ms.Write(h);
        ms.Write(data ?? []);
        string path = _tmp.File(name + ".safetensors");
        File.WriteAllBytes(path, ms.ToArray());
        return path;
    }

    private static void AssertBad(string path, string phrase)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => { using var f = SafeTensorsFile.Open(path); });
        Assert.Contains(path, e.Message);
        Assert.Contains(phrase, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    private const string Ok4 = "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]";

    public static TheoryData<string, string, string, int> MalformedHeaders => new()
    {
        // name, header JSON, expected phrase, data bytes
        { "not_object_array", "[]", "not a JSON object", 0 },
        { "not_object_number", "42", "not a JSON object", 0 },
        { "invalid_json", "{\"a\":", "JSON", 0 },
        { "invalid_json2", "{\"a\":}", "not valid JSON", 0 },
        { "trailing", "{} x", "JSON", 0 },
        { "trailing_object", "{}{}", "JSON", 0 },
        { "entry_not_object", "{\"a\":[1]}", "must be an object", 0 },
        { "missing_dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "missing 'dtype'", 4 },
        { "missing_shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "missing 'shape'", 4 },
        { "missing_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "missing 'data_offsets'", 4 },
        { "unknown_dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}}", "unknown dtype 'F128'", 4 },
        { "dtype_not_string", "{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", "'dtype' must be a string", 4 },
        { "negative_shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "negative", 4 },
        { "fractional_shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "not an integer", 4 },
        { "exponent_shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", "not an integer", 4 },
        { "huge_shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", "not an integer", 4 },
        { "string_shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", "must hold integers", 4 },
        { "shape_not_array", "{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", "must be an array", 4 },
        { "shape_overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,4]}}", "too many elements", 4 },
        { "dimension_beyond_int32", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0,3000000000],\"data_offsets\":[0,0]}}", "beyond Interp's int32 sizes", 0 },
        { "offsets_out_of_range", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "past the end", 4 },
        { "offsets_reversed", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "reversed", 4 },
        { "offsets_three", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", "2 elements", 4 },
        { "offsets_negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "negative", 4 },
        { "size_mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "needs 8 bytes", 8 },
        { "size_mismatch_f16", "{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", "needs 6 bytes", 8 },
        { "overlap", "{\"a\":{" + Ok4 + "},\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[2,6]}}", "overlap", 8 },
        { "overlap_same", "{\"a\":{" + Ok4 + "},\"b\":{" + Ok4 + "}}", "overlap", 8 },
        { "duplicate_name", "{\"a\":{" + Ok4 + "},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "duplicate tensor name 'a'", 8 },
        { "duplicate_field", "{\"a\":{" + Ok4 + ",\"dtype\":\"F32\"}}", "'dtype' twice", 4 },
        { "duplicate_metadata", "{\"__metadata__\":{},\"__metadata__\":{}}", "duplicate '__metadata__'", 0 },
        { "metadata_not_string", "{\"__metadata__\":{\"k\":1}}", "must be a string", 0 },
        { "metadata_not_object", "{\"__metadata__\":[]}", "must be an object", 0 },
        { "metadata_duplicate_key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", "duplicate key 'k'", 0 },
        { "empty_header", "", "empty", 0 },
        { "whitespace_header", "        ", "empty", 0 },
        { "bad_escape", "{\"a\\x\":1}", "JSON", 0 },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void MalformedHeader_ThrowsFormatExceptionNamingFile(string name, string header, string phrase, int dataBytes)
    {
        string path = Build(name, header, new byte[dataBytes]);
        AssertBad(path, phrase);
    }

    [Fact]
    public void ValidHeaderVariants_AreAccepted()
    {
        // Unknown fields are ignored; null metadata is allowed; whitespace padding; zero-size tensors anywhere.
        string path = Build("variants",
            "{\"__metadata__\":null,\"a\":{\"extra\":{\"x\":[1,{}]}," + Ok4 + "},\"z\":{\"dtype\":\"U8\",\"shape\":[0,5],\"data_offsets\":[2,2]}}   \n ",
            new byte[4]);
        using var f = SafeTensorsFile.Open(path);
        Assert.Empty(f.Metadata);
        Assert.Equal(["a", "z"], f.Names);
        Assert.Empty(f.ReadBytes("z"));
    }

    [Fact]
    public void ShortFiles_Throw()
    {
        foreach (int n in new[] { 0, 1, 7 })
        {
            string path = _tmp.File($"short{n}.safetensors");
            File.WriteAllBytes(path, new byte[n]);
            AssertBad(path, "shorter than");
        }
    }

    [Fact]
    public void HeaderLength_LargerThanFile_OrAbsurd_Throws()
    {
        AssertBad(Build("len_past_end", "{}", declaredLength: 100), "larger than");
        AssertBad(Build("len_past_end_by_one", "{}", declaredLength: 3), "larger than");
        AssertBad(Build("len_absurd", "{}", declaredLength: 200_000_000), "exceeds");
        AssertBad(Build("len_max", "{}", declaredLength: ulong.MaxValue), "exceeds");
        AssertBad(Build("len_sign", "{}", declaredLength: 1UL << 63), "exceeds");
    }

    [Fact]
    public void InvalidUtf8_Throws()
    {
        byte[] h = [.. "{\"a"u8, 0xFF, 0xFE, .. "\":{}}"u8];
        AssertBad(Build("utf8", "", rawHeader: h), "UTF-8");
        byte[] h2 = [.. "{\"__metadata__\":{\"k\":\""u8, 0xC3, .. "\"}}"u8]; // truncated 2-byte sequence
        AssertBad(Build("utf8b", "", rawHeader: h2), "UTF-8");
    }

    [Fact]
    public void UnknownTensorName_OnRead_Throws()
    {
        string path = Build("names", "{\"a\":{" + Ok4 + "}}", new byte[4]);
        using var f = SafeTensorsFile.Open(path);
        foreach (var read in new Action[] { () => f.ReadFloat32("b"), () => f.ReadFloat64("b"), () => f.ReadInt32("b"), () => f.ReadBytes("b"), () => f.GetInfo("b") })
        {
            var e = Assert.Throws<SafeTensorsFormatException>(read);
            Assert.Contains(path, e.Message);
            Assert.Contains("'b'", e.Message);
        }
        Assert.False(f.TryGetInfo("b", out _));
    }

    [Fact]
    public void MissingFile_IsAnIOException()
    {
        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Open(_tmp.File("nope.safetensors")));
    }

    // ------------------------------------------------------------------------------------------
    // Fuzzing: mutated / truncated files either read fine or throw SafeTensorsFormatException
    // ------------------------------------------------------------------------------------------

    /// <summary>A small valid file with every dtype, an empty and a scalar tensor and metadata: the seed of the fuzzers.</summary>
    internal static readonly Lazy<byte[]> FuzzBase = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), "interp-io-fuzzbase-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string p = Path.Combine(dir, "base.safetensors");
            SafeTensorsWriter.Write(p,
            [
                SafeTensorsWriter.F32("w", [2, 3], [1, 2, 3, 4, 5, 6]),
                SafeTensorsWriter.F64("d", [2], [0.5, -0.5]),
                SafeTensorsWriter.F16("h", [3], [1, 2, 3]),
                SafeTensorsWriter.BF16("bf", [1], [7]),
                SafeTensorsWriter.I64("ids", [2], [1, -1]),
                SafeTensorsWriter.I32("n", [], [9]),
                ("u", "U8", [4], new byte[] { 1, 2, 3, 4 }),
                ("e", "F32", [0], Array.Empty<byte>()),
            ], new Dictionary<string, string> { ["format"] = "pt", ["k"] = "[1,2]" });
            return File.ReadAllBytes(p);
        }
        finally { Directory.Delete(dir, true); }
    });

    private static int ReadEverything(string path)
    {
        using var f = SafeTensorsFile.Open(path);
        int total = f.Metadata.Count;
        foreach (var n in f.Names)
        {
            total += f.ReadBytes(n).Length;
            foreach (var read in new Func<int>[] { () => f.ReadFloat32(n).Length, () => f.ReadFloat64(n).Length, () => f.ReadInt32(n).Length,
                                                    () => f.TryMap(n, DType.Float32)?.ToFloatArray().Length ?? 0, () => f.TryMap(n, DType.Float64)?.ToDoubleArray().Length ?? 0 })
            {
                try { total += read(); }
                catch (SafeTensorsFormatException) { } // wrong dtype for this read / int32 out of range
            }
        }
        return total;
    }

    [Property(MaxTest = 100)]
    public bool MutatedOrTruncatedFile_ReadsOrThrowsFormatException(NonNegativeInt position, byte value, NonNegativeInt cut, byte mode)
    {
        byte[] bytes = (byte[])FuzzBase.Value.Clone();
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        switch (mode % 5)
        {
            case 0: bytes[position.Get % headerEnd] = value; break;              // any byte of length+header
            case 1: bytes[8 + position.Get % (headerEnd - 8)] = (byte)"{}[],:\"0123456789-.e \\"[value % 22]; break; // JSON-ish
            case 2: bytes = bytes[..(cut.Get % (bytes.Length + 1))]; break;       // truncate anywhere
            case 3: bytes[position.Get % bytes.Length] ^= (byte)(1 << (value % 8)); break; // bit flip anywhere
            default:                                                             // mutate and truncate
                bytes[8 + position.Get % (headerEnd - 8)] = value;
                bytes = bytes[..(headerEnd - 4 + cut.Get % (bytes.Length - headerEnd + 5))];
                break;
        }
        string dir = Path.Combine(Path.GetTempPath(), "interp-io-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "m.safetensors");
            File.WriteAllBytes(path, bytes);
            var task = Task.Run(() =>
            {
                try { ReadEverything(path); return true; }
                catch (SafeTensorsFormatException e) { return e.Message.Contains(path); }
            });
            if (!task.Wait(TimeSpan.FromSeconds(20))) throw new TimeoutException("reader hung");
            return task.Result;
        }
        finally { Directory.Delete(dir, true); }
    }
}
