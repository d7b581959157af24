using System.CommandLine;
using System.Globalization;
using Interp.Data.Tasks;
using Interp.IO;
using Interp.Tokenizer;
using Interp.Transformers;

namespace Interp.Cli;

/// <summary>
/// What the analysis verbs (heads, norms, lens, case norms) share: the model, the tokens they run (repeated random
/// sequences, or the user's ids), and the output folder.
/// </summary>
public sealed class AnalysisInputs
{
    public const string ModelHelp = "a folder from `interp train induction|modadd`, or a GPT-2 .safetensors / pytorch_model.bin (config.json beside it)";

    public readonly Option<string> Model = Vocabulary.Model(ModelHelp, required: true);
    public readonly Option<int?> Length = Vocabulary.MaybeInt("--length", "random tokens before the repeat (default: min(50, (n_ctx-1)/2))", min: 2);
    public readonly Option<int> Batch = Vocabulary.Int("--batch", 16, "sequences", min: 1);
    public readonly Option<string> Bos = Vocabulary.Text("--bos", "token put first in every sequence, or none (default 50256 for a 50257-token vocabulary, else 0)");
    public readonly Option<string> Tokens = Vocabulary.Text("--tokens", "comma-separated token ids to use instead of the repeated random sequences");
    public readonly Option<string> Prompt = Vocabulary.Text("--prompt", "a text to use instead of the repeated random sequences, tokenized with GPT-2's tokenizer (models with its vocabulary), after --bos");
    public readonly Option<ulong> Seed = Vocabulary.Seed("seed of the random tokens");
    public readonly Option<Device> Device = Vocabulary.Device();
    public readonly Option<string> Out;

    public AnalysisInputs(string defaultOut) => Out = Vocabulary.Out(defaultOut);

    public void AddTo(Command command, bool withModel = true)
    {
        if (withModel) command.Add(Model);
        foreach (var option in new Option[] { Length, Batch, Bos, Tokens, Prompt, Seed, Device, Out }) command.Add(option);
    }

    public HookedTransformer LoadModel(ParseResult r) => LoadModel(r, Vocabulary.Required(r, Model));

    public HookedTransformer LoadModel(ParseResult r, string path)
    {
        var model = ModelFiles.LoadTransformer(path, r.GetValue(Device));
        model.Eval();
        return model;
    }

    public string OutDir(ParseResult r) => Vocabulary.Folder(r.GetValue(Out)!);

    /// <summary>
    /// The tokens to run and whether they are repeated random sequences (with the repeat's start). A context too short
    /// for a repeat (the modular-addition model's n_ctx is 3) gets plain random sequences filling it when
    /// <paramref name="plainIfShort"/>, else a CliError.
    /// </summary>
    public (Tensor Tokens, int? RepeatStart, string Description) TokensFor(ParseResult r, HookedTransformer model, bool plainIfShort = false)
    {
        var cfg = model.Config;
        ulong seed = r.GetValue(Seed);
        if (r.GetValue(Tokens) is not null && r.GetValue(Prompt) is not null) throw new CliError("--tokens and --prompt: give one of them");
        if (r.GetValue(Tokens) is { } text)
        {
            var ids = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
                int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) && id >= 0 && id < cfg.DVocab ? id
                    : throw new CliError($"--tokens: '{s}' is not a token id in [0, {cfg.DVocab})")).ToArray();
            if (ids.Length < 2 || ids.Length > cfg.NCtx) throw new CliError($"--tokens needs 2..{cfg.NCtx} ids, got {ids.Length}");
            return (Tensor.FromArray(ids, [1, ids.Length]), null, $"{ids.Length} given tokens");
        }
        int? bos = BosFor(r, cfg);
        if (r.GetValue(Prompt) is { } prompt) return PromptTokens(prompt, cfg, bos);
        int batch = r.GetValue(Batch);
        int maxLength = (cfg.NCtx - (bos is null ? 0 : 1)) / 2;
        if (maxLength < 2 && plainIfShort && r.GetValue(Length) is null) return PlainRandom(cfg, bos, batch, seed);
        if (maxLength < 2) throw new CliError($"the context n_ctx = {cfg.NCtx} is too short for repeated sequences");
        int length = r.GetValue(Length) ?? Math.Min(50, maxLength);
        if (length > maxLength) throw new CliError($"--length {length} does not fit twice in n_ctx = {cfg.NCtx} (at most {maxLength})");
        var task = new RepeatedTokens(cfg.DVocab, length, bos, seed);
        return (task.Batch(batch), task.RepeatStart,
            $"{batch} sequences of {(bos is null ? "" : $"BOS {bos} + ")}{length} random tokens repeated once (seed {seed})");
    }

    static (Tensor, int?, string) PromptTokens(string prompt, TransformerConfig cfg, int? bos)
    {
        var tokenizer = Gpt2Tokenizer.Instance;
        if (cfg.DVocab != tokenizer.VocabSize)
            throw new CliError($"--prompt needs a model with GPT-2's vocabulary of {tokenizer.VocabSize}; this one has {cfg.DVocab} tokens, so give --tokens");
        int[] ids = [.. bos is int b ? [b] : Array.Empty<int>(), .. tokenizer.ToTokens(prompt)];
        if (ids.Length < 2 || ids.Length > cfg.NCtx) throw new CliError($"--prompt makes {ids.Length} tokens (with --bos), the model takes 2..{cfg.NCtx}");
        return (Tensor.FromArray(ids, [1, ids.Length]), null, $"the prompt's {ids.Length} tokens: {string.Join(" ", ids.Select(id => tokenizer.ToString([id])).Select(t => $"'{t}'"))}");
    }

    static (Tensor, int?, string) PlainRandom(TransformerConfig cfg, int? bos, int batch, ulong seed)
    {
        var ids = Tensor.RandInt(0, cfg.DVocab, [batch, cfg.NCtx], new Generator(seed)).ToIntArray();
        if (bos is int b)
            for (int i = 0; i < batch; i++) ids[i * cfg.NCtx] = b;
        return (Tensor.FromArray(ids, [batch, cfg.NCtx]), null,
            $"{batch} sequences of {(bos is null ? "" : $"BOS {bos} + ")}uniformly random tokens filling n_ctx = {cfg.NCtx} (too short to repeat; seed {seed})");
    }

    int? BosFor(ParseResult r, TransformerConfig cfg)
    {
        string? text = r.GetValue(Bos);
        if (text is null) return cfg.DVocab == 50257 ? 50256 : 0;
        if (text == "none") return null;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) && b >= 0 && b < cfg.DVocab ? b
            : throw new CliError($"--bos needs a token id in [0, {cfg.DVocab}) or 'none', got '{text}'");
    }
}
