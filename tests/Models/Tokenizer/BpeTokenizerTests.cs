using System.Text;
using FsCheck;
using FsCheck.Xunit;
using Interp.Tokenizer;
using Ml = Microsoft.ML.Tokenizers;
using Xunit;

namespace Interp.Tests.Models.Tokenizer;

/// <summary>The byte-level BPE trainer and tokenizer, trained on the repository's own Python files (real code) plus some non-ASCII text.</summary>
public sealed class BpeTokenizerTests
{
    static readonly string[] Pieces =
        ["a", "Z", " ", "  ", "\n", "\t", "'s", "'ll", "1", "42", ".", "!?", "é", "e\u0301", "ß", "Ж", "中文", "日本", "😀", "👩‍👩‍👧", "\u200b", "\u00a0", "\r\n", "ا"];

    static readonly string[] Texts = [.. Directory.GetFiles(FixtureFiles.PathOf(""), "*.py").Order(StringComparer.Ordinal).Select(File.ReadAllText),
        string.Concat(Enumerable.Repeat("Жили-были中文 日本語 😀 café naïve ", 20))];

    static readonly Lazy<BpeTokenizer> Trained = new(() => BpeTrainer.Train(Texts, vocabSize: 600));

    [Fact]
    public void TheFirstMergeIsTheMostFrequentPair()
    {
        // pre-tokens "abab" and " abab": (a, b) occurs 4 times, (b, a) twice, (" ", a) once; one merge
        var bpe = BpeTrainer.Train(["abab abab"], vocabSize: 258);
        Assert.Equal(('a', 'b'), ((char)bpe.Merges[0].Left, (char)bpe.Merges[0].Right));
        Assert.Equal([256, 256], bpe.Encode("abab"));
        Assert.Equal(256 + bpe.Merges.Count, bpe.EndOfText);
        Assert.Equal(bpe.EndOfText + 1, bpe.VocabSize);
    }

    [Fact]
    public void TrainingOnCodeReachesTheVocabularyAndShortensTheText()
    {
        var bpe = Trained.Value;
        Assert.Equal(600, bpe.VocabSize);
        string code = Texts[0];
        int tokens = bpe.Encode(code).Length, bytes = Encoding.UTF8.GetByteCount(code);
        Assert.True(tokens < 0.6 * bytes, $"{tokens} tokens for {bytes} bytes");
        // more merges, shorter text: half the merges leave it longer
        int fewerMerges = BpeTrainer.Train(Texts, vocabSize: 428).Encode(code).Length;
        Assert.True(tokens < fewerMerges, $"{tokens} tokens with 343 merges, {fewerMerges} with 171");
        // every token has its own bytes
        Assert.Equal(bpe.VocabSize, Enumerable.Range(0, bpe.VocabSize).Select(t => Convert.ToHexString(bpe.BytesOf(t))).Distinct().Count());
    }

    /// <summary>decode(encode(s)) == s for FsCheck's arbitrary strings that are valid UTF-16.</summary>
    [Property(MaxTest = 300)]
    public void RoundTripsArbitraryStrings(NonNull<string> text)
    {
        string s = text.Get;
        if (!IsValidUtf16(s)) return;
        var ids = Trained.Value.Encode(s);
        Assert.All(ids, id => Assert.InRange(id, 0, Trained.Value.EndOfText - 1));
        Assert.Equal(s, Trained.Value.Decode(ids));
    }

    /// <summary>The same for strings of letters, marks, emoji, CJK and whitespace (which FsCheck rarely draws).</summary>
    [Property(MaxTest = 200)]
    public void RoundTripsUnicode(int seed)
    {
        var rng = new System.Random(seed);
        var sb = new StringBuilder();
        int n = rng.Next(0, 40);
        for (int i = 0; i < n; i++) sb.Append(Pieces[rng.Next(Pieces.Length)]);
        string s = sb.ToString();
        Assert.Equal(s, Trained.Value.Decode(Trained.Value.Encode(s)));
    }

    [Fact]
    public void SavedFilesLoadBackAndMicrosoftsGpt2StyleLoaderAgrees()
    {
        using var dir = new TempDir();
        var bpe = Trained.Value;
        bpe.Save(dir.Path);
        Assert.StartsWith("#version: 0.2\n", File.ReadAllText(dir.File(BpeTokenizer.MergesFile)));
        var loaded = BpeTokenizer.Load(dir.Path);
        Assert.Equal(bpe.Merges, loaded.Merges);
        string sample = Texts[1][..2000] + Texts[^1][..200];
        Assert.Equal(bpe.Encode(sample), loaded.Encode(sample));

        // an independent reader of GPT-2's vocab.json + merges.txt: Microsoft.ML.Tokenizers' byte-level BPE with GPT-2's pre-tokenizer regex
        var theirs = Ml.BpeTokenizer.Create(new Ml.BpeOptions(dir.File(BpeTokenizer.VocabFile), dir.File(BpeTokenizer.MergesFile))
        {
            ByteLevel = true, PreTokenizer = new Ml.RegexPreTokenizer(ByteLevel.PreTokenizer(), null),
        });
        foreach (string text in new[] { Texts[0], Texts[3][..3000], "def f(x):\n    return x  # café\n" })
            Assert.Equal(theirs.EncodeToIds(text), bpe.Encode(text));
    }

    [Fact]
    public void DamagedFilesAreRefusedByName()
    {
        using var dir = new TempDir();
        Trained.Value.Save(dir.Path);
        File.AppendAllText(dir.File(BpeTokenizer.MergesFile), "Ġnot_a_token x\n");
        var e = Assert.Throws<InvalidDataException>(() => BpeTokenizer.Load(dir.Path));
        Assert.Contains("merges.txt' line", e.Message);
        Assert.Throws<FileNotFoundException>(() => BpeTokenizer.Load(dir.File("missing")));
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(["x"], vocabSize: 100));
    }

    static bool IsValidUtf16(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }
}
