using System.Text.Json;
using Interp.Analysis.Patching;
using Interp.Analysis.Plot;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Cli;

/// <summary>What <c>interp patch</c> and <c>interp attrib</c> share: arguments, the model, the default prompts and the metric.</summary>
internal sealed class PatchSetup
{
    public static readonly string[] Options = ["--prompts", "--length", "--bos", "--direction", "--out", "--seed", "--device"];

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

    public static PatchSetup Load(string command, CliArgs a, string defaultOut, string defaultDirection, bool quiet)
    {
        if (a.Positionals.Count != 1) throw new CliError($"{command}: needs one MODEL (a folder from `interp train induction`, or a GPT-2 checkpoint); see {command} --help");
        string path = a.Positionals[0];
        var model = ModelFiles.LoadTransformer(path, a.GetDevice());
        model.Eval();
        var cfg = model.Config;
        int prompts = a.GetInt("--prompts", 8, min: 1);
        int length = a.GetInt("--length", Math.Min(24, cfg.NCtx / 2), min: 2);
        if (2 * length > cfg.NCtx) throw new CliError($"{command}: --length {length} makes prompts of {2 * length} tokens, longer than the model's n_ctx = {cfg.NCtx}");
        int bos = a.GetInt("--bos", cfg.DVocab == 50257 ? 50256 : 0, min: 0);
        if (bos >= cfg.DVocab) throw new CliError($"{command}: --bos {bos} is outside the model's vocabulary [0, {cfg.DVocab})");
        ulong seed = a.GetSeed();
        var directions = a.Get("--direction", defaultDirection) switch
        {
            "denoising" => new[] { PatchDirection.Denoising },
            "noising" => [PatchDirection.Noising],
            "both" => [PatchDirection.Denoising, PatchDirection.Noising],
            var d => throw new CliError($"{command}: --direction must be denoising, noising or both, got '{d}'"),
        };
        string outDir = a.Get("--out", defaultOut);
        CheckWritable(command, outDir);

        var (clean, corrupted, answers, wrong) = InductionPrompts.Make(cfg.DVocab, length, prompts, bos, seed);
        var (c, k) = ActivationPatching.Baselines(model, clean, corrupted, PatchMetrics.LogitDiff(answers, wrong));
        if (Math.Abs(c - k) < 1e-6)
            throw new CliError($"{command}: the clean and corrupted prompts give the same logit difference ({c:G4}); nothing to patch (is the model trained?)");
        return new PatchSetup
        {
            Model = model, ModelPath = path, Clean = clean, Corrupted = corrupted, Answers = answers, Wrong = wrong,
            Metric = PatchMetrics.NormalizedLogitDiff(answers, wrong, c, k), CleanLogitDiff = c, CorruptedLogitDiff = k,
            Directions = directions, OutDir = outDir, Progress = new Progress(quiet),
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
        AtomicFile.WriteAllText(File(name), JsonSerializer.Serialize(content, new JsonSerializerOptions { WriteIndented = true }) + "\n");

    static void CheckWritable(string command, string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, $".probe-{Guid.NewGuid():N}");
            System.IO.File.WriteAllText(probe, "");
            System.IO.File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"{command}: cannot write to --out '{dir}': {e.Message}");
        }
    }
}
