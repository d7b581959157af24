using System.Text.RegularExpressions;

namespace Interp.Tokenizer;

/// <summary>
/// GPT-2's byte-level conventions, shared by its tokenizer files and by <see cref="BpeTrainer"/>: each byte is written
/// as one printable Unicode character (bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others
/// become U+0100 and up, so a space is "Ġ" and a newline "Ċ"), and text is cut into pre-tokens by GPT-2's regex
/// (contractions, words with their leading space, numbers, runs of other symbols, whitespace) before BPE.
/// </summary>
public static partial class ByteLevel
{
    static readonly char[] byteToChar = BuildByteToChar();
    static readonly Dictionary<char, byte> charToByte = Enumerable.Range(0, 256).ToDictionary(b => byteToChar[b], b => (byte)b);

    /// <summary>GPT-2's pre-tokenizer pattern (encoder.py).</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    public static partial Regex PreTokenizer();

    /// <summary>The character that stands for byte <paramref name="b"/>.</summary>
    public static char CharOf(byte b) => byteToChar[b];

    /// <summary>The bytes as GPT-2 writes them in vocab.json and merges.txt.</summary>
    public static string ToUnicode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = byteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a vocab.json/merges.txt string stands for; a character outside the 256 is refused by name.</summary>
    public static byte[] FromUnicode(string text, string where)
    {
        var bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
            bytes[i] = charToByte.TryGetValue(text[i], out byte b) ? b
                : throw new InvalidDataException($"{where}: '{text}' holds U+{(int)text[i]:X4}, which is not one of the 256 byte-level characters");
        return bytes;
    }

    /// <summary>The pre-tokens of <paramref name="text"/>, in order; they concatenate back to the text.</summary>
    public static IEnumerable<string> PreTokens(string text)
    {
        foreach (Match m in PreTokenizer().Matches(text)) yield return m.Value;
    }

    // GPT-2's bytes_to_unicode: '!'..'~', '¡'..'¬', '®'..'ÿ' stand for themselves; the rest take 256, 257, ... in byte order
    static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }
}
