using System.Buffers.Binary;
using System.IO.Compression;

namespace Interp.Data;

/// <summary>An n-dimensional array of unsigned bytes read from an IDX file (row-major).</summary>
public sealed class IdxArray
{
    public IdxArray(int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d}", nameof(shape));
            n = checked(n * d);
        }
        if (n != data.Length) throw new ArgumentException($"shape [{string.Join(", ", shape)}] needs {n} bytes, got {data.Length}", nameof(data));
        Shape = shape;
        Data = data;
    }

    public int[] Shape { get; }
    public byte[] Data { get; }
}

/// <summary>
/// Reader (and writer, for tests and conversions) of the IDX format used by MNIST: a big-endian header
/// <c>00 00 type ndims</c>, then <c>ndims</c> big-endian int32 dimensions, then the data. Files may be
/// gzip-compressed; that is detected by the gzip magic (1f 8b), not by the name. Only unsigned byte data
/// (type 0x08) is supported.
/// </summary>
public static class Idx
{
    public const byte TypeUByte = 0x08;
    public const int MaxDims = 8;

    /// <summary>Reads an IDX file, raw or gzip.</summary>
    /// <exception cref="InvalidDataException">The contents are not a valid ubyte IDX array (message names the file).</exception>
    public static IdxArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(fs, path);
    }

    /// <summary>Reads IDX data (raw or gzip) from a stream; <paramref name="name"/> is used in error messages.</summary>
    public static IdxArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);

        // Sniff the first two bytes for the gzip magic.
        Span<byte> first = stackalloc byte[2];
        int got = ReadAtMost(stream, first);
        Stream body;
        bool gz = got == 2 && first[0] == 0x1f && first[1] == 0x8b;
        var prefix = new MemoryStream(first[..got].ToArray());
        var joined = new ConcatStream(prefix, stream);
        body = gz ? new GZipStream(joined, CompressionMode.Decompress) : joined;

        try
        {
            Span<byte> magic = stackalloc byte[4];
            int m = ReadAtMost(body, magic);
            if (m < 4) throw Bad(name, $"file is too short for the 4-byte IDX magic ({m} bytes)");
            if (magic[0] != 0 || magic[1] != 0)
                throw Bad(name, $"bad IDX magic {magic[0]:x2} {magic[1]:x2} {magic[2]:x2} {magic[3]:x2} (expected 00 00 <type> <ndims>)");
            byte type = magic[2];
            int ndims = magic[3];
            if (type != TypeUByte)
                throw Bad(name, $"unsupported IDX data type 0x{type:x2} (only unsigned byte, 0x08, is supported)");
            if (ndims > MaxDims)
                throw Bad(name, $"IDX header declares {ndims} dimensions (at most {MaxDims} supported)");

            var shape = new int[ndims];
            Span<byte> dimBytes = stackalloc byte[4];
            long count = 1;
            for (int i = 0; i < ndims; i++)
            {
                if (ReadAtMost(body, dimBytes) < 4) throw Bad(name, $"header truncated while reading dimension {i} of {ndims}");
                int d = BinaryPrimitives.ReadInt32BigEndian(dimBytes);
                if (d < 0) throw Bad(name, $"dimension {i} is negative ({d})");
                shape[i] = d;
                count *= d; // at most 8 factors < 2^31 each could overflow; check below each step
                if (count > Array.MaxLength)
                    throw Bad(name, $"shape [{string.Join(", ", shape[..(i + 1)])}...] has more than {Array.MaxLength} elements");
            }

            // Read the data without trusting the header's size for allocation: grow with what actually arrives,
            // and read one byte more than expected to detect trailing data.
            byte[] data = ReadUpTo(body, count + 1, gz ? null : stream.CanSeek ? stream.Length - stream.Position : null);
            if (data.Length < count)
                throw Bad(name, $"data truncated: shape [{string.Join(", ", shape)}] needs {count} bytes, only {data.Length} present");
            if (data.Length > count)
                throw Bad(name, $"size mismatch: more data than shape [{string.Join(", ", shape)}] ({count} bytes) accounts for");
            return new IdxArray(shape, data);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("Invalid IDX file '", StringComparison.Ordinal))
        {
            // GZipStream reports corrupt compressed data with InvalidDataException: add the file name.
            throw Bad(name, $"corrupt gzip data: {e.Message}", e);
        }
        finally
        {
            if (gz) body.Dispose();
        }
    }

    /// <summary>Writes a ubyte IDX file, optionally gzip-compressed (not atomic; meant for tests and conversions).</summary>
    public static void Write(string path, IdxArray array, bool gzip)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Shape.Length > MaxDims) throw new ArgumentException($"at most {MaxDims} dimensions");
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        using Stream s = gzip ? new GZipStream(fs, CompressionLevel.Optimal) : fs;
        s.Write([0, 0, TypeUByte, (byte)array.Shape.Length]);
        Span<byte> b = stackalloc byte[4];
        foreach (var d in array.Shape)
        {
            BinaryPrimitives.WriteInt32BigEndian(b, d);
            s.Write(b);
        }
        s.Write(array.Data);
    }

    private static InvalidDataException Bad(string name, string problem, Exception? inner = null) =>
        new($"Invalid IDX file '{name}': {problem}", inner);

    private static int ReadAtMost(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int r = s.Read(buffer[total..]);
            if (r == 0) break;
            total += r;
        }
        return total;
    }

    /// <summary>Reads up to <paramref name="limit"/> bytes; allocation follows the bytes actually read.</summary>
    private static byte[] ReadUpTo(Stream s, long limit, long? knownRemaining)
    {
        long cap = knownRemaining is long k ? Math.Min(limit, k) : Math.Min(limit, 1 << 20);
        cap = Math.Min(cap, Array.MaxLength);
        var buf = new byte[Math.Max(cap, 0)];
        long total = 0;
        while (total < limit)
        {
            if (total == buf.Length)
            {
                if (buf.Length >= Array.MaxLength) break;
                long grow = Math.Min(Math.Min(Math.Max((long)buf.Length * 2, 1 << 16), limit), Array.MaxLength);
                Array.Resize(ref buf, (int)grow);
            }
            int r = s.Read(buf, (int)total, (int)Math.Min(buf.Length - total, limit - total));
            if (r == 0) break;
            total += r;
        }
        if (total != buf.Length) Array.Resize(ref buf, (int)total);
        return buf;
    }

    /// <summary>Read-only concatenation of two streams (used to push back the sniffed gzip magic).</summary>
    private sealed class ConcatStream(Stream first, Stream second) : Stream
    {
        private bool _firstDone;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty) return 0;
            if (!_firstDone)
            {
                int r = first.Read(buffer);
                if (r > 0) return r;
                _firstDone = true;
            }
            return second.Read(buffer);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
