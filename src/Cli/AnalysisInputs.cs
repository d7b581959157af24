using System.Globalization;
using Interp.Data.Tasks;
using Interp.Transformers;

namespace Interp.Cli;

/// <summary>
/// What the analysis verbs (heads, norms, lens) share: the model, the tokens they run (repeated random sequences,
/// or the user's ids), and the output folder.
/// </summary>
static class AnalysisInputs
{
    public static readonly string[] Options = ["--model", "--out", "--seed", "--device", "--length", "--batch", "--bos", "--tokens"];

    public const string OptionsHelp = """
          --model PATH   a folder from `interp train induction|modadd`, or a GPT-2 .safetensors / pytorch_model.bin
                         (config.json beside it)                                                  (required)
          --length L     random tokens before the repeat (default: min(50, (n_ctx-1)/2))
          --batch N      sequences (default 16)
          --bos ID|none  token put first in every sequence (default 50256 for a 50257-token vocabulary, else 0)
          --tokens IDS   comma-separated token ids to use instead of the repeated random sequences
          --seed S       seed of the random tokens (default 0)
          --device D     cpu (default) or cuda
        """;

    public static HookedTransformer Model(CliArgs a, string command)
    {
        string path = a.Get("--model") ?? throw new CliError($"{command}: --model PATH is required (see {command} --help)");
        var model = ModelFiles.LoadTransformer(path, a.GetDevice());
        model.Eval();
        return model;
    }

    /// <summary>
    /// The tokens to run and whether they are repeated random sequences (with the repeat's start). A context too short
    /// for a repeat (the modular-addition model's n_ctx is 3) gets plain random sequences filling it when
    /// <paramref name="plainIfShort"/>, else a CliError.
    /// </summary>
    public static (Tensor Tokens, int? RepeatStart, string Description) Tokens(CliArgs a, HookedTransformer model, string command, bool plainIfShort = false)
    {
        var cfg = model.Config;
        if (a.Get("--tokens") is { } text)
        {
            var ids = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
                int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) && id >= 0 && id < cfg.DVocab ? id
                    : throw new CliError($"{command}: --tokens: '{s}' is not a token id in [0, {cfg.DVocab})")).ToArray();
            if (ids.Length < 2 || ids.Length > cfg.NCtx) throw new CliError($"{command}: --tokens needs 2..{cfg.NCtx} ids, got {ids.Length}");
            return (Tensor.FromArray(ids, [1, ids.Length]), null, $"{ids.Length} given tokens");
        }
        int? bos = Bos(a, cfg, command);
        int prefix = bos is null ? 0 : 1;
        int maxLength = (cfg.NCtx - prefix) / 2;
        if (maxLength < 2 && plainIfShort && !a.Has("--length")) return PlainRandom(a, cfg, bos);
        if (maxLength < 2) throw new CliError($"{command}: the context n_ctx = {cfg.NCtx} is too short for repeated sequences");
        int length = a.GetInt("--length", Math.Min(50, maxLength), min: 2);
        if (length > maxLength) throw new CliError($"{command}: --length {length} does not fit twice in n_ctx = {cfg.NCtx} (at most {maxLength})");
        int batch = a.GetInt("--batch", 16, min: 1);
        var task = new RepeatedTokens(cfg.DVocab, length, bos, a.GetSeed());
        return (task.Batch(batch), task.RepeatStart,
            $"{batch} sequences of {(bos is null ? "" : $"BOS {bos} + ")}{length} random tokens repeated once (seed {a.GetSeed()})");
    }

    static (Tensor, int?, string) PlainRandom(CliArgs a, TransformerConfig cfg, int? bos)
    {
        int batch = a.GetInt("--batch", 16, min: 1);
        var ids = Tensor.RandInt(0, cfg.DVocab, [batch, cfg.NCtx], new Generator(a.GetSeed())).ToIntArray();
        if (bos is int b)
            for (int i = 0; i < batch; i++) ids[i * cfg.NCtx] = b;
        return (Tensor.FromArray(ids, [batch, cfg.NCtx]), null,
            $"{batch} sequences of {(bos is null ? "" : $"BOS {bos} + ")}uniformly random tokens filling n_ctx = {cfg.NCtx} (too short to repeat; seed {a.GetSeed()})");
    }

    static int? Bos(CliArgs a, TransformerConfig cfg, string command)
    {
        string? text = a.Get("--bos");
        if (text is null) return cfg.DVocab == 50257 ? 50256 : 0;
        if (text == "none") return null;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) && b >= 0 && b < cfg.DVocab ? b
            : throw new CliError($"{command}: --bos needs a token id in [0, {cfg.DVocab}) or 'none', got '{text}'");
    }

    public static string OutDir(CliArgs a, string fallback, string command)
    {
        string dir = a.Get("--out", fallback);
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliError($"{command}: cannot create the output folder '{dir}': {e.Message}");
        }
        return dir;
    }
}
