using Interp.Tokenizer;
using Interp.Transformers;

namespace Interp.Cli;

/// <summary><c>interp generate</c>: continue a prompt with a loaded transformer (KV-cached sampling).</summary>
public static class GenerateCommand
{
    public const string Usage = """
        usage: interp generate --model PATH (--prompt TEXT | --tokens "ID ID ...") [--max-new N] [--temperature T]
                               [--top-k K] [--seed S] [--device cpu|cuda]

        Continues a prompt with the model at PATH: a folder from `interp train induction|modadd` (model.safetensors +
        config.json) or a Hugging Face GPT-2 checkpoint. --prompt is tokenized with GPT-2's tokenizer (for models with
        GPT-2's vocabulary); --tokens gives the ids directly (for the toy models). Prints the prompt and the new tokens.
          --max-new N       tokens to add (default 20)
          --temperature T   0 is greedy (default 1)
          --top-k K         sample among the K most likely tokens only
          --seed S          seed of the sampler (default 0)
        """;

    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("interp generate", args, ["--model", "--prompt", "--tokens", "--max-new", "--temperature", "--top-k", "--seed", "--device"]).NoPositionals();
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        string path = a.Get("--model") ?? throw new CliError("interp generate: --model PATH is required (see interp generate --help)");
        if (a.Has("--prompt") == a.Has("--tokens")) throw new CliError("interp generate: give exactly one of --prompt TEXT and --tokens \"ID ID ...\"");
        int maxNew = a.GetInt("--max-new", 20, min: 0);
        double temperature = a.GetDouble("--temperature", 1);
        if (temperature < 0) throw new CliError($"interp generate: --temperature must be >= 0, got {temperature}");
        int? topK = a.Has("--top-k") ? a.GetInt("--top-k", 0, min: 1) : null;
        var device = a.GetDevice();
        var model = ModelFiles.LoadTransformer(path, device);
        int vocab = model.Config.DVocab;

        bool gpt2Text = a.Has("--prompt");
        if (gpt2Text && vocab != Gpt2Tokenizer.Instance.VocabSize)
            throw new CliError($"interp generate: --prompt needs a model with GPT-2's vocabulary of {Gpt2Tokenizer.Instance.VocabSize}; this one has {vocab} tokens, so give --tokens");
        int[] prompt = gpt2Text ? Gpt2Tokenizer.Instance.ToTokens(a.Get("--prompt")!) : ParseIds(a.Get("--tokens")!, vocab);
        if (prompt.Length == 0) throw new CliError("interp generate: the prompt is empty");
        if (prompt.Length + maxNew - 1 > model.Config.NCtx)
            throw new CliError($"interp generate: {prompt.Length} prompt tokens + {maxNew} new ones exceed the model's context of {model.Config.NCtx}");
        if (topK > vocab) throw new CliError($"interp generate: --top-k {topK} is more than the vocabulary of {vocab}");

        var output = model.Generate(Tensor.FromArray(prompt, [1, prompt.Length], device), maxNew, temperature, topK, new Generator(a.GetSeed()))
            .ToIntArray();
        var added = output[prompt.Length..];
        if (gpt2Text)
        {
            Console.WriteLine(Gpt2Tokenizer.Instance.ToString(prompt) + Gpt2Tokenizer.Instance.ToString(added));
        }
        else
        {
            Console.WriteLine($"prompt: {string.Join(' ', prompt)}");
            Console.WriteLine($"new:    {string.Join(' ', added)}");
        }
        return 0;
    }

    static int[] ParseIds(string text, int vocab) =>
        text.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, out int id) && id >= 0 && id < vocab ? id
                : throw new CliError($"interp generate: --tokens: '{s}' is not a token id in [0, {vocab})"))
            .ToArray();
}
