using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Interp.Analysis.Tokens;
using Interp.IO;
using Interp.Analysis.Plot;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp unspeakable</c>: which tokens of a transformer can be made the argmax at all.</summary>
public sealed class UnspeakableCommand : Command
{
    readonly Option<string> model = Vocabulary.Model("a folder from `interp train induction|modadd`, or a GPT-2 .safetensors file", required: true);
    readonly Option<string> via = Vocabulary.Choice("--via", "resid",
        "resid: a final residual vector r, logits = unembed(ln_final(r)); embed: the input embedding of the last position, after --prompt, through the whole model",
        "resid", "embed");
    readonly Option<string> prompt = Vocabulary.Text("--prompt", "comma-separated token ids before the free position for --via embed", "");
    readonly Option<string> tokens = Vocabulary.Text("--tokens", "A-B: only tokens A..B inclusive (default the whole vocabulary)");
    readonly Option<int> steps = Vocabulary.Steps(300, "Adam steps per token", min: 0);
    readonly Option<double> lr = Vocabulary.Lr(0.1, "Adam learning rate");
    readonly Option<int> batch = Vocabulary.Int("--batch", 256, "tokens optimised together", min: 1);
    readonly Option<string> outFile = Vocabulary.Out(Path.Combine("runs", "unspeakable.tsv"), "FILE: tab-separated token, argmax (1/0), probability, margin");
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the start vectors");
    readonly Option<bool> detectAnomaly = Vocabulary.DetectAnomaly();
    readonly Option<Device> device = Vocabulary.Device();
    readonly Option<bool> quiet = Vocabulary.Quiet();

    public UnspeakableCommand() : base("unspeakable", """
        Which tokens a transformer can be made to predict.

        For every token, optimises a free vector with Adam to maximise the token's probability and reports whether the
        token can be made the argmax. Prints the count and the tokens never made the argmax, writes one line per token.
        A token reported reachable is certified by the vector found; an unreachable one was not reached in --steps steps.
        """)
    {
        foreach (var option in new Option[] { model, via, prompt, tokens, steps, lr, batch, outFile, seed, detectAnomaly, device, quiet }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string path = Vocabulary.Required(r, model), via = r.GetValue(this.via)!;
        var prompt = ParseIds(r.GetValue(this.prompt)!);
        if (prompt.Length > 0 && via != "embed") throw new CliError("--prompt only applies to --via embed");
        var progress = new Progress(r.GetValue(quiet));
        var options = new UnspeakableOptions
        {
            Steps = r.GetValue(steps), LearningRate = r.GetValue(lr), BatchSize = r.GetValue(batch), Seed = r.GetValue(seed), Progress = progress.Report,
        };
        string outFile = Vocabulary.OutFile(r.GetValue(this.outFile)!);

        var clock = Stopwatch.StartNew();
        var transformer = ModelFiles.LoadTransformer(path, r.GetValue(device));
        int vocab = transformer.Config.DVocab;
        var ids = ParseRange(r.GetValue(tokens), vocab);
        progress.Note($"unspeakable: {path} (d_model {transformer.Config.DModel}, vocabulary {vocab}); {ids.Length} tokens via {via}, {options.Steps} Adam steps at lr {options.LearningRate}");
        TokenReach[] results;
        using (Vocabulary.AnomalyMode(r.GetValue(detectAnomaly)))
            try
            {
                results = via == "resid"
                    ? UnspeakableTokens.ViaFinalResidual(transformer, ids, options)
                    : UnspeakableTokens.ViaInputEmbedding(transformer, prompt, ids, options);
            }
            finally { progress.Finish(); }

        var text = new StringBuilder("token\targmax\tprobability\tmargin\n");
        foreach (var x in results)
            text.Append(CultureInfo.InvariantCulture, $"{x.Token}\t{(x.CanBeArgmax ? 1 : 0)}\t{x.Probability:G6}\t{x.Margin:G6}\n");
        AtomicFile.WriteAllText(outFile, text.ToString());

        var never = results.Where(x => !x.CanBeArgmax).ToArray();
        Console.WriteLine($"{results.Length - never.Length} of {results.Length} tokens made the argmax via {via}; {never.Length} never:");
        foreach (var x in never.Take(50))
            Console.WriteLine($"  token {x.Token}: best probability {x.Probability:G4}, margin {x.Margin:G4}");
        if (never.Length > 50) Console.WriteLine($"  ... and {never.Length - 50} more (see {outFile})");
        Console.WriteLine($"per token: {outFile}");
        Console.WriteLine($"wall time: {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    static int[] ParseIds(string text) => text.Length == 0 ? [] : text.Split(',').Select(s =>
        int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new CliError($"--prompt needs comma-separated token ids, got '{text}'")).ToArray();

    static int[] ParseRange(string? text, int vocab)
    {
        if (text is null) return Enumerable.Range(0, vocab).ToArray();
        var parts = text.Split('-');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            int lo = int.Parse(parts[0], CultureInfo.InvariantCulture), hi = int.Parse(parts[^1], CultureInfo.InvariantCulture);
            if (lo <= hi && hi < vocab) return Enumerable.Range(lo, hi - lo + 1).ToArray();
        }
        throw new CliError($"--tokens must be A-B with 0 <= A <= B < {vocab}, got '{text}'");
    }
}
