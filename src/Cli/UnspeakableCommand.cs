using System.Diagnostics;
using System.Globalization;
using System.Text;
using Interp.Analysis.Plot;
using Interp.Analysis.Tokens;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp unspeakable</c>: which tokens of a transformer can be made the argmax at all.</summary>
public static class UnspeakableCommand
{
    public const string Usage = """
        usage: interp unspeakable --model PATH [--via resid|embed] [--prompt IDS] [--tokens A-B] [--steps N] [--lr X]
                                  [--batch N] [--out FILE] [--seed N] [--device cpu|cuda] [--quiet]

        For every token, optimises a free vector with Adam to maximise the token's probability and reports whether the
        token can be made the argmax. Prints the count and the tokens never made the argmax, writes one line per token.
          --model PATH   a folder from `interp train induction|modadd`, or a GPT-2 .safetensors file
          --via V        resid: a final residual vector r, logits = unembed(ln_final(r)) (default);
                         embed: the input embedding of the last position, after --prompt, through the whole model
          --prompt IDS   comma-separated token ids before the free position for --via embed (default none)
          --tokens A-B   only tokens A..B inclusive (default the whole vocabulary)
          --steps N      Adam steps per token (default 300)
          --lr X         Adam learning rate (default 0.1)
          --batch N      tokens optimised together (default 256)
          --out FILE     tab-separated token, argmax (1/0), probability, margin (default runs/unspeakable.tsv)
          --seed N       seed of the start vectors (default 0)
          --device D     cpu or cuda (default cpu)
          --quiet        no progress lines
        A token reported reachable is certified by the vector found; an unreachable one was not reached in N steps.
        """;

    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("interp unspeakable", args,
            ["--model", "--via", "--prompt", "--tokens", "--steps", "--lr", "--batch", "--out", "--seed", "--device"], ["--quiet"]).NoPositionals();
        if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
        string path = a.Get("--model") ?? throw new CliError("interp unspeakable: --model is required (see interp unspeakable --help)");
        string via = a.Get("--via", "resid");
        if (via is not ("resid" or "embed")) throw new CliError($"interp unspeakable: --via must be resid or embed, got '{via}'");
        var prompt = ParseIds(a.Get("--prompt", ""));
        if (prompt.Length > 0 && via != "embed") throw new CliError("interp unspeakable: --prompt only applies to --via embed");
        var progress = new Progress(a.Has("--quiet"));
        var options = new UnspeakableOptions
        {
            Steps = a.GetInt("--steps", 300, min: 0), LearningRate = a.GetDouble("--lr", 0.1), BatchSize = a.GetInt("--batch", 256, min: 1),
            Seed = a.GetSeed(), Progress = progress.Report,
        };
        string outFile = a.Get("--out", Path.Combine("runs", "unspeakable.tsv"));

        var clock = Stopwatch.StartNew();
        var model = ModelFiles.LoadTransformer(path, a.GetDevice());
        int vocab = model.Config.DVocab;
        var tokens = ParseRange(a.Get("--tokens"), vocab);
        progress.Note($"unspeakable: {path} (d_model {model.Config.DModel}, vocabulary {vocab}); {tokens.Length} tokens via {via}, {options.Steps} Adam steps at lr {options.LearningRate}");
        TokenReach[] results;
        try
        {
            results = via == "resid"
                ? UnspeakableTokens.ViaFinalResidual(model, tokens, options)
                : UnspeakableTokens.ViaInputEmbedding(model, prompt, tokens, options);
        }
        catch (ArgumentException e) { throw new CliError($"interp unspeakable: {e.Message}"); }
        finally { progress.Finish(); }

        var text = new StringBuilder("token\targmax\tprobability\tmargin\n");
        foreach (var r in results)
            text.Append(CultureInfo.InvariantCulture, $"{r.Token}\t{(r.CanBeArgmax ? 1 : 0)}\t{r.Probability:G6}\t{r.Margin:G6}\n");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(outFile));
        try
        {
            if (dir is not null) Directory.CreateDirectory(dir);
            AtomicFile.WriteAllText(outFile, text.ToString());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliError($"interp unspeakable: cannot write --out '{outFile}': {e.Message}"); }

        var never = results.Where(r => !r.CanBeArgmax).ToArray();
        Console.WriteLine($"{results.Length - never.Length} of {results.Length} tokens made the argmax via {via}; {never.Length} never:");
        foreach (var r in never.Take(50))
            Console.WriteLine($"  token {r.Token}: best probability {r.Probability:G4}, margin {r.Margin:G4}");
        if (never.Length > 50) Console.WriteLine($"  ... and {never.Length - 50} more (see {outFile})");
        Console.WriteLine($"per token: {outFile}");
        Console.WriteLine($"wall time: {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    static int[] ParseIds(string text) => text.Length == 0 ? [] : text.Split(',').Select(s =>
        int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new CliError($"interp unspeakable: --prompt needs comma-separated token ids, got '{text}'")).ToArray();

    static int[] ParseRange(string? text, int vocab)
    {
        if (text is null) return Enumerable.Range(0, vocab).ToArray();
        var parts = text.Split('-');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            int lo = int.Parse(parts[0], CultureInfo.InvariantCulture), hi = int.Parse(parts[^1], CultureInfo.InvariantCulture);
            if (lo <= hi && hi < vocab) return Enumerable.Range(lo, hi - lo + 1).ToArray();
        }
        throw new CliError($"interp unspeakable: --tokens must be A-B with 0 <= A <= B < {vocab}, got '{text}'");
    }
}
