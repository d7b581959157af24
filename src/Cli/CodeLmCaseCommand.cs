using System.CommandLine;
using Interp.Analysis.Cases;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp case code-lm</c>: small language models trained on the Python standard library, and what they learned.</summary>
public sealed class CodeLmCaseCommand : Command
{
    static readonly CodeLmCaseOptions Defaults = new();
    readonly Option<string> python = Vocabulary.Text("--python", "the Python whose standard library is the corpus", Defaults.Python);
    readonly Option<string> corpus = Vocabulary.Text("--corpus", "train on the .py files under this folder instead of the standard library");
    readonly Option<int?> files = Vocabulary.MaybeInt("--files", "keep only the first N files of the sorted list (small runs)", min: 2);
    readonly Option<string> tokenizer = Vocabulary.Choice("--tokenizer", Defaults.Tokenizer, "bpe: a byte-level BPE trained on the training files; gpt2: GPT-2's", "bpe", "gpt2");
    readonly Option<int> vocab = Vocabulary.Int("--vocab", Defaults.VocabSize, "vocabulary of the trained BPE (bytes + merges + end-of-text)", min: 257);
    readonly Option<string> models = Vocabulary.Text("--models", "comma-separated models to train", string.Join(",", CodeLmOptions.Models));
    readonly Option<int> steps = Vocabulary.Steps(Defaults.Steps, "training steps per model");
    readonly Option<double> minutes = Vocabulary.Double("--minutes", 0, "per model: stop training after this many minutes (0: no limit)", min: 0);
    readonly Option<int> batch = Vocabulary.Int("--batch", Defaults.BatchSize, "windows per step", min: 1);
    readonly Option<int> context = Vocabulary.Int("--context", Defaults.Context, "tokens per window (n_ctx)", min: 8);
    readonly Option<int> dModel = Vocabulary.Int("--d-model", Defaults.DModel, "residual width (4 heads of d_model / 4)", min: 4);
    readonly Option<int> evalEvery = Vocabulary.Int("--eval-every", Defaults.EvalEvery, "steps between held-out evaluations", min: 1);
    readonly Option<int> checkpointEvery = Vocabulary.Int("--checkpoint-every", Defaults.CheckpointEvery, "steps between checkpoints", min: 1);
    readonly Option<bool> resume = Vocabulary.Flag("--resume", "continue each model from its checkpoint in OUT/models/NAME/checkpoint");
    readonly Option<int> saeSteps = Vocabulary.Int("--sae-steps", Defaults.SaeSteps, "steps of the SAE on the 1-layer model's MLP output (0: none)", min: 0);
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the split, the models and the data order");
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "code-lm"), "report folder (corpus.json, tokenizer/, models/, sae/, index.html)");
    readonly Option<Device> device = Vocabulary.Device();
    readonly Option<bool> quiet = Vocabulary.Quiet();

    public CodeLmCaseCommand() : base("code-lm", """
        Trains small language models on the Python standard library and studies them.

        The corpus is the .py files of python3's standard library (without site-packages and the test packages), split
        by file 90/10; corpus.json records every file and a SHA-256 of the whole. A byte-level BPE (4,096 tokens) is
        trained on the training files (or --tokenizer gpt2). Three models train on windows of 256 tokens: attn-only-2l,
        attn-only-4l (attention only, shortformer positions) and 1l-mlp, with held-out loss and the in-context-learning
        score recorded over training, checkpoints and --resume. The report (index.html) shows the loss by position, the
        previous-token, duplicate-token and induction scores of every head on repeated random tokens and on held-out code,
        activation patching of identifier copying, the logit lens and direct logit attribution on natural prompts, and a
        top-k SAE on the 1-layer model's MLP output with a feature browser (sae/index.html).
        """)
    {
        foreach (var option in new Option[] { python, corpus, files, tokenizer, vocab, models, steps, minutes, batch, context, dModel, evalEvery, checkpointEvery,
                     resume, saeSteps, seed, outDir, device, quiet })
            Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        int width = r.GetValue(dModel);
        if (width % 4 != 0) throw new CliError($"--d-model must be a multiple of 4 (4 heads), got {width}");
        var names = r.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var n in names)
            if (!CodeLmOptions.Models.Contains(n)) throw new CliError($"--models: unknown model '{n}' (one of {string.Join(", ", CodeLmOptions.Models)})");
        double limit = r.GetValue(minutes);
        var options = new CodeLmCaseOptions(r.GetValue(python)!, r.GetValue(corpus), r.GetValue(files), r.GetValue(seed), r.GetValue(tokenizer)!, r.GetValue(vocab),
            names, r.GetValue(steps), limit > 0 ? limit : null, r.GetValue(batch), r.GetValue(context), width, 4, r.GetValue(evalEvery),
            CheckpointEvery: r.GetValue(checkpointEvery), Resume: r.GetValue(resume), SaeSteps: r.GetValue(saeSteps));
        string dir = Vocabulary.Folder(r.GetValue(outDir)!);
        var progress = new Progress(r.GetValue(quiet));
        using var ctrlC = new StopOnCtrlC();
        var result = CodeLmCase.Run(options, dir, r.GetValue(device)!, progress, ctrlC.Requested);

        Console.WriteLine($"corpus: {result.Corpus.Files.Count} files ({result.Corpus.Train.Count} train, {result.Corpus.HeldOut.Count} held out), sha256 {result.Corpus.Sha256}");
        Console.WriteLine($"tokens: {result.Tokens.Train.Length} train, {result.Tokens.HeldOutTokens} held out, vocabulary {result.Tokenizer.VocabSize}");
        foreach (var m in result.Models)
        {
            var top = m.Repeated.Ranked(Interp.Analysis.Heads.HeadScoreKind.Induction)[0];
            Console.WriteLine($"{m.Name}: {m.Training.Final.Step} steps, {m.Training.TokensSeen} tokens seen, held-out loss {m.Training.Final.Loss:F3}, ICL score {m.Training.Final.IclScore:F3}, " +
                $"top induction head {top.Label} {top.Score:F3} (random), {m.Natural.Induction.GetValue(top.Layer, top.Head):F3} (code)");
        }
        if (result.Sae is { } sae)
            Console.WriteLine($"sae: L0 {sae.Metrics.L0:F1}, dead {sae.Metrics.DeadFraction:P1}, CE loss recovered {sae.Ce.Recovered:F3}");
        Console.WriteLine($"report: {Path.GetFullPath(result.Index)}");
        return 0;
    }
}
