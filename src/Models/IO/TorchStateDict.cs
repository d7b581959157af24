using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static Interp.IO.TorchPickle;

namespace Interp.IO;

/// <summary>
/// Reads a PyTorch state dict written by torch.save (the zip format of PyTorch 1.6+, as in `.pt` files and
/// `pytorch_model.bin`): PREFIX/data.pkl, a pickle of a dict of tensors whose storages are the records
/// PREFIX/data/KEY, plus PREFIX/version and, in newer files, PREFIX/byteorder. The pickle runs on a
/// restricted machine (<see cref="TorchPickle"/>) that never executes anything from the file.
/// </summary>
public static class TorchStateDict
{
    /// <summary>
    /// Loads every tensor, in the file's order. Floating-point tensors (float32/64/16, bfloat16) come out as
    /// <paramref name="floatDType"/>; integer and bool tensors as Int32 (int64 values are range-checked).
    /// Saved views keep their values: storage offset, size and stride are honoured, shared storages are read
    /// once, and every tensor comes out independent: contiguous, except that a dimension saved with stride 0 (an
    /// expanded tensor) stays an expanded view, so it costs no more memory than the file holds. A storage record is
    /// read only as far as the views into it reach. A nested dict's entries are named "outer.inner" (at most
    /// <see cref="MaxNesting"/> levels; a dict reached twice is refused).
    /// </summary>
    /// <exception cref="TorchPickleException">The file is not a readable torch zip checkpoint, or its pickle
    /// uses an opcode or global outside the allow-list (named with its byte offset).</exception>
    public static IReadOnlyDictionary<string, Tensor> Load(string path, DType floatDType = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!floatDType.IsFloatingPoint())
            throw new ArgumentException($"torch load: floatDType must be Float32 or Float64, not {floatDType.Name()}", nameof(floatDType));
        string full = Path.GetFullPath(path);
        using var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> magic = stackalloc byte[4];
        if (fs.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !magic.SequenceEqual("PK\x03\x04"u8))
            throw Fail(full, "not a zip archive (torch.save's legacy format from before PyTorch 1.6 is not supported)");
        fs.Position = 0;

        ZipArchive zip;
        try
        {
            zip = new ZipArchive(fs, ZipArchiveMode.Read);
            _ = zip.Entries.Count;   // the central directory is read lazily: find its damage here
        }
        catch (InvalidDataException e) { throw Fail(full, $"damaged or truncated zip archive: {e.Message}", e); }
        using (zip)
        {
            var reader = new Reader(full, zip, floatDType);
            object? root = TorchPickle.Run(full, reader.ReadRecord("data.pkl"));
            if (root is not PyDict dict) throw Fail(full, "the pickle does not hold a dict of tensors");
            var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
            reader.Collect(dict, result);
            return result;
        }
    }

    /// <summary>How deeply a state dict's dicts may nest (PyTorch's own are one or two levels deep).</summary>
    public const int MaxNesting = 64;

    static TorchPickleException Fail(string path, string problem, Exception? inner = null) =>
        new($"Invalid torch file '{path}': {problem}", inner);

    sealed class Reader
    {
        readonly string path;
        readonly ZipArchive zip;
        readonly DType floatDType;
        readonly string prefix;
        readonly Dictionary<string, byte[]> storages = [];

        public Reader(string path, ZipArchive zip, DType floatDType)
        {
            this.path = path;
            this.zip = zip;
            this.floatDType = floatDType;
            // The archive folder is the file's stem in older torch and "archive" in newer: take whichever holds data.pkl.
            var pkl = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
            if (pkl.Count != 1)
                throw Fail(path, pkl.Count == 0 ? "no PREFIX/data.pkl record in the zip archive" : $"{pkl.Count} data.pkl records in the zip archive");
            prefix = pkl[0].FullName[..^"data.pkl".Length];
            var order = zip.GetEntry(prefix + "byteorder");
            if (order is not null)
            {
                string o = Encoding.ASCII.GetString(Read(order)).Trim();
                if (o != "little") throw Fail(path, $"byteorder is '{o}'; only little-endian checkpoints are supported");
            }
        }

        public byte[] ReadRecord(string name, long maxBytes = long.MaxValue) =>
            Read(zip.GetEntry(prefix + name) ?? throw Fail(path, $"the zip archive has no record '{prefix}{name}'"), maxBytes);

        /// <summary>The record's first <paramref name="maxBytes"/> bytes (all of it when shorter): what is decompressed is bounded by what is used.</summary>
        byte[] Read(ZipArchiveEntry e, long maxBytes = long.MaxValue)
        {
            // A deflated record expands at most ~1032-fold: a larger declared size is damage, not a reason to allocate it.
            if (e.Length < 0 || e.Length > Array.MaxLength || e.Length > 1032 * Math.Max(e.CompressedLength, 1) + 64)
                throw Fail(path, $"record '{e.FullName}' declares {e.Length} bytes from {e.CompressedLength} compressed");
            try
            {
                using var s = e.Open();
                var buf = new byte[Math.Min(e.Length, maxBytes)];
                s.ReadExactly(buf);
                return buf;
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
            {
                throw Fail(path, $"cannot read record '{e.FullName}': {ex.Message}", ex);
            }
        }

        /// <summary>
        /// Every tensor of the dict and the dicts inside it, depth first in the file's order. An explicit stack, not
        /// recursion: a small pickle of deeply nested dicts must not overflow the call stack.
        /// </summary>
        public void Collect(PyDict root, OrderedDictionary<string, Tensor> into)
        {
            var seen = new HashSet<PyDict>(ReferenceEqualityComparer.Instance) { root };
            var open = new Stack<(IEnumerator<KeyValuePair<object, object?>> Items, string Prefix)>();
            open.Push((root.Items.GetEnumerator(), ""));
            while (open.Count > 0)
            {
                var (items, prefix) = open.Peek();
                if (!items.MoveNext()) { open.Pop(); continue; }
                var (key, value) = items.Current;
                string name = prefix + (key as string ?? throw Fail(path, $"state dict key {key} is not a string"));
                switch (value)
                {
                    case TensorRef t: into.Add(name, Materialize(name, t)); break;
                    case PyDict inner:
                        if (!seen.Add(inner)) throw Fail(path, $"entry '{name}' is a dict already reached through another entry (shared or cyclic dicts are not a state dict)");
                        if (open.Count >= MaxNesting) throw Fail(path, $"entry '{name}' nests dicts more than {MaxNesting} levels deep");
                        open.Push((inner.Items.GetEnumerator(), name + "."));
                        break;
                    default: throw Fail(path, $"entry '{name}' is a {value?.GetType().Name ?? "None"}, not a tensor");
                }
            }
        }

        Tensor Materialize(string name, TensorRef t)
        {
            var (size, elem) = ElementOf(t.Storage.Type);
            var (shape, last) = CheckView(name, t, t.Storage.Numel);
            // Dimensions saved with stride 0 are read once and expanded back: [10⁹] with stride 0 holds one value.
            var compact = t with { Size = t.Size.Select((d, i) => t.Stride[i] == 0 ? Math.Min(d, 1) : d).ToArray() };
            int[] stored = ToInts(compact.Size);
            int numel = ShapeUtil.Numel(stored);
            var bytes = StorageBytes(t.Storage, numel == 0 ? 0 : (last + 1) * size);   // stride-0 dims reach no further
            Tensor r;
            if (elem == Elem.Float || elem == Elem.Double || elem == Elem.Half || elem == Elem.BFloat16)
                r = floatDType == DType.Float64
                    ? Tensor.FromArray(Gather(compact, numel, i => ReadFloat(bytes, elem, i)), stored)
                    : Tensor.FromArray(Gather(compact, numel, i => (float)ReadFloat(bytes, elem, i)), stored);
            else
                r = Tensor.FromArray(Gather(compact, numel, i => ReadInt(name, bytes, elem, i)), stored);
            return stored.SequenceEqual(shape) ? r : r.Expand(shape);
        }

        static int[] ToInts(long[] size) => Array.ConvertAll(size, d => (int)d);

        /// <summary>
        /// The first <paramref name="bytes"/> of a storage record, read once and re-read only when a later view reaches
        /// further; fewer bytes in the record than its views need is an error.
        /// </summary>
        byte[] StorageBytes(StorageRef storage, long bytes)
        {
            if (storages.TryGetValue(storage.Key, out var cached) && cached.LongLength >= bytes) return cached;
            var read = ReadRecord("data/" + storage.Key, bytes);
            if (read.LongLength < bytes)
                throw Fail(path, $"storage '{storage.Key}' has {read.LongLength} bytes, fewer than the {bytes} its {storage.Type} views need");
            storages[storage.Key] = read;
            return read;
        }

        /// <summary>Checks that the view stays inside the storage; returns its shape and the last storage element it reads.</summary>
        (int[] Shape, long Last) CheckView(string name, TensorRef t, long storageNumel)
        {
            string view = $"size [{string.Join(", ", t.Size)}], stride [{string.Join(", ", t.Stride)}], offset {t.Offset}";
            if (t.Size.Length != t.Stride.Length || t.Offset < 0 || t.Size.Any(d => d < 0) || t.Stride.Any(s => s < 0))
                throw Fail(path, $"tensor '{name}' has an invalid view ({view})");
            long numel = 1, last = t.Offset;
            try
            {
                foreach (var (d, s) in t.Size.Zip(t.Stride))
                {
                    numel = checked(numel * d);
                    if (d > 0) last = checked(last + (d - 1) * s);
                }
            }
            catch (OverflowException)
            {
                throw Fail(path, $"tensor '{name}' has a view whose size overflows ({view})");
            }
            if (numel > int.MaxValue || t.Size.Any(d => d > int.MaxValue))
                throw Fail(path, $"tensor '{name}' ({view}) is beyond Interp's int32 sizes (at most {int.MaxValue} elements and per dimension)");
            if (numel > 0 && last >= storageNumel)
                throw Fail(path, $"tensor '{name}' ({view}) reaches element {last} of a storage of {storageNumel}");
            return (ToInts(t.Size), last);
        }

        /// <summary>Reads a strided view in logical (row-major) order.</summary>
        static T[] Gather<T>(TensorRef t, int numel, Func<long, T> read)
        {
            var r = new T[numel];
            int rank = t.Size.Length;
            var idx = new long[rank];
            long at = t.Offset;
            for (int n = 0; n < numel; n++)
            {
                r[n] = read(at);
                for (int d = rank - 1; d >= 0; d--)
                {
                    at += t.Stride[d];
                    if (++idx[d] < t.Size[d]) break;
                    at -= t.Stride[d] * t.Size[d];
                    idx[d] = 0;
                }
            }
            return r;
        }

        static double ReadFloat(byte[] b, Elem e, long i) => e switch
        {
            Elem.Float => BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan((int)(4 * i))),
            Elem.Double => BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan((int)(8 * i))),
            Elem.Half => (double)BinaryPrimitives.ReadHalfLittleEndian(b.AsSpan((int)(2 * i))),
            _ => SafeTensorsFile.BF16ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)(2 * i)))),
        };

        int ReadInt(string name, byte[] b, Elem e, long i)
        {
            switch (e)
            {
                case Elem.Long:
                    long v = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)(8 * i)));
                    if (v is < int.MinValue or > int.MaxValue)
                        throw Fail(path, $"int64 tensor '{name}' holds {v} (storage element {i}), outside the int32 range");
                    return (int)v;
                case Elem.Int: return BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan((int)(4 * i)));
                case Elem.Byte: return b[i];
                default: return b[i] != 0 ? 1 : 0;
            }
        }

        (int Size, Elem Elem) ElementOf(string storageType) => storageType switch
        {
            "FloatStorage" => (4, Elem.Float),
            "DoubleStorage" => (8, Elem.Double),
            "HalfStorage" => (2, Elem.Half),
            "BFloat16Storage" => (2, Elem.BFloat16),
            "LongStorage" => (8, Elem.Long),
            "IntStorage" => (4, Elem.Int),
            "ByteStorage" => (1, Elem.Byte),
            "BoolStorage" => (1, Elem.Bool),
            _ => throw Fail(path, $"storage type {storageType} is not supported"),
        };
    }

    enum Elem { Float, Double, Half, BFloat16, Long, Int, Byte, Bool }
}
