using System.CommandLine;
using Interp.IO;
using Interp.Tokenizer;

namespace Interp.Cli;

/// <summary><c>interp generate</c>: continue a prompt with a loaded transformer (KV-cached sampling).</summary>
public sealed class GenerateCommand : Command
{
    readonly Option<string> model = Vocabulary.Model("a folder from `interp train induction|modadd`, or a Hugging Face GPT-2 checkpoint", required: true);
    readonly Option<string> prompt = Vocabulary.Text("--prompt", "text, tokenized with GPT-2's tokenizer (for models with GPT-2's vocabulary)");
    readonly Option<string> tokens = Vocabulary.Text("--tokens", "\"ID ID ...\": the prompt's token ids (for the toy models)");
    readonly Option<int> maxNew = Vocabulary.Int("--max-new", 20, "tokens to add", min: 0);
    readonly Option<double> temperature = Vocabulary.Double("--temperature", 1, "0 is greedy", min: 0);
    readonly Option<int?> topK = Vocabulary.MaybeInt("--top-k", "sample among the K most likely tokens only", min: 1);
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the sampler");
    readonly Option<Device> device = Vocabulary.Device();

    public GenerateCommand() : base("generate", "Samples from a model (KV-cached).\n\nContinues a prompt (--prompt TEXT or --tokens IDS) with the model and prints the prompt and the new tokens.")
    {
        foreach (var option in new Option[] { model, prompt, tokens, maxNew, temperature, topK, seed, device }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string path = Vocabulary.Required(r, model);
        bool gpt2Text = r.GetValue(prompt) is not null;
        if (gpt2Text == (r.GetValue(tokens) is not null)) throw new CliError("give exactly one of --prompt TEXT and --tokens \"ID ID ...\"");
        var transformer = ModelFiles.LoadTransformer(path, r.GetValue(device));
        int vocab = transformer.Config.DVocab, count = r.GetValue(maxNew);
        if (gpt2Text && vocab != Gpt2Tokenizer.Instance.VocabSize)
            throw new CliError($"--prompt needs a model with GPT-2's vocabulary of {Gpt2Tokenizer.Instance.VocabSize}; this one has {vocab} tokens, so give --tokens");
        int[] ids = gpt2Text ? Gpt2Tokenizer.Instance.ToTokens(r.GetValue(prompt)!) : ParseIds(r.GetValue(tokens)!, vocab);
        if (ids.Length == 0) throw new CliError("the prompt is empty");
        if (ids.Length + count - 1 > transformer.Config.NCtx)
            throw new CliError($"{ids.Length} prompt tokens + {count} new ones exceed the model's context of {transformer.Config.NCtx}");
        if (r.GetValue(topK) > vocab) throw new CliError($"--top-k {r.GetValue(topK)} is more than the vocabulary of {vocab}");

        var output = transformer.Generate(Tensor.FromArray(ids, [1, ids.Length], r.GetValue(device)), count, r.GetValue(temperature), r.GetValue(topK),
            new Generator(r.GetValue(seed))).ToIntArray();
        var added = output[ids.Length..];
        if (gpt2Text)
        {
            Console.WriteLine(Gpt2Tokenizer.Instance.ToString(ids) + Gpt2Tokenizer.Instance.ToString(added));
        }
        else
        {
            Console.WriteLine($"prompt: {string.Join(' ', ids)}");
            Console.WriteLine($"new:    {string.Join(' ', added)}");
        }
        return 0;
    }

    static int[] ParseIds(string text, int vocab) =>
        text.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, out int id) && id >= 0 && id < vocab ? id
                : throw new CliError($"--tokens: '{s}' is not a token id in [0, {vocab})"))
            .ToArray();
}
