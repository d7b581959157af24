using System.Text;
using System.Text.Json;
using Interp.IO;

namespace Interp.Tokenizer;

/// <summary>
/// A byte-level BPE tokenizer in GPT-2's format: ids 0..255 are the bytes, then one token per merge in merge order,
/// then &lt;|endoftext|&gt;. Encoding cuts the text with GPT-2's pre-tokenizer and merges each pre-token's bytes
/// lowest rank first, so any text round-trips exactly. <see cref="Save"/> writes <c>vocab.json</c> (token string → id)
/// and <c>merges.txt</c> (<c>#version: 0.2</c>, then one "left right" pair a line), which GPT-2-style loaders read
/// (Microsoft.ML.Tokenizers' CodeGenTokenizer, Hugging Face's GPT2Tokenizer). Encode is thread-safe.
/// </summary>
public sealed class BpeTokenizer : ITokenizer
{
    public const string EndOfTextText = "<|endoftext|>";
    public const string VocabFile = "vocab.json", MergesFile = "merges.txt";

    readonly byte[][] tokenBytes;
    readonly Dictionary<(int, int), int> mergeRank = new();   // pair → rank (its merged token is 256 + rank)
    readonly Dictionary<string, int[]> cache = new();
    readonly Lock cacheLock = new();

    /// <param name="merges">the merges in order, each a pair of token ids that exist before it</param>
    public BpeTokenizer(IReadOnlyList<(int Left, int Right)> merges)
    {
        ArgumentNullException.ThrowIfNull(merges);
        tokenBytes = new byte[256 + merges.Count + 1][];
        for (int b = 0; b < 256; b++) tokenBytes[b] = [(byte)b];
        for (int r = 0; r < merges.Count; r++)
        {
            var (left, right) = merges[r];
            int id = 256 + r;
            if ((uint)left >= id || (uint)right >= id)
                throw new ArgumentException($"bpe: merge {r} ({left}, {right}) names a token not made before it (ids below {id})");
            if (!mergeRank.TryAdd((left, right), r)) throw new ArgumentException($"bpe: merge {r} ({left}, {right}) repeats an earlier merge");
            tokenBytes[id] = [.. tokenBytes[left], .. tokenBytes[right]];
        }
        Merges = merges.ToArray();
        EndOfText = 256 + merges.Count;
        tokenBytes[EndOfText] = Encoding.UTF8.GetBytes(EndOfTextText);
    }

    public IReadOnlyList<(int Left, int Right)> Merges { get; }
    public int EndOfText { get; }
    public int VocabSize => tokenBytes.Length;

    /// <summary>The bytes token <paramref name="id"/> stands for.</summary>
    public ReadOnlySpan<byte> BytesOf(int id) => (uint)id < (uint)VocabSize ? tokenBytes[id]
        : throw new ArgumentOutOfRangeException(nameof(id), $"bpe: token id {id} is outside the vocabulary [0, {VocabSize})");

    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 1);
        foreach (string piece in ByteLevel.PreTokens(text)) ids.AddRange(EncodePiece(piece));
        return [.. ids];
    }

    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids) bytes.AddRange(BytesOf(id));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>One pre-token's ids: its UTF-8 bytes, merged lowest rank first until no pair has a merge.</summary>
    int[] EncodePiece(string piece)
    {
        lock (cacheLock) if (cache.TryGetValue(piece, out var hit)) return hit;
        var symbols = Encoding.UTF8.GetBytes(piece).Select(b => (int)b).ToList();
        while (symbols.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (mergeRank.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < bestRank) (best, bestRank) = (i, r);
            if (best < 0) break;
            int merged = 256 + bestRank;
            var (left, right) = Merges[bestRank];
            for (int i = 0; i + 1 < symbols.Count; i++)   // every occurrence, left to right
                if (symbols[i] == left && symbols[i + 1] == right) { symbols[i] = merged; symbols.RemoveAt(i + 1); }
        }
        int[] ids = [.. symbols];
        lock (cacheLock) if (cache.Count < 1 << 20) cache[piece] = ids;
        return ids;
    }

    /// <summary>Writes vocab.json and merges.txt into <paramref name="dir"/> (atomically each).</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        var vocab = new Dictionary<string, int>();
        for (int id = 0; id < EndOfText; id++) vocab[ByteLevel.ToUnicode(tokenBytes[id])] = id;
        vocab[EndOfTextText] = EndOfText;
        AtomicFile.Write(Path.Combine(dir, VocabFile), fs => fs.Write(JsonSerializer.SerializeToUtf8Bytes(vocab)));
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (l, r) in Merges) merges.Append(ByteLevel.ToUnicode(tokenBytes[l])).Append(' ').Append(ByteLevel.ToUnicode(tokenBytes[r])).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(dir, MergesFile), merges.ToString());
    }

    /// <summary>Reads vocab.json and merges.txt as <see cref="Save"/> writes them; a line or token that does not fit is named with its file.</summary>
    public static BpeTokenizer Load(string dir)
    {
        string vocabPath = Path.Combine(dir, VocabFile), mergesPath = Path.Combine(dir, MergesFile);
        foreach (var p in new[] { vocabPath, mergesPath })
            if (!File.Exists(p)) throw new FileNotFoundException($"bpe: no tokenizer file '{p}'", p);
        Dictionary<string, int> vocab;
        try { vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(vocabPath)) ?? []; }
        catch (JsonException e) { throw new InvalidDataException($"bpe: '{vocabPath}' is not a JSON object of token → id: {e.Message}", e); }
        var idOfBytes = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) idOfBytes[ByteLevel.ToUnicode([(byte)b])] = b;
        var merges = new List<(int, int)>();
        var lines = File.ReadAllLines(mergesPath);
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            if (line.Length == 0 || (n == 0 && line.StartsWith("#version"))) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2 || !idOfBytes.TryGetValue(parts[0], out int l) || !idOfBytes.TryGetValue(parts[1], out int r))
                throw new InvalidDataException($"bpe: '{mergesPath}' line {n + 1} ('{line}') is not two tokens made by earlier merges");
            int id = 256 + merges.Count;
            merges.Add((l, r));
            idOfBytes.TryAdd(parts[0] + parts[1], id);
        }
        BpeTokenizer tokenizer;
        try { tokenizer = new BpeTokenizer(merges); }
        catch (ArgumentException e) { throw new InvalidDataException($"bpe: '{mergesPath}': {e.Message}", e); }   // e.g. a merge repeated
        // the vocabulary must give every token the id this layout gives it (the file is only a check here)
        foreach (var (text, id) in vocab)
        {
            int expected = text == EndOfTextText ? tokenizer.EndOfText : idOfBytes.GetValueOrDefault(text, -1);
            // the two files disagree: either may be the damaged one, so both are named
            if (expected != id) throw new InvalidDataException($"bpe: '{vocabPath}' gives '{text}' id {id}, the merges of '{mergesPath}' " +
                (expected < 0 ? "do not make it" : $"make it {expected}") + $" (bytes first, then merges in order, then {EndOfTextText})");
        }
        if (vocab.Count != tokenizer.VocabSize)
            throw new InvalidDataException($"bpe: '{vocabPath}' has {vocab.Count} tokens, the {merges.Count} merges of '{mergesPath}' make {tokenizer.VocabSize}");
        return tokenizer;
    }
}
