using System.IO.Compression;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Interp.Data;
using Interp.IO;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Models.IO;

/// <summary>
/// Fuzzing the readers of files users load from anywhere (safetensors, IDX, torch zip + pickle): thousands of mutated
/// or generated files, each read fully or refused with the reader's own exception naming the file — never another
/// exception, a huge allocation, or a hang (see <see cref="Fuzz"/>). The counts and the refusals found are printed.
/// </summary>
public sealed class ReaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    // ---------------------------------------------------------------- safetensors


    /// <summary>Opens the file and reads every tensor in every way; a successful read must honour the header.</summary>
    static void ReadSafeTensors(string path)
    {
        using var f = SafeTensorsFile.Open(path);
        long fileLength = new FileInfo(path).Length;
        foreach (var n in f.Names)
        {
            var info = f[n];
            Assert.InRange(info.Begin, 0, info.End);
            Assert.True(f.DataStart + info.End <= fileLength, $"'{n}' ends past the file");
            Assert.Equal(info.ElementCount * SafeTensorsDType.SizeOf(info.DType), f.ReadBytes(n).LongLength);
            foreach (var read in new Action[] { () => f.ReadFloat32(n), () => f.ReadFloat64(n), () => f.ReadInt32(n) })
                try { read(); }
                catch (SafeTensorsFormatException) { }   // a dtype that this overload does not convert
        }
    }

    string Write(string name, byte[] bytes)
    {
        string path = tmp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void SafeTensorsMutatedFiles()
    {
        var base_ = SafeTensorsTests.FuzzBase.Value;
        int headerEnd = 8 + (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(base_);
        var fuzz = new Fuzz();
        var failures = new List<string>();
        for (int seed = 0; seed < 800; seed++)
        {
            var (bytes, what) = Fuzz.Mutate(base_, seed, ..headerEnd);
            string path = Write($"st-{seed}.safetensors", bytes);
            if (fuzz.Try($"seed {seed} ({what})", () => ReadSafeTensors(path), e => e is SafeTensorsFormatException, path) is { } f) failures.Add(f);
            File.Delete(path);
        }
        fuzz.Report(output, "safetensors, mutated files");
        Fuzz.AssertNoFailures(failures);
    }

    static readonly string[] Names = ["a", "b", "a", "w.0", "é", "", "__metadata__", "a\u0000b"];
    static readonly string[] DTypes = ["F32", "F64", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F128", "f32", "", "I8"];
    static readonly string[] Dims = ["0", "1", "2", "3", "-1", "2147483648", "4611686018427387904", "1e2", "1.5", "\"2\"", "null", "99999999999999999999"];

    /// <summary>A safetensors header built from FsCheck-generated choices: names (duplicates included), dtypes (unknown
    /// included), shapes (negative, huge, non-integer), offsets (overlapping, reversed, past the end) and header lengths.</summary>
    static byte[] GeneratedFile(int[] genes)
    {
        int g = 0;
        int Next(int n) => genes.Length == 0 ? 0 : (int)((uint)genes[g++ % genes.Length] % (uint)n);
        int dataLength = Next(65);
        var header = new StringBuilder("{");
        if (Next(4) == 0) header.Append(Next(3) switch { 0 => "\"__metadata__\":{\"k\":\"v\"},", 1 => "\"__metadata__\":{\"k\":1},", _ => "\"__metadata__\":null," });
        int tensors = Next(5), cursor = 0;
        for (int t = 0; t < tensors; t++)
        {
            string dtype = DTypes[Next(DTypes.Length)];
            var shape = Enumerable.Range(0, Next(4)).Select(_ => Next(3) == 0 ? Dims[Next(Dims.Length)] : (Next(4) + 1).ToString()).ToList();
            long numel = shape.Aggregate(1L, (acc, d) => long.TryParse(d, out long v) ? acc * v : acc);
            int size = SafeTensorsDType.IsKnown(dtype) ? SafeTensorsDType.SizeOf(dtype) : 4;
            long begin = cursor, end = cursor + numel * size;
            switch (Next(6))
            {
                case 0: begin = Next(dataLength + 8); end = begin + Next(16); break;             // anywhere, maybe overlapping
                case 1: (begin, end) = (end, begin); break;                                      // reversed
                case 2: end += Next(3) + 1; break;                                               // size disagrees with the shape
                case 3: begin = -Next(8) - 1; break;                                             // negative
                case 4: end = long.MaxValue - Next(3); break;                                    // absurd
            }
            cursor = (int)Math.Clamp(end, 0, 1 << 16);
            header.Append($"\"{Names[Next(Names.Length)].Replace("\u0000", "\\u0000")}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{end}]}},");
        }
        if (header[^1] == ',') header.Length--;
        header.Append('}');
        if (Next(8) == 0) header.Append(Next(2) == 0 ? "}" : " ");                               // trailing garbage or padding
        var json = Encoding.UTF8.GetBytes(header.ToString());
        if (Next(10) == 0 && json.Length > 2) json[1 + Next(json.Length - 2)] = 0xFF;            // invalid UTF-8
        ulong declared = (ulong)json.Length;
        switch (Next(10))
        {
            case 0: declared += (ulong)Next(40) + 1; break;
            case 1: declared -= (ulong)Math.Min(Next(4) + 1, json.Length); break;
            case 2: declared = Next(2) == 0 ? ulong.MaxValue : 1UL << 40; break;
        }
        var bytes = new byte[8 + json.Length + dataLength];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void SafeTensorsGeneratedHeaders()
    {
        var fuzz = new Fuzz();
        var failures = new List<string>();
        var property = Prop.ForAll<int[]>(genes =>
        {
            string path = Write($"gen-{fuzz.Tried}.safetensors", GeneratedFile(genes));
            var failure = fuzz.Try($"genes [{string.Join(", ", genes)}]", () => ReadSafeTensors(path), e => e is SafeTensorsFormatException, path);
            File.Delete(path);
            if (failure is not null) failures.Add(failure);
            return failure is null;
        });
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(60).WithQuietOnSuccess(true), property);
        fuzz.Report(output, "safetensors, FsCheck-generated headers");
        Fuzz.AssertNoFailures(failures);
    }

    // ---------------------------------------------------------------- IDX

    static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    [Fact]
    public void IdxMutatedFiles()
    {
        // a 3 x 4 x 5 ubyte array, raw and gzip-compressed; the gzip's mutations reach the decompressor
        byte[] raw = [0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, .. Enumerable.Range(0, 60).Select(i => (byte)i)];
        byte[] gz = Gzip(raw);
        var fuzz = new Fuzz();
        var failures = new List<string>();
        for (int seed = 0; seed < 3000; seed++)
        {
            bool zipped = seed % 3 == 2;
            // a mutated raw file, sometimes gzip-compressed after the mutation (valid gzip, bad IDX inside)
            var (bytes, what) = zipped ? Fuzz.Mutate(gz, seed) : Fuzz.Mutate(raw, seed, ..16);
            if (seed % 3 == 1) (bytes, what) = (Gzip(bytes), what + ", then gzip");
            string name = $"idx-fuzz-{seed}";
            if (fuzz.Try($"seed {seed} ({what})", () =>
                {
                    var a = Idx.Read(new MemoryStream(bytes), name);
                    Assert.Equal(a.Shape.Aggregate(1L, (acc, d) => acc * d), a.Data.LongLength);
                }, e => e is InvalidDataException, name) is { } f) failures.Add(f);
        }
        fuzz.Report(output, "IDX, mutated raw and gzip files");
        Fuzz.AssertNoFailures(failures);
    }

    // ---------------------------------------------------------------- torch zip + pickle

    static readonly string TorchDir = Path.Combine(AppContext.BaseDirectory, "fixtures", "torch");

    static void ReadTorch(string path)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var (_, t) in TorchStateDict.Load(path, dtype))
                Assert.Equal(t.Numel, t.Contiguous().ToArray<double>().Length);
    }

    [Fact]
    public void TorchZipMutatedFiles()
    {
        var base_ = File.ReadAllBytes(Path.Combine(TorchDir, "basic.pt"));
        var fuzz = new Fuzz();
        var failures = new List<string>();
        for (int seed = 0; seed < 1000; seed++)
        {
            var (bytes, what) = Fuzz.Mutate(base_, seed, ^200..);   // the tail: the zip's central directory
            string path = Write($"zip-{seed}.pt", bytes);
            if (fuzz.Try($"seed {seed} ({what})", () => ReadTorch(path), e => e is TorchPickleException, path) is { } f) failures.Add(f);
            File.Delete(path);
        }
        fuzz.Report(output, "torch .pt, mutated zip bytes");
        Fuzz.AssertNoFailures(failures);
    }

    /// <summary>
    /// Seeds the zip fuzzer found: a central directory whose entry count disagrees with its entries made .NET's zip
    /// reader throw its own InvalidDataException from the lazily read entry list, outside the loader's error handling.
    /// </summary>
    [Theory]
    [InlineData(0, "Number of entries")]
    [InlineData(9, "Number of entries")]
    [InlineData(20, "Number of entries")]
    public void TorchZipRegressionSeeds(int seed, string phrase)
    {
        var (bytes, _) = Fuzz.Mutate(File.ReadAllBytes(Path.Combine(TorchDir, "basic.pt")), seed, ^200..);
        string path = Write($"zip-regression-{seed}.pt", bytes);
        var e = Assert.Throws<TorchPickleException>(() => TorchStateDict.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(phrase, e.Message);
    }

    [Fact]
    public void TorchRecordDeclaringAHugeSizeIsRefusedBeforeAllocating()
    {
        // a stored (uncompressed) data.pkl whose central-directory size says 1 GiB: the loader must not believe it
        var records = Records("basic.pt");
        var bytes = Rezip(records, "", []);
        int cd = bytes.AsSpan().LastIndexOf("PK\u0001\u0002"u8);
        while (cd >= 0 && !Encoding.ASCII.GetString(bytes, cd + 46, 14).StartsWith("basic/data.pkl", StringComparison.Ordinal))
            cd = bytes.AsSpan(0, cd).LastIndexOf("PK\u0001\u0002"u8);
        Assert.True(cd >= 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(cd + 24), 1u << 30);   // uncompressed size
        string path = Write("huge-record.pt", bytes);
        var fuzz = new Fuzz();
        Assert.Null(fuzz.Try("huge record", () => TorchStateDict.Load(path), e => e is TorchPickleException, path));
        Assert.Equal(1, fuzz.Refused);
    }

    /// <summary>The records of a real .pt with one record replaced, written back as a valid zip.</summary>
    static byte[] Rezip(IReadOnlyList<(string Name, byte[] Data)> records, string replaced, byte[] data)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in records)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(name == replaced ? data : bytes);
            }
        return ms.ToArray();
    }

    static List<(string Name, byte[] Data)> Records(string file)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(TorchDir, file));
        return zip.Entries.Select(e =>
        {
            using var s = e.Open();
            var buf = new byte[e.Length];
            s.ReadExactly(buf);
            return (e.FullName, buf);
        }).ToList();
    }

    [Fact]
    public void TorchPickleAndStorageMutations()
    {
        var fuzz = new Fuzz();
        var failures = new List<string>();
        foreach (var file in new[] { "basic.pt", "basic_proto4.pt", "plain_dict.pt" })
        {
            var records = Records(file);
            var pickle = records.Single(r => r.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
            var storages = records.Where(r => r.Name.Contains("/data/", StringComparison.Ordinal)).ToList();
            for (int seed = 0; seed < 600; seed++)
            {
                // mostly the pickle (the header of a .pt); sometimes a storage record (cut, grown)
                var target = seed % 8 == 7 && storages.Count > 0 ? storages[seed / 8 % storages.Count] : pickle;
                var (bytes, what) = Fuzz.Mutate(target.Data, seed);
                string path = Write($"pkl-{seed}.pt", Rezip(records, target.Name, bytes));
                if (fuzz.Try($"{file} {target.Name} seed {seed} ({what})", () => ReadTorch(path), e => e is TorchPickleException, path) is { } f)
                    failures.Add(f);
                File.Delete(path);
            }
        }
        fuzz.Report(output, "torch .pt, mutated pickles and storages (re-zipped)");
        Fuzz.AssertNoFailures(failures);
    }

    // ---------------------------------------------------------------- BPE tokenizer (vocab.json + merges.txt)

    [Fact]
    public void BpeTokenizerMutatedFiles()
    {
        string good = tmp.File("bpe-good");
        Interp.Tokenizer.BpeTrainer.Train(["def f(x):\n    return x + 1\n" + string.Concat(Enumerable.Repeat("the cat sat on the mat. ", 20))], vocabSize: 300).Save(good);
        var files = new[] { Interp.Tokenizer.BpeTokenizer.VocabFile, Interp.Tokenizer.BpeTokenizer.MergesFile };
        var fuzz = new Fuzz();
        var failures = new List<string>();
        for (int seed = 0; seed < 400; seed++)
        {
            string dir = tmp.File($"bpe-{seed}"), damaged = files[seed % 2];
            Directory.CreateDirectory(dir);
            foreach (var name in files) File.Copy(Path.Combine(good, name), Path.Combine(dir, name));
            var (bytes, what) = Fuzz.Mutate(File.ReadAllBytes(Path.Combine(good, damaged)), seed);
            File.WriteAllBytes(Path.Combine(dir, damaged), bytes);
            if (fuzz.Try($"seed {seed} ({damaged}: {what})", () => Interp.Tokenizer.BpeTokenizer.Load(dir), e => e is InvalidDataException, Path.Combine(dir, damaged)) is { } f) failures.Add(f);
            Directory.Delete(dir, recursive: true);
        }
        fuzz.Report(output, "BPE tokenizer, mutated vocab.json or merges.txt");
        Fuzz.AssertNoFailures(failures);
    }
}
