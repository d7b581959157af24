using System.CommandLine;
using System.CommandLine.Parsing;
using Interp.Tokenizer;

namespace Interp.Cli;

/// <summary><c>interp tokens</c>: GPT-2 tokenization of a text, or the text of token ids.</summary>
public sealed class TokensCommand : Command
{
    readonly Argument<string[]> text = new("TEXT") { Description = "the text (or with --decode the ids)", Arity = ArgumentArity.ZeroOrMore };
    readonly Option<bool> bos = Vocabulary.Flag("--bos", "put <|endoftext|> (50256) first, as TransformerLens's prepend_bos does");
    readonly Option<bool> decode = Vocabulary.Flag("--decode", "print the text of the token ids given");

    public TokensCommand() : base("tokens", """
        GPT-2 tokenization of a text, or the text of token ids.

        Splits TEXT into GPT-2 tokens (byte-level BPE, 50,257 ids) and prints one line per token: its position, id
        and the piece of text it stands for (whitespace shown as ␣, newlines as ⏎). With --decode, prints the text of
        the given ids.
        """)
    {
        Add(text);
        Add(bos);
        Add(decode);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var words = r.GetValue(text) ?? [];
        if (words.Length == 0) throw new CliError("give a text to tokenize, or --decode and token ids");
        if (StrayOption(r) is { } stray)
            throw new CliError($"unexpected argument '{stray}' (a text that starts with a dash goes after --: interp tokens -- {stray})");
        var tokenizer = Gpt2Tokenizer.Instance;
        if (r.GetValue(decode))
        {
            var ids = words.Select(w => int.TryParse(w, out int id) && id >= 0 && id < tokenizer.VocabSize ? id
                : throw new CliError($"--decode: '{w}' is not a token id in [0, {tokenizer.VocabSize})")).ToArray();
            Console.WriteLine(tokenizer.ToString(ids));
            return 0;
        }
        string input = string.Join(' ', words);
        var tokens = tokenizer.ToTokens(input, prependBos: r.GetValue(bos));
        var pieces = tokenizer.ToStrTokens(input, prependBos: r.GetValue(bos));
        Console.WriteLine($"{tokens.Length} tokens");
        for (int i = 0; i < tokens.Length; i++)
            Console.WriteLine($"{i,4} {tokens[i],6}  {pieces[i].Replace(" ", "␣").Replace("\n", "⏎")}");
        return 0;
    }

    /// <summary>An unknown --option, which TEXT's words would otherwise swallow; words after a "--" are text.</summary>
    static string? StrayOption(ParseResult r)
    {
        foreach (var token in r.Tokens)
        {
            if (token.Type == TokenType.DoubleDash) return null;
            if (token.Type == TokenType.Argument && token.Value.StartsWith('-') && token.Value.Length > 1 && !double.TryParse(token.Value, out _))
                return token.Value;
        }
        return null;
    }
}
