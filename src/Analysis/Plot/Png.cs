using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Interp.Analysis.Plot;

/// <summary>
/// PNG (RFC 2083) for 8-bit RGB images with the in-box zlib: signature, IHDR, one IDAT, IEND; each chunk is
/// length · type · data · CRC-32(type · data). Rows are written with filter 0 (none); the decoder undoes all five filters.
/// </summary>
public static class Png
{
    static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static byte[] Encode(int width, int height, ReadOnlySpan<byte> rgb)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Png.Encode: width and height must be positive, got {width}x{height}");
        if (rgb.Length != (long)width * height * 3)
            throw new ArgumentException($"Png.Encode: {width}x{height} RGB needs {(long)width * height * 3} bytes, got {rgb.Length}");
        var raw = new byte[(long)height * (width * 3 + 1)];
        for (int y = 0; y < height; y++)
            rgb.Slice(y * width * 3, width * 3).CopyTo(raw.AsSpan(y * (width * 3 + 1) + 1));
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type: truecolour RGB
        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Decodes a non-interlaced 8-bit RGB or RGBA PNG (alpha dropped); enough to check what Encode wrote.</summary>
    public static RgbImage Decode(byte[] png)
    {
        if (png.Length < 8 || !png.AsSpan(0, 8).SequenceEqual(Signature)) throw new InvalidDataException("Png.Decode: not a PNG (bad signature)");
        int pos = 8, width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        while (pos + 12 <= png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            if (length < 0 || pos + 12L + length > png.Length) throw new InvalidDataException($"Png.Decode: chunk {type} runs past the end of the file");
            var data = png.AsSpan(pos + 8, length);
            if (Crc32(png.AsSpan(pos + 4, length + 4)) != BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length)))
                throw new InvalidDataException($"Png.Decode: chunk {type} has a bad CRC");
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || (data[9] != 2 && data[9] != 6) || data[12] != 0)
                    throw new InvalidDataException($"Png.Decode: only 8-bit non-interlaced RGB/RGBA is supported (depth {data[8]}, colour type {data[9]}, interlace {data[12]})");
                channels = data[9] == 2 ? 3 : 4;
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            pos += 12 + length;
        }
        if (channels == 0) throw new InvalidDataException("Png.Decode: no IHDR chunk");
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        int stride = width * channels;
        var raw = new byte[(long)height * (stride + 1)];
        z.ReadExactly(raw);
        var image = new RgbImage(width, height);
        var prev = new byte[stride];
        var cur = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (stride + 1)];
            raw.AsSpan(y * (stride + 1) + 1, stride).CopyTo(cur);
            Unfilter(filter, cur, prev, channels);
            for (int x = 0; x < width; x++) image.Set(x, y, (cur[x * channels], cur[x * channels + 1], cur[x * channels + 2]));
            (prev, cur) = (cur, prev);
        }
        return image;
    }

    static void Unfilter(byte filter, byte[] cur, byte[] prev, int bpp)
    {
        for (int i = 0; i < cur.Length; i++)
        {
            int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
            cur[i] += filter switch
            {
                0 => 0,
                1 => (byte)a,
                2 => (byte)b,
                3 => (byte)((a + b) / 2),
                4 => Paeth(a, b, c),
                _ => throw new InvalidDataException($"Png.Decode: unknown row filter {filter}"),
            };
        }
    }

    static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }

    static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typeAndData = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        s.Write(word);
    }

    static readonly uint[] CrcTable = MakeCrcTable();

    static uint[] MakeCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    /// <summary>CRC-32 as PNG defines it (reflected polynomial 0xEDB88320, initial and final XOR with all ones).</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
