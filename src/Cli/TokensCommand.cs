using Interp.Tokenizer;

namespace Interp.Cli;

/// <summary><c>interp tokens</c>: GPT-2 tokenization of a text, or the text of token ids.</summary>
public static class TokensCommand
{
    public const string Usage = """
        usage: interp tokens TEXT... [--bos]
               interp tokens --decode ID [ID...]

        Splits TEXT into GPT-2 tokens (byte-level BPE, 50,257 ids) and prints one line per token: its position, id
        and the piece of text it stands for (whitespace shown as ␣, newlines as ⏎). --bos puts <|endoftext|> (50256)
        first, as TransformerLens's prepend_bos does. With --decode, prints the text of the given ids.
        """;

    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("interp tokens", args, [], ["--bos", "--decode"]);
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        if (a.Positionals.Count == 0) throw new CliError("interp tokens: give a text to tokenize, or --decode and token ids (see interp tokens --help)");
        var tokenizer = Gpt2Tokenizer.Instance;
        if (a.Has("--decode"))
        {
            var ids = a.Positionals.Select(text => int.TryParse(text, out int id) && id >= 0 && id < tokenizer.VocabSize ? id
                : throw new CliError($"interp tokens --decode: '{text}' is not a token id in [0, {tokenizer.VocabSize})")).ToArray();
            Console.WriteLine(tokenizer.ToString(ids));
            return 0;
        }
        string input = string.Join(' ', a.Positionals);
        var tokens = tokenizer.ToTokens(input, prependBos: a.Has("--bos"));
        var pieces = tokenizer.ToStrTokens(input, prependBos: a.Has("--bos"));
        Console.WriteLine($"{tokens.Length} tokens");
        for (int i = 0; i < tokens.Length; i++)
            Console.WriteLine($"{i,4} {tokens[i],6}  {pieces[i].Replace(" ", "␣").Replace("\n", "⏎")}");
        return 0;
    }
}
