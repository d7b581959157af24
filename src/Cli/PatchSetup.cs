using System.CommandLine;
using System.Text.Json;
using Interp.Analysis.Patching;
using Interp.IO;
using Interp.Analysis.Plot;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Cli;

/// <summary>What <c>interp patch</c> and <c>interp attrib</c> share: arguments, the model, the default prompts and the metric.</summary>
internal sealed class PatchSetup
{
    public required HookedTransformer Model { get; init; }
    public required string ModelPath { get; init; }
    public required Tensor Clean { get; init; }
    public required Tensor Corrupted { get; init; }
    public required Tensor Answers { get; init; }
    public required Tensor Wrong { get; init; }
    public required Func<Tensor, Tensor> Metric { get; init; }
    public required double CleanLogitDiff { get; init; }
    public required double CorruptedLogitDiff { get; init; }
    public required PatchDirection[] Directions { get; init; }
    public required string OutDir { get; init; }
    public required Progress Progress { get; init; }
    public required object Settings { get; init; }

    /// <summary>The options patch and attrib share, the model also as a positional MODEL (the older form).</summary>
    public sealed class Options(string defaultOut, string defaultDirection)
    {
        public readonly Argument<string?> ModelArgument = new("MODEL") { Description = "the same as --model", Arity = ArgumentArity.ZeroOrOne };
        public readonly Option<string> Model = Vocabulary.Model("a folder from `interp train induction`, or a GPT-2 checkpoint");
        public readonly Option<string> Direction = Vocabulary.Choice("--direction", defaultDirection,
            "denoising patches clean activations into the corrupted run, noising corrupted ones into the clean run", "denoising", "noising", "both");
        public readonly Option<int> Prompts = Vocabulary.Int("--prompts", 8, "prompts in the batch", min: 1);
        public readonly Option<int?> Length = Vocabulary.MaybeInt("--length", "random tokens per half (default min(24, n_ctx / 2))", min: 2);
        public readonly Option<int?> Bos = Vocabulary.MaybeInt("--bos", "the first token (default 0; 50256 for GPT-2's vocabulary)", min: 0);
        public readonly Option<string> Out = Vocabulary.Out(defaultOut);
        public readonly Option<ulong> Seed = Vocabulary.Seed("seed of the prompts");
        public readonly Option<Device> Device = Vocabulary.Device();
        public readonly Option<bool> Quiet = Vocabulary.Quiet();

        public void AddTo(Command command)
        {
            command.Add(ModelArgument);
            foreach (var option in new Option[] { Model, Direction, Prompts, Length, Bos, Out, Seed, Device, Quiet }) command.Add(option);
        }
    }

    public static PatchSetup Load(Options o, ParseResult r)
    {
        string path = (r.GetValue(o.ModelArgument), r.GetValue(o.Model)) switch
        {
            (string p, null) when p.StartsWith('-') => throw new CliError($"unexpected argument '{p}'"),
            (string p, null) => p,
            (null, string p) => p,
            (null, null) => throw new CliError("needs one MODEL (a folder from `interp train induction`, or a GPT-2 checkpoint) as --model or the first argument"),
            _ => throw new CliError("name the model once: MODEL or --model"),
        };
        string outDir = Vocabulary.Folder(r.GetValue(o.Out)!);
        var model = ModelFiles.LoadTransformer(path, r.GetValue(o.Device));
        model.Eval();
        var cfg = model.Config;
        int prompts = r.GetValue(o.Prompts);
        int length = r.GetValue(o.Length) ?? Math.Min(24, cfg.NCtx / 2);
        if (2 * length > cfg.NCtx) throw new CliError($"--length {length} makes prompts of {2 * length} tokens, longer than the model's n_ctx = {cfg.NCtx}");
        int bos = r.GetValue(o.Bos) ?? (cfg.DVocab == 50257 ? 50256 : 0);
        if (bos >= cfg.DVocab) throw new CliError($"--bos {bos} is outside the model's vocabulary [0, {cfg.DVocab})");
        ulong seed = r.GetValue(o.Seed);
        var directions = r.GetValue(o.Direction) switch
        {
            "denoising" => new[] { PatchDirection.Denoising },
            "noising" => [PatchDirection.Noising],
            _ => [PatchDirection.Denoising, PatchDirection.Noising],
        };

        var (clean, corrupted, answers, wrong) = InductionPrompts.Make(cfg.DVocab, length, prompts, bos, seed);
        var (c, k) = ActivationPatching.Baselines(model, clean, corrupted, PatchMetrics.LogitDiff(answers, wrong));
        if (Math.Abs(c - k) < 1e-6)
            throw new CliError($"the clean and corrupted prompts give the same logit difference ({c:G4}); nothing to patch (is the model trained?)");
        return new PatchSetup
        {
            Model = model, ModelPath = path, Clean = clean, Corrupted = corrupted, Answers = answers, Wrong = wrong,
            Metric = PatchMetrics.NormalizedLogitDiff(answers, wrong, c, k), CleanLogitDiff = c, CorruptedLogitDiff = k,
            Directions = directions, OutDir = outDir, Progress = new Progress(r.GetValue(o.Quiet)),
            Settings = new { model = path, prompts, length, bos, seed, clean_logit_diff = c, corrupted_logit_diff = k },
        };
    }

    public string File(string name) => Path.Combine(OutDir, name);

    public void PrintBaselines(TextWriter o)
    {
        o.WriteLine($"prompts: {Clean.Size(0)} x {Clean.Size(1)} tokens (BOS + {Clean.Size(1) / 2} random tokens + their repeat; corrupted: another first half)");
        o.WriteLine($"logit difference (answer - wrong, last position): clean {CleanLogitDiff:F3}, corrupted {CorruptedLogitDiff:F3}; metric normalized to 0 = corrupted, 1 = clean");
    }

    public static string Name(PatchDirection d) => d == PatchDirection.Denoising ? "denoising" : "noising";

    /// <summary>The heads whose patch moves the metric most from the base run's, "L0H3 0.812, ...".</summary>
    public static string TopHeads(Tensor heads, double baseline, int count = 5)
    {
        int h = heads.Size(1);
        var v = heads.ToDoubleArray();
        return string.Join(", ", v.Select((x, i) => (x, i)).Where(p => double.IsFinite(p.x)).OrderByDescending(p => Math.Abs(p.x - baseline)).Take(count)
            .Select(p => $"L{p.i / h}H{p.i % h} {p.x:F3}"));
    }

    public void WriteJson(string name, object content) =>
        JsonFile.Write(File(name), content);
}
