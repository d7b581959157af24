using System.Diagnostics;
using Interp.Analysis.Heads;
using Interp.Data;
using Interp.IO;
using Interp.Tokenizer;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Analysis.Cases;

/// <summary>What <c>interp case code-lm</c> trains and on what; the defaults are the verb's.</summary>
/// <param name="CorpusFolder">train on the .py files under this folder instead of python3's standard library</param>
/// <param name="MaxFiles">keep the first n files of the sorted list (small runs)</param>
/// <param name="Tokenizer">"bpe" (trained here on the training files) or "gpt2"</param>
/// <param name="Minutes">per model: stop training after this many minutes (with an evaluation and a checkpoint)</param>
/// <param name="SaeSteps">steps of the SAE on the 1-layer model's MLP output (0: none)</param>
public sealed record CodeLmCaseOptions(
    string Python = "python3", string? CorpusFolder = null, int? MaxFiles = null, ulong Seed = 0, string Tokenizer = "bpe", int VocabSize = 4096,
    IReadOnlyList<string>? Models = null, int Steps = 3000, double? Minutes = null, int BatchSize = 8, int Context = 256, int DModel = 128,
    int NHeads = 4, int EvalEvery = 250, int EvalSequences = 256, int CheckpointEvery = 250, bool Resume = false, int SaeSteps = 2000)
{
    public IReadOnlyList<string> ModelNames => Models ?? CodeLmOptions.Models;

    public CodeLmOptions For(string model, int vocab) => new(model, vocab, Steps, Seed, Context, DModel, NHeads, DModel / NHeads, BatchSize,
        EvalEvery: EvalEvery, EvalSequences: EvalSequences);
}

/// <summary>One trained model and its head scans (on repeated random tokens and on held-out code).</summary>
public sealed record CodeLmModelRun(string Name, string Dir, CodeLmOptions Options, CodeLmResult Training, HeadScan Repeated, int RepeatLength, HeadScan Natural);

public sealed record CodeLmCaseResult(string Index, CodeCorpus Corpus, ITokenizer Tokenizer, string TokenizerName, CodeTokens Tokens,
    IReadOnlyList<CodeLmModelRun> Models, CodeLmSaeRun? Sae, IReadOnlyList<CodeLmCircuitRun> Circuits, TimeSpan Wall);

/// <summary>
/// <c>interp case code-lm</c>: small language models trained here on real code (the Python standard library), then
/// studied as the field studied TransformerLens's attn-only models and Anthropic's one-layer model. Writes into a folder:
/// corpus.json (the exact files and their hash), tokenizer/ (vocab.json + merges.txt), models/NAME/ (weights, config,
/// corpus.json, training.json, checkpoint/) and index.html.
/// </summary>
public static class CodeLmCase
{
    public static CodeLmCaseResult Run(CodeLmCaseOptions o, string outDir, Device device, Progress? progress = null, Func<bool>? stop = null)
    {
        var wall = Stopwatch.StartNew();
        progress ??= new Progress(quiet: true);
        foreach (var m in o.ModelNames)
            if (!CodeLmOptions.Models.Contains(m)) throw new ArgumentException($"code-lm: unknown model '{m}' (one of {string.Join(", ", CodeLmOptions.Models)})");
        if (o.Tokenizer is not ("bpe" or "gpt2")) throw new ArgumentException($"code-lm: the tokenizer must be bpe or gpt2, got '{o.Tokenizer}'");
        Directory.CreateDirectory(outDir);

        var corpus = o.CorpusFolder is string folder ? CodeCorpus.FromFolder(folder, o.Seed, maxFiles: o.MaxFiles)
            : CodeCorpus.FromPythonStdlib(o.Python, o.Seed, maxFiles: o.MaxFiles);
        corpus.Save(Path.Combine(outDir, "corpus.json"));
        progress.Note($"code-lm: corpus {corpus.Source}: {corpus.Files.Count} files, {corpus.TotalBytes / 1e6:F1} MB ({corpus.Train.Count} train, {corpus.HeldOut.Count} held out), sha256 {corpus.Sha256[..16]}...");

        var (tokenizer, tokenizerName) = MakeTokenizer(o, corpus, Path.Combine(outDir, "tokenizer"), progress);
        var tokenWatch = Stopwatch.StartNew();
        var tokens = CodeTokens.Encode(corpus, tokenizer);
        progress.Note($"code-lm: {tokens.Train.Length:N0} training tokens, {tokens.HeldOutTokens:N0} held-out tokens ({tokenWatch.Elapsed.TotalSeconds:F0} s to encode)");

        var runs = new List<CodeLmModelRun>();
        foreach (var name in o.ModelNames)
            runs.Add(TrainOne(o, name, corpus, tokenizer, tokens, Path.Combine(outDir, "models", name), device, progress, stop));

        CodeLmSaeRun? sae = null;
        if (runs.FirstOrDefault(r => r.Name == "1l-mlp") is { } oneLayer && o.SaeSteps > 0)
        {
            progress.Note($"code-lm: SAE on {CodeLmSae.Hook} of 1l-mlp ({o.SaeSteps} steps)");
            sae = CodeLmSae.Run(oneLayer.Training.Model, tokens, tokenizer, o.SaeSteps, o.Seed, Path.Combine(outDir, "sae"), progress);
        }
        progress.Note("code-lm: patching, logit lens and direct logit attribution");
        var circuits = runs.Select(r => CodeLmCircuits.Run(r.Name, r.Training.Model, tokens, tokenizer, o.Seed)).ToList();

        var result = new CodeLmCaseResult(Path.Combine(outDir, "index.html"), corpus, tokenizer, tokenizerName, tokens, runs, sae, circuits, wall.Elapsed);
        CodeLmReport.Write(result, outDir);
        return result;
    }

    /// <summary>The BPE trained on the training files (reused from the folder when it was trained on this corpus), or GPT-2's.</summary>
    static (ITokenizer Tokenizer, string Name) MakeTokenizer(CodeLmCaseOptions o, CodeCorpus corpus, string dir, Progress progress)
    {
        if (o.Tokenizer == "gpt2") return (Gpt2Tokenizer.Instance, "GPT-2's BPE (50,257 tokens)");
        string stamp = Path.Combine(dir, "trained_on.json");
        if (File.Exists(stamp) && File.Exists(Path.Combine(dir, BpeTokenizer.VocabFile)))
        {
            var saved = System.Text.Json.JsonSerializer.Deserialize<TokenizerStamp>(File.ReadAllText(stamp));
            if (saved is not null && saved.Sha256 == corpus.Sha256 && saved.Seed == corpus.Seed && saved.VocabSize == o.VocabSize)
            {
                var loaded = BpeTokenizer.Load(dir);
                progress.Note($"code-lm: BPE tokenizer of this corpus loaded from {dir} ({loaded.VocabSize} tokens)");
                return (loaded, $"a byte-level BPE of {loaded.VocabSize} tokens trained on the training files");
            }
        }
        var watch = Stopwatch.StartNew();
        progress.Note($"code-lm: training a byte-level BPE of {o.VocabSize} tokens on the {corpus.Train.Count} training files");
        var bpe = BpeTrainer.Train(corpus.Train.Select(corpus.Read), o.VocabSize, (done, wanted) => progress.Note($"bpe: {done}/{wanted} merges, {watch.Elapsed.TotalSeconds:F0} s"));
        bpe.Save(dir);
        JsonFile.Write(stamp, new TokenizerStamp(corpus.Sha256, corpus.Seed, o.VocabSize, watch.Elapsed.TotalSeconds));
        return (bpe, $"a byte-level BPE of {bpe.VocabSize} tokens trained on the training files in {watch.Elapsed.TotalSeconds:F0} s");
    }

    sealed record TokenizerStamp(string Sha256, ulong Seed, int VocabSize, double Seconds);

    static CodeLmModelRun TrainOne(CodeLmCaseOptions o, string name, CodeCorpus corpus, ITokenizer tokenizer, CodeTokens tokens, string dir,
        Device device, Progress progress, Func<bool>? stop)
    {
        var options = o.For(name, tokenizer.VocabSize);
        var config = options.ModelConfig;
        string checkpointDir = Path.Combine(dir, "checkpoint");
        bool resume = o.Resume && Checkpoint.Exists(checkpointDir);
        progress.Note($"code-lm: {name}: {config.NLayers} layer(s), d_model {config.DModel}, {config.NHeads} heads of {config.DHead}, d_mlp {config.DMlp}, context {config.NCtx}, " +
            $"vocab {config.DVocab}; AdamW lr {options.LearningRate}, batch {options.BatchSize} x {options.Context} tokens, {options.Steps} steps" +
            (o.Minutes is double m ? $" or {m} min" : "") + (resume ? ", resuming" : "") + $", on {device}");
        var limit = Stopwatch.StartNew();
        bool Stop() => stop?.Invoke() == true || (o.Minutes is double minutes && limit.Elapsed.TotalMinutes >= minutes);
        CodeLmResult run;
        try
        {
            run = CodeLm.Train(options, tokens, progress.Report,
                e => progress.Note($"{name} step {e.Step} ({e.TokensSeen / 1e6:F2} M tokens): held-out loss {e.Loss:F3}, ICL score {e.IclScore:F3}"),
                Stop, new ToyCheckpoints(checkpointDir, o.CheckpointEvery, resume), device);
        }
        finally { progress.Finish(); }
        var model = run.Model;
        model.Eval();
        model.Save(dir);
        corpus.Save(Path.Combine(dir, "corpus.json"));
        JsonFile.Write(Path.Combine(dir, "training.json"), new
        {
            model = name, tokenizer = o.Tokenizer, vocab = config.DVocab, steps = run.Final.Step, tokens_seen = run.TokensSeen, wall_seconds = run.Wall.TotalSeconds,
            stopped_early = run.Stopped, corpus_sha256 = corpus.Sha256,
            curve = run.Curve.Select(e => new { step = e.Step, tokens_seen = e.TokensSeen, held_out_loss = e.Loss, icl_score = e.IclScore, per_position = e.PerPosition }),
        });

        int length = Math.Min(100, (options.Context - 1) / 2);
        var repeated = HeadScan.OnRepeatedRandomTokens(model, length, batch: 16, bos: tokenizer.EndOfText, seed: o.Seed + 21);
        var natural = HeadScan.Run(model, tokens.HeldOutWindows(options.Context, 16), firstQuery: 1);
        return new CodeLmModelRun(name, dir, options, run, repeated, length, natural);
    }
}
