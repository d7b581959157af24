using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Interp.IO;

/// <summary>
/// A safetensors file is malformed or does not hold what was asked of it. The message always names the
/// file and the problem. This is the only exception type the reader throws for bad file contents.
/// </summary>
public sealed class SafeTensorsFormatException : Exception
{
    public SafeTensorsFormatException(string message) : base(message) { }
    public SafeTensorsFormatException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>
/// One entry of a safetensors header. <see cref="Begin"/> and <see cref="End"/> are the
/// <c>data_offsets</c> exactly as written in the header: byte offsets relative to the start of the data
/// section (which begins at <see cref="SafeTensorsFile.DataStart"/> in the file).
/// </summary>
public sealed record SafeTensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    public long ByteLength => End - Begin;
}

/// <summary>The dtypes of the safetensors format, with their element sizes and HF's ordering.</summary>
public static class SafeTensorsDType
{
    // Rank = position in the reference implementation's Dtype enum (which is ordered by size/alignment);
    // the reference writer sorts tensors by rank descending, then by name.
    private static readonly Dictionary<string, (int Size, int Rank)> Table = new(StringComparer.Ordinal)
    {
        ["BOOL"] = (1, 0),
        ["U8"] = (1, 1),
        ["I8"] = (1, 2),
        ["F8_E5M2"] = (1, 3),
        ["F8_E4M3"] = (1, 4),
        ["I16"] = (2, 5),
        ["U16"] = (2, 6),
        ["F16"] = (2, 7),
        ["BF16"] = (2, 8),
        ["I32"] = (4, 9),
        ["U32"] = (4, 10),
        ["F32"] = (4, 11),
        ["F64"] = (8, 12),
        ["I64"] = (8, 13),
        ["U64"] = (8, 14),
    };

    public static IReadOnlyCollection<string> All => Table.Keys;

    public static bool IsKnown(string dtype) => Table.ContainsKey(dtype);

    /// <summary>Size in bytes of one element; throws <see cref="ArgumentException"/> for an unknown dtype.</summary>
    public static int SizeOf(string dtype) =>
        Table.TryGetValue(dtype, out var e) ? e.Size : throw new ArgumentException($"unknown safetensors dtype '{dtype}'", nameof(dtype));

    internal static bool TryGet(string dtype, out int size, out int rank)
    {
        if (Table.TryGetValue(dtype, out var e)) { size = e.Size; rank = e.Rank; return true; }
        size = 0; rank = 0; return false;
    }
}

/// <summary>
/// A fully validated safetensors file. Opening parses and checks the whole header (dtypes, shapes, offsets, sizes,
/// overlaps, duplicate names); reads then copy/convert from the file, or <see cref="TryMap"/> views an entry in place
/// through a copy-on-write memory mapping. Reads are safe to run concurrently; disposal must not race with reads.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>Largest header accepted (the reference implementation uses the same 100 MB cap).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    // Read with positioned reads, not memory-mapped: a mapped file that shrinks while open (truncated by another
    // process) kills the process with SIGBUS on the next access, where a read just comes back short.
    private SafeFileHandle? _file;
    private readonly long _fileLength;
    private MappedFile? _mapping;   // made by the first TryMap; lives on in the tensors that view it
    private readonly object _mapGate = new();
    private readonly Dictionary<string, SafeTensorInfo> _byName;
    private readonly string[] _names;

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All entries by name.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors => _byName;

    /// <summary>Byte offset in the file where the data section starts (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Length of the data section in bytes.</summary>
    public long DataLength => _fileLength - DataStart;

    private SafeTensorsFile(string path, SafeFileHandle file, long fileLength,
        long dataStart, Dictionary<string, SafeTensorInfo> byName, string[] names, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _file = file;
        _fileLength = fileLength;
        DataStart = dataStart;
        _byName = byName;
        _names = names;
        Metadata = metadata;
    }

    /// <summary>Opens and validates a safetensors file (its header; tensors are read on request).</summary>
    /// <exception cref="SafeTensorsFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="IOException">The file cannot be opened (missing, permissions, ...).</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = System.IO.Path.GetFullPath(path);
        var file = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long fileLength = RandomAccess.GetLength(file);
            if (fileLength < 8)
                throw Fail(full, $"file is {fileLength} bytes long, shorter than the 8-byte header length prefix");
            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(full, file, 0, prefix, "the header length prefix");
            ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLen > MaxHeaderBytes)
                throw Fail(full, $"header length {headerLen} exceeds the {MaxHeaderBytes}-byte limit{OtherFormat(prefix)}");
            if ((long)headerLen > fileLength - 8)
                throw Fail(full, $"header length {headerLen} is larger than the {fileLength - 8} bytes that follow the length prefix{OtherFormat(prefix)}");

            long dataStart = 8 + (long)headerLen;
            var header = new byte[headerLen];
            ReadExactly(full, file, 8, header, "the header");
            var (byName, names, metadata) = ParseHeader(full, header, fileLength - dataStart);
            return new SafeTensorsFile(full, file, fileLength, dataStart, byName, names, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Fills <paramref name="into"/> from <paramref name="offset"/>; a file that ends first (truncated, perhaps while open) is a clear error.</summary>
    private static void ReadExactly(string path, SafeFileHandle file, long offset, Span<byte> into, string what)
    {
        int done = 0;
        while (done < into.Length)
        {
            int n = RandomAccess.Read(file, into[done..], offset + done);
            if (n == 0)
                throw Fail(path, $"the file ends at byte {offset + done}, inside {what} ({into.Length} bytes from byte {offset}): it is truncated, or was changed while open");
            done += n;
        }
    }

    /// <summary>What the first bytes say the file is when it is not safetensors: a pickle, a zip (torch.save), NumPy, HDF5.</summary>
    private static string OtherFormat(ReadOnlySpan<byte> head) =>
        head[0] == 0x80 && head[1] is >= 2 and <= 5 ? " (the file starts like a Python pickle, not a safetensors file)"
        : head.StartsWith((ReadOnlySpan<byte>)[0x50, 0x4B, 0x03, 0x04]) ? " (the file starts like a zip archive, as torch.save writes, not a safetensors file)"
        : head.StartsWith((ReadOnlySpan<byte>)[0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) ? " (the file starts like a NumPy .npy file, not a safetensors file)"
        : head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x48, 0x44, 0x46]) ? " (the file starts like an HDF5 file, not a safetensors file)"
        : "";

    private static SafeTensorsFormatException Fail(string path, string problem, Exception? inner = null) =>
        new($"Invalid safetensors file '{path}': {problem}", inner);

    // ---------------------------------------------------------------------------------------------
    // Header parsing
    // ---------------------------------------------------------------------------------------------

    private static (Dictionary<string, SafeTensorInfo>, string[], IReadOnlyDictionary<string, string>) ParseHeader(
        string path, ReadOnlySpan<byte> header, long dataLength)
    {
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw Fail(path, "header is not valid UTF-8");
        if (header.Trim(" \t\r\n"u8).IsEmpty)
            throw Fail(path, "header is empty");

        var byName = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        var names = new List<string>();
        Dictionary<string, string>? metadata = null;
        bool sawMetadata = false;

        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read())
                throw Fail(path, "header is empty");
            if (reader.TokenType != JsonTokenType.StartObject)
                throw Fail(path, $"header is not a JSON object (starts with {reader.TokenType})");

            while (true)
            {
                Need(path, ref reader, "header object");
                if (reader.TokenType == JsonTokenType.EndObject) break;
                string key = reader.GetString()!; // PropertyName
                Need(path, ref reader, $"value of '{key}'");

                if (key == "__metadata__")
                {
                    if (sawMetadata) throw Fail(path, "duplicate '__metadata__' entry");
                    sawMetadata = true;
                    metadata = ParseMetadata(path, ref reader);
                    continue;
                }

                if (byName.ContainsKey(key))
                    throw Fail(path, $"duplicate tensor name '{key}'");
                var info = ParseEntry(path, key, ref reader, dataLength);
                byName.Add(key, info);
                names.Add(key);
            }

            // Only whitespace may follow the object (the writer pads with spaces).
            if (reader.Read())
                throw Fail(path, $"unexpected {reader.TokenType} after the header object");
        }
        catch (JsonException e)
        {
            throw Fail(path, $"header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e) // wrong-token-type accessors; should not happen, kept defensive
        {
            throw Fail(path, $"header has an unexpected JSON structure: {e.Message}", e);
        }

        CheckOverlaps(path, byName.Values);
        return (byName, names.ToArray(), (IReadOnlyDictionary<string, string>?)metadata ?? new Dictionary<string, string>());
    }

    private static void Need(string path, ref Utf8JsonReader reader, string where)
    {
        if (!reader.Read()) throw Fail(path, $"header JSON ends inside {where}");
    }

    private static Dictionary<string, string>? ParseMetadata(string path, ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(path, $"'__metadata__' must be an object of strings, found {reader.TokenType}");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            Need(path, ref reader, "'__metadata__'");
            if (reader.TokenType == JsonTokenType.EndObject) return map;
            string k = reader.GetString()!;
            Need(path, ref reader, $"'__metadata__.{k}'");
            if (reader.TokenType != JsonTokenType.String)
                throw Fail(path, $"'__metadata__' value for '{k}' must be a string, found {reader.TokenType}");
            if (!map.TryAdd(k, reader.GetString()!))
                throw Fail(path, $"duplicate key '{k}' in '__metadata__'");
        }
    }

    private static SafeTensorInfo ParseEntry(string path, string name, ref Utf8JsonReader reader, long dataLength)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(path, $"entry '{name}' must be an object, found {reader.TokenType}");
        string? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Need(path, ref reader, $"entry '{name}'");
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string field = reader.GetString()!;
            Need(path, ref reader, $"'{name}.{field}'");
            switch (field)
            {
                case "dtype":
                    if (dtype != null) throw Fail(path, $"entry '{name}' has 'dtype' twice");
                    if (reader.TokenType != JsonTokenType.String)
                        throw Fail(path, $"entry '{name}': 'dtype' must be a string, found {reader.TokenType}");
                    dtype = reader.GetString()!;
                    break;
                case "shape":
                    if (shape != null) throw Fail(path, $"entry '{name}' has 'shape' twice");
                    shape = ParseIntArray(path, name, "shape", ref reader);
                    break;
                case "data_offsets":
                    if (offsets != null) throw Fail(path, $"entry '{name}' has 'data_offsets' twice");
                    offsets = ParseIntArray(path, name, "data_offsets", ref reader);
                    break;
                default:
                    // Unknown fields are ignored, as the reference implementation does.
                    if (!reader.TrySkip()) throw Fail(path, $"header JSON ends inside '{name}.{field}'");
                    break;
            }
        }

        if (dtype == null) throw Fail(path, $"entry '{name}' is missing 'dtype'");
        if (shape == null) throw Fail(path, $"entry '{name}' is missing 'shape'");
        if (offsets == null) throw Fail(path, $"entry '{name}' is missing 'data_offsets'");
        if (!SafeTensorsDType.TryGet(dtype, out int elemSize, out _))
            throw Fail(path, $"entry '{name}' has unknown dtype '{dtype}'");
        if (offsets.Length != 2)
            throw Fail(path, $"entry '{name}': 'data_offsets' must have 2 elements, found {offsets.Length}");

        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw Fail(path, $"entry '{name}': data_offsets [{begin}, {end}] are reversed");
        if (end > dataLength)
            throw Fail(path, $"entry '{name}': data_offsets [{begin}, {end}] run past the end of the {dataLength}-byte data section");

        long count = 1;
        try
        {
            foreach (var d in shape) count = checked(count * d);
            long bytes = checked(count * elemSize);
            if (bytes != end - begin)
                throw Fail(path, $"entry '{name}': shape [{string.Join(", ", shape)}] of {dtype} needs {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        }
        catch (OverflowException)
        {
            throw Fail(path, $"entry '{name}': shape [{string.Join(", ", shape)}] has too many elements");
        }
        // Interp's tensors have int32 sizes: a larger dimension (even beside a 0, as in [0, 3000000000]) is refused here, by name
        if (count > int.MaxValue || shape.Any(d => d > int.MaxValue))
            throw Fail(path, $"entry '{name}': shape [{string.Join(", ", shape)}] is beyond Interp's int32 sizes (at most {int.MaxValue} elements and per dimension)");

        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] ParseIntArray(string path, string name, string field, ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Fail(path, $"entry '{name}': '{field}' must be an array, found {reader.TokenType}");
        var list = new List<long>();
        while (true)
        {
            Need(path, ref reader, $"'{name}.{field}'");
            if (reader.TokenType == JsonTokenType.EndArray) return list.ToArray();
            if (reader.TokenType != JsonTokenType.Number)
                throw Fail(path, $"entry '{name}': '{field}' must hold integers, found {reader.TokenType}");
            if (!reader.TryGetInt64(out long v))
            {
                string raw = reader.HasValueSequence ? "(number)" : Encoding.UTF8.GetString(reader.ValueSpan);
                throw Fail(path, $"entry '{name}': '{field}' element {raw} is not an integer in range");
            }
            if (v < 0)
                throw Fail(path, $"entry '{name}': '{field}' element {v} is negative");
            if (list.Count >= 64)
                throw Fail(path, $"entry '{name}': '{field}' has more than 64 elements");
            list.Add(v);
        }
    }

    private static void CheckOverlaps(string path, IEnumerable<SafeTensorInfo> entries)
    {
        var sorted = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ThenBy(e => e.End).ToArray();
        for (int i = 1; i < sorted.Length; i++)
        {
            var a = sorted[i - 1];
            var b = sorted[i];
            if (b.Begin < a.End)
                throw Fail(path, $"entries '{a.Name}' [{a.Begin}, {a.End}] and '{b.Name}' [{b.Begin}, {b.End}] overlap");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reading
    // ---------------------------------------------------------------------------------------------

    public bool Contains(string name) => _byName.ContainsKey(name);

    public bool TryGetInfo(string name, out SafeTensorInfo info) => _byName.TryGetValue(name, out info!);

    /// <summary>The entry for <paramref name="name"/>; throws <see cref="SafeTensorsFormatException"/> when absent.</summary>
    public SafeTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_byName.TryGetValue(name, out var info)) return info;
        throw Fail(Path, $"no tensor named '{name}' (the file holds {_names.Length} tensors)");
    }

    public SafeTensorInfo this[string name] => GetInfo(name);

    /// <summary>A tensor's bytes read into a new array (of <paramref name="wantedKind"/>'s element count).</summary>
    private byte[] ReadRaw(string name, string wantedKind, out SafeTensorInfo info, out int count)
    {
        info = GetInfo(name);
        long n = info.ElementCount;
        if (n > Array.MaxLength)
            throw Fail(Path, $"tensor '{name}' has {n} elements, too many for one {wantedKind} array");
        count = (int)n;
        if (info.ByteLength > Array.MaxLength)
            throw Fail(Path, $"tensor '{name}' is {info.ByteLength} bytes, too large for one byte array");
        var bytes = new byte[info.ByteLength];
        ReadInto(info, bytes);
        return bytes;
    }

    private void ReadInto(SafeTensorInfo info, Span<byte> into)
    {
        var file = _file;
        ObjectDisposedException.ThrowIf(file is null, this);
        // Offsets were validated at Open (DataStart + End <= the file's length then); the file may have shrunk since.
        ReadExactly(Path, file, DataStart + info.Begin, into, $"tensor '{info.Name}'");
    }

    /// <summary>
    /// Entry <paramref name="name"/> as a contiguous CPU tensor that views the file's bytes in place, through a
    /// copy-on-write memory mapping of the whole file (made on the first call, shared by all views): no copy, no fresh
    /// memory. Writes into the tensor (fine-tuning) copy the page they touch, so the file never changes. Null when the
    /// entry cannot be viewed as <paramref name="dtype"/>: its dtype differs (F32 is viewed as float32, F64 as float64),
    /// or its bytes are not aligned to its elements. The mapping is released when the last tensor viewing it is collected,
    /// even after this file is disposed. The file must not be modified or truncated meanwhile (as with torch.load's mmap):
    /// a read past a shrunk file's end kills the process with SIGBUS.
    /// </summary>
    /// <exception cref="SafeTensorsFormatException">The file no longer has the length it had when opened.</exception>
    public Tensor? TryMap(string name, DType dtype)
    {
        if (!CanMap(name, dtype)) return null;
        var info = GetInfo(name);
        return Mapping().View(DataStart + info.Begin, [.. info.Shape.Select(d => (int)d)], dtype);
    }

    /// <summary>Whether <see cref="TryMap"/> views entry <paramref name="name"/> as <paramref name="dtype"/> (rather than returning null).</summary>
    public bool CanMap(string name, DType dtype)
    {
        var info = GetInfo(name);
        string same = dtype switch { DType.Float32 => "F32", DType.Float64 => "F64", _ => "I32" };
        return info.DType == same && (DataStart + info.Begin) % dtype.ElementSize() == 0 && BitConverter.IsLittleEndian;
    }

    /// <summary>
    /// Maps the pages of the named entries in now, on all cores (reading any not cached from disk), so the first use of
    /// their <see cref="TryMap"/> views does not fault them in a few pages at a time.
    /// </summary>
    public void Prefetch(IEnumerable<string> names)
    {
        var ranges = names.Select(GetInfo).Select(info => (DataStart + info.Begin, info.ByteLength)).ToArray();
        if (ranges.Length > 0) Mapping().Populate(ranges);
    }

    /// <summary>The mapping of the whole file, checked first to still be as long as when the header was validated.</summary>
    private MappedFile Mapping()
    {
        lock (_mapGate)
        {
            if (_mapping is not null) return _mapping;
            var file = _file;
            ObjectDisposedException.ThrowIf(file is null, this);
            long now = RandomAccess.GetLength(file);
            if (now != _fileLength)
                throw Fail(Path, $"the file is now {now} bytes long, {_fileLength} when opened: it was changed while open, so it is not mapped");
            try
            {
                return _mapping = MappedFile.Map(file, _fileLength);
            }
            catch (IOException e)
            {
                throw Fail(Path, $"the file cannot be memory-mapped: {e.Message}", e);
            }
        }
    }

    private SafeTensorsFormatException WrongDType(SafeTensorInfo info, string wanted) =>
        Fail(Path, $"tensor '{info.Name}' has dtype {info.DType}, which cannot be read as {wanted}");

    /// <summary>The raw little-endian bytes of a tensor.</summary>
    public byte[] ReadBytes(string name) => ReadRaw(name, "byte", out _, out _);

    /// <summary>Reads a float tensor (F32, F16, BF16 or F64, the last rounded) as float32.</summary>
    public float[] ReadFloat32(string name)
    {
        var r = new float[ArrayLength(name, "float")];
        ReadFloat32Into(name, r);
        return r;
    }

    /// <summary>
    /// Reads <paramref name="into"/>.Length elements of a float tensor, from element <paramref name="first"/> on, as
    /// float32 (F64 rounded): straight into the caller's memory, so a tensor can be read into its final storage, or a
    /// big one a row at a time.
    /// </summary>
    public void ReadFloat32Into(string name, Span<float> into, long first = 0)
    {
        var (bytes, dtype) = ReadRange(name, first, into.Length, MemoryMarshal.AsBytes(into), "F32");
        for (int i = 0; bytes is not null && i < into.Length; i++) into[i] = (float)ReadScalar(bytes, dtype, i);
    }

    /// <summary>As <see cref="ReadFloat32Into"/>, as float64 (F32/F16/BF16 widened exactly).</summary>
    public void ReadFloat64Into(string name, Span<double> into, long first = 0)
    {
        var (bytes, dtype) = ReadRange(name, first, into.Length, MemoryMarshal.AsBytes(into), "F64");
        for (int i = 0; bytes is not null && i < into.Length; i++) into[i] = ReadScalar(bytes, dtype, i);
    }

    /// <summary>
    /// Elements [first, first + count) of a float tensor: read straight into <paramref name="direct"/> (and null returned)
    /// when the file holds <paramref name="sameDType"/>, else returned as the file's bytes for the caller to convert.
    /// </summary>
    private (byte[]? Bytes, string DType) ReadRange(string name, long first, int count, Span<byte> direct, string sameDType)
    {
        var info = GetInfo(name);
        if (first < 0 || first + count > info.ElementCount)
            throw new ArgumentOutOfRangeException(nameof(first), $"safetensors '{Path}': elements [{first}, {first + count}) are outside tensor '{name}' of {info.ElementCount}");
        if (info.DType is not ("F64" or "F32" or "F16" or "BF16")) throw WrongDType(info, sameDType == "F32" ? "float32" : "float64");
        int size = SafeTensorsDType.SizeOf(info.DType);
        var sub = info with { Begin = info.Begin + first * size };
        if (info.DType == sameDType && BitConverter.IsLittleEndian) { ReadInto(sub, direct); return (null, info.DType); }
        if ((long)count * size > Array.MaxLength)
            throw Fail(Path, $"tensor '{name}' is {(long)count * size} bytes, too large to convert in one piece");
        var bytes = new byte[(long)count * size];
        ReadInto(sub, bytes);
        return (bytes, info.DType);
    }

    private static double ReadScalar(ReadOnlySpan<byte> b, string dtype, int i) => dtype switch
    {
        "F64" => BinaryPrimitives.ReadDoubleLittleEndian(b[(8 * i)..]),
        "F32" => BinaryPrimitives.ReadSingleLittleEndian(b[(4 * i)..]),
        "F16" => (double)BinaryPrimitives.ReadHalfLittleEndian(b[(2 * i)..]),
        _ => BF16ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..])),
    };

    /// <summary>Reads a float tensor as float64: F64 exactly, F32/F16/BF16 widened (exact).</summary>
    public double[] ReadFloat64(string name)
    {
        var r = new double[ArrayLength(name, "double")];
        ReadFloat64Into(name, r);
        return r;
    }

    /// <summary>The tensor's element count, checked to fit one array of <paramref name="kind"/>.</summary>
    private int ArrayLength(string name, string kind)
    {
        long n = GetInfo(name).ElementCount;
        return n <= Array.MaxLength ? (int)n : throw Fail(Path, $"tensor '{name}' has {n} elements, too many for one {kind} array");
    }

    /// <summary>
    /// Reads an integer tensor as int32: I32, U8, I8, I16, U16 and BOOL directly; I64, U32 and U64 after
    /// checking every value fits (a <see cref="SafeTensorsFormatException"/> otherwise).
    /// </summary>
    public int[] ReadInt32(string name)
    {
        var p = ReadRaw(name, "int", out var info, out int n);
        var r = new int[n];
        switch (info.DType)
        {
            case "I32":
                for (int i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(4 * i));
                break;
            case "I64":
                for (int i = 0; i < n; i++)
                {
                    long v = BinaryPrimitives.ReadInt64LittleEndian(p.AsSpan(8 * i));
                    if (v < int.MinValue || v > int.MaxValue) throw OutOfRange(info, i, v.ToString());
                    r[i] = (int)v;
                }
                break;
            case "U32":
                for (int i = 0; i < n; i++)
                {
                    uint v = BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(4 * i));
                    if (v > int.MaxValue) throw OutOfRange(info, i, v.ToString());
                    r[i] = (int)v;
                }
                break;
            case "U64":
                for (int i = 0; i < n; i++)
                {
                    ulong v = BinaryPrimitives.ReadUInt64LittleEndian(p.AsSpan(8 * i));
                    if (v > int.MaxValue) throw OutOfRange(info, i, v.ToString());
                    r[i] = (int)v;
                }
                break;
            case "I16":
                for (int i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadInt16LittleEndian(p.AsSpan(2 * i));
                break;
            case "U16":
                for (int i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadUInt16LittleEndian(p.AsSpan(2 * i));
                break;
            case "U8":
                for (int i = 0; i < n; i++) r[i] = p[i];
                break;
            case "I8":
                for (int i = 0; i < n; i++) r[i] = (sbyte)p[i];
                break;
            case "BOOL":
                for (int i = 0; i < n; i++) r[i] = p[i] != 0 ? 1 : 0;
                break;
            default:
                throw WrongDType(info, "int32");
        }
        return r;
    }

    private SafeTensorsFormatException OutOfRange(SafeTensorInfo info, int index, string value) =>
        Fail(Path, $"tensor '{info.Name}' ({info.DType}) element {index} = {value} does not fit in int32");

    /// <summary>bfloat16 bits to float (exact: bf16 is the top half of a float32).</summary>
    public static float BF16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    public void Dispose() => Interlocked.Exchange(ref _file, null)?.Dispose();
}

/// <summary>Writes safetensors files the way the reference implementation does, atomically.</summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes tensors (raw little-endian bytes) and optional metadata to <paramref name="path"/>.
    /// Tensors are laid out in the reference order (dtype rank descending, then name, ordinal); the JSON
    /// header is padded with spaces to a multiple of 8 bytes. The file is written with <see cref="AtomicFile"/>: on any
    /// exception an existing file at <paramref name="path"/> is left untouched.
    /// </summary>
    public static void Write(string path,
        IEnumerable<(string name, string dtype, long[] shape, ReadOnlyMemory<byte> data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(string name, string dtype, long[] shape, ReadOnlyMemory<byte> data, int rank)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, dtype, shape, data) in tensors)
        {
            ArgumentNullException.ThrowIfNull(name);
            ArgumentNullException.ThrowIfNull(dtype);
            ArgumentNullException.ThrowIfNull(shape);
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot be a tensor name");
            if (!seen.Add(name)) throw new ArgumentException($"duplicate tensor name '{name}'");
            if (!SafeTensorsDType.TryGet(dtype, out int size, out int rank))
                throw new ArgumentException($"tensor '{name}': unknown dtype '{dtype}'");
            long count = 1;
            foreach (var d in shape)
            {
                if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension {d}");
                count = checked(count * d);
            }
            if (checked(count * size) != data.Length)
                throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype} needs {count * size} bytes, got {data.Length}");
            entries.Add((name, dtype, (long[])shape.Clone(), data, rank));
        }
        entries.Sort((a, b) =>
        {
            int c = b.rank.CompareTo(a.rank);
            return c != 0 ? c : string.CompareOrdinal(a.name, b.name);
        });

        byte[] header = BuildHeader(entries, metadata);

        AtomicFile.Write(path, fs =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            fs.Write(len);
            fs.Write(header);
            foreach (var e in entries) fs.Write(e.data.Span);
        });
    }

    private static byte[] BuildHeader(List<(string name, string dtype, long[] shape, ReadOnlyMemory<byte> data, int rank)> entries,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var buf = new MemoryStream();
        using (var w = new Utf8JsonWriter(buf, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false }))
        {
            w.WriteStartObject();
            if (metadata != null)
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    ArgumentNullException.ThrowIfNull(kv.Value, $"metadata['{kv.Key}']");
                    w.WriteString(kv.Key, kv.Value);
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in entries)
            {
                w.WriteStartObject(e.name);
                w.WriteString("dtype", e.dtype);
                w.WriteStartArray("shape");
                foreach (var d in e.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += e.data.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int n = (int)buf.Length;
        int pad = (8 - n % 8) % 8;
        for (int i = 0; i < pad; i++) buf.WriteByte((byte)' ');
        return buf.ToArray();
    }

    /// <summary>Writes float32 tensors (dtype F32).</summary>
    public static void Write(string path, IEnumerable<(string name, long[] shape, float[] data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(t => F32(t.name, t.shape, t.data)), metadata);

    /// <summary>Writes float64 tensors (dtype F64).</summary>
    public static void Write(string path, IEnumerable<(string name, long[] shape, double[] data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(t => F64(t.name, t.shape, t.data)), metadata);

    /// <summary>Writes int32 tensors (dtype I32).</summary>
    public static void Write(string path, IEnumerable<(string name, long[] shape, int[] data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(t => I32(t.name, t.shape, t.data)), metadata);

    // Entry builders, so that one file can mix dtypes: Write(path, [F32("w", [2, 3], w), I32("ids", [4], ids)]).

    public static (string name, string dtype, long[] shape, ReadOnlyMemory<byte> data) F32(string name, long[] shape, float[] data) =>
        (name, "F32", shape, LittleEndianBytes<float>(data));

    public static (string name, string dtype, long[] shape, ReadOnlyMemory<byte> data) F64(string name, long[] shape, double[] data) =>
        (name, "F64", shape, LittleEndianBytes<double>(data));

    public static (string name, string dtype, long[] shape, ReadOnlyMemory<byte> data) I32(string name, long[] shape, int[] data) =>
        (name, "I32", shape, LittleEndianBytes<int>(data));

    public static (string name, string dtype, long[] shape, ReadOnlyMemory<byte> data) I64(string name, long[] shape, long[] data) =>
        (name, "I64", shape, LittleEndianBytes<long>(data));

    /// <summary>float32 values rounded (to nearest even) to F16.</summary>
    public static (string name, string dtype, long[] shape, ReadOnlyMemory<byte> data) F16(string name, long[] shape, float[] data)
    {
        var b = new byte[data.Length * 2];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(b.AsSpan(2 * i), (Half)data[i]);
        return (name, "F16", shape, b);
    }

    /// <summary>float32 values rounded (to nearest even) to BF16.</summary>
    public static (string name, string dtype, long[] shape, ReadOnlyMemory<byte> data) BF16(string name, long[] shape, float[] data)
    {
        var b = new byte[data.Length * 2];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), FloatToBF16(data[i]));
        return (name, "BF16", shape, b);
    }

    /// <summary>float to bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN of the same sign.</summary>
    public static ushort FloatToBF16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x0040);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static byte[] LittleEndianBytes<T>(T[] data) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        byte[] b = MemoryMarshal.AsBytes(data.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            for (int i = 0; i < b.Length; i += size) b.AsSpan(i, size).Reverse();
        }
        return b;
    }
}
