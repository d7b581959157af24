using System.Text;
using FsCheck;
using FsCheck.Xunit;
using Interp.Tokenizer;
using Xunit;

namespace Interp.Tests.Models.Tokenizer;

public sealed class Gpt2TokenizerTests
{
    static readonly Gpt2Tokenizer Tok = Gpt2Tokenizer.Instance;

    [Theory]
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData("Hello, world!", new[] { 15496, 11, 995, 0 })]
    [InlineData("The", new[] { 464 })]
    [InlineData(" the", new[] { 262 })]
    [InlineData("<|endoftext|>", new[] { 50256 })]
    public void KnownTokenizations(string text, int[] ids)
    {
        Assert.Equal(ids, Tok.ToTokens(text));
        Assert.Equal(text, Tok.ToString(ids));
    }

    [Fact]
    public void BosAndStrTokensAsInTransformerLens()
    {
        Assert.Equal([Gpt2Tokenizer.EndOfText, 15496, 995], Tok.ToTokens("Hello world", prependBos: true));
        Assert.Equal(["<|endoftext|>", "Hello", " world"], Tok.ToStrTokens("Hello world", prependBos: true));
        Assert.Equal(50257, Tok.VocabSize);
        Assert.Empty(Tok.ToTokens(""));
    }

    [Fact]
    public void StrTokensOfSplitCharactersAreReplacementCharacters()
    {
        // 😀 is two byte-level tokens, neither valid UTF-8 alone: Hugging Face decodes each to U+FFFD.
        var ids = Tok.ToTokens("😀");
        Assert.Equal(2, ids.Length);
        Assert.Equal(["\uFFFD", "\uFFFD"], Tok.ToStrTokens("😀"));
        Assert.Equal("😀", Tok.ToString(ids));
    }

    [Fact]
    public void OutOfVocabularyIdsAreRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tok.ToString([15496, 50257]));
        Assert.Contains("token id 50257", e.Message);
    }

    static readonly string[] Pieces =
        ["a", "Z", " ", "  ", "\n", "\t", "'s", "'ll", "1", "42", ".", "!?", "é", "e\u0301", "n\u0303\u0323", "ß", "Ж", "中文", "日本",
         "😀", "👩‍👩‍👧", "🇫🇷", "\u200b", "\ufeff", "ǅ", "𝔘", "<|", "endoftext", "\u00a0", "\r\n", "ﷺ", "ا"];

    /// <summary>to_string(to_tokens(s)) == s for strings of letters, digits, marks, emoji and whitespace.</summary>
    [Property(MaxTest = 200)]
    public void RoundTripsUnicode(int seed)
    {
        var rng = new System.Random(seed);
        var sb = new StringBuilder();
        int n = rng.Next(0, 30);
        for (int i = 0; i < n; i++) sb.Append(Pieces[rng.Next(Pieces.Length)]);
        string s = sb.ToString();
        var ids = Tok.ToTokens(s);
        Assert.All(ids, id => Assert.InRange(id, 0, Tok.VocabSize - 1));
        Assert.Equal(s, Tok.ToString(ids));
    }

    /// <summary>The same for FsCheck's arbitrary strings that are valid UTF-16.</summary>
    [Property(MaxTest = 200)]
    public void RoundTripsArbitraryStrings(NonNull<string> text)
    {
        string s = text.Get;
        if (!IsValidUtf16(s) || s.Contains("<|endoftext|>")) return;
        Assert.Equal(s, Tok.ToString(Tok.ToTokens(s)));
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
