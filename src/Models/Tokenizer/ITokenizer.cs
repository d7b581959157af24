namespace Interp.Tokenizer;

/// <summary>What a language model's data and reports need of a tokenizer: text to ids and back, and one token's text.</summary>
public interface ITokenizer
{
    int VocabSize { get; }

    /// <summary>The end-of-text token, also used as BOS and between documents.</summary>
    int EndOfText { get; }

    /// <summary>The token ids of <paramref name="text"/> (special-token text is not parsed: it is ordinary text).</summary>
    int[] Encode(string text);

    /// <summary>The text of a sequence of token ids (invalid UTF-8 becomes U+FFFD).</summary>
    string Decode(IEnumerable<int> ids);
}
