using System.Diagnostics;
using Interp.Autograd;
using Interp.Data;
using Interp.Optim;
using Interp.Transformers;

namespace Interp.Training;

/// <summary>
/// A small language model on code, in one of three TransformerLens-style shapes (<see cref="Models"/>):
/// "attn-only-2l" and "attn-only-4l" (attention only, LayerNorm, shortformer positions, as TransformerLens's
/// attn-only-Nl) and "1l-mlp" (one block with a GELU MLP of 4 × d_model, standard positions). Trained with AdamW
/// (linear warm-up over the first 5 % of steps, cosine decay) on random windows of <see cref="Context"/> + 1 training
/// tokens, next-token cross-entropy at every position.
/// </summary>
/// <param name="VocabSize">the tokenizer's vocabulary (part of the options so a resumed run must use the same one)</param>
/// <param name="EvalSequences">held-out windows per evaluation: half evenly spaced over the held-out stream, half the same moved on by late − early positions (CodeTokens.HeldOutSample)</param>
public sealed record CodeLmOptions(
    string Model = "attn-only-2l", int VocabSize = 4096, int Steps = 3000, ulong Seed = 0, int Context = 256, int DModel = 128,
    int NHeads = 4, int DHead = 32, int BatchSize = 8, double LearningRate = 1e-3, double WeightDecay = 0.01, int EvalEvery = 250,
    int EvalSequences = 256)
{
    public static readonly string[] Models = ["attn-only-2l", "attn-only-4l", "1l-mlp"];

    public TransformerConfig ModelConfig => Model switch
    {
        "attn-only-2l" or "attn-only-4l" => new()
        {
            NLayers = Model == "attn-only-2l" ? 2 : 4, DModel = DModel, NHeads = NHeads, DHead = DHead, DMlp = 0, DVocab = VocabSize,
            NCtx = Context, Normalization = "LN", PositionalEmbedding = "shortformer", Seed = Seed,
        },
        "1l-mlp" => new()
        {
            NLayers = 1, DModel = DModel, NHeads = NHeads, DHead = DHead, DMlp = 4 * DModel, DVocab = VocabSize, NCtx = Context,
            ActFn = "gelu", Normalization = "LN", PositionalEmbedding = "standard", Seed = Seed,
        },
        _ => throw new ArgumentException($"code-lm: the model must be one of {string.Join(", ", Models)}, got '{Model}'"),
    };

    public long TokensPerStep => (long)BatchSize * Context;
}

/// <summary>
/// A held-out evaluation: the mean next-token loss, the loss at each position of the window ([Context]; entry t is the
/// loss of predicting token t + 1 from tokens 0..t) and the in-context-learning score of Olsson et al. (2022): the loss
/// late in the context minus the loss early in it (negative: later tokens are predicted better, thanks to the context).
/// Early is position 50 (or Context / 5 when shorter than 250), late the last position, each averaged over the 5
/// positions around it.
/// </summary>
public sealed record CodeLmEval(int Step, long TokensSeen, double Loss, double IclScore, double[] PerPosition)
{
    public static (int Early, int Late) IclPositions(int context) => (context >= 250 ? 50 : Math.Max(2, context / 5), context - 3);

    /// <summary>Mean loss over the 5 positions around <paramref name="at"/> (clipped to the window).</summary>
    public static double Around(IReadOnlyList<double> perPosition, int at)
    {
        int from = Math.Max(0, at - 2), to = Math.Min(perPosition.Count - 1, at + 2);
        return Enumerable.Range(from, to - from + 1).Average(i => perPosition[i]);
    }

    public static double IclScoreOf(IReadOnlyList<double> perPosition)
    {
        var (early, late) = IclPositions(perPosition.Count);
        return Around(perPosition, late) - Around(perPosition, early);
    }

    /// <summary>
    /// The ICL score on the same tokens: late positions of <paramref name="windows"/> minus early positions of
    /// <paramref name="shifted"/>, the same windows moved on by late − early tokens, so both sides predict the same
    /// held-out tokens, once with a long context and once with a short one. Over a few hundred windows the unpaired
    /// score differs by ±0.1 from one sample of windows to the next, by the tokens that happen to sit at each position.
    /// </summary>
    public static double PairedIclScore(IReadOnlyList<double> windows, IReadOnlyList<double> shifted)
    {
        var (early, late) = IclPositions(windows.Count);
        return Around(windows, late) - Around(shifted, early);
    }
}

/// <param name="TokensSeen">training tokens processed (steps × batch × context), over all runs of a resumed model</param>
public sealed record CodeLmResult(HookedTransformer Model, CodeLmEval Final, IReadOnlyList<CodeLmEval> Curve, TimeSpan Wall, bool Stopped, long TokensSeen);

public static class CodeLm
{
    /// <summary>
    /// Trains one model on <paramref name="data"/>; <paramref name="stop"/> (checked before each step, e.g. a time limit
    /// or Ctrl-C) ends the run early with an evaluation and a checkpoint; the other arguments as for ToyModels.TrainInduction.
    /// </summary>
    public static CodeLmResult Train(CodeLmOptions o, CodeTokens data, Action<StepReport>? report = null, Action<CodeLmEval>? onEval = null,
        Func<bool>? stop = null, ToyCheckpoints? checkpoints = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (o.Steps <= 0) throw new ArgumentException($"code-lm: steps must be positive, got {o.Steps}");
        if (o.Context < 8) throw new ArgumentException($"code-lm: the context must be at least 8 tokens, got {o.Context}");
        var wall = Stopwatch.StartNew();
        device ??= Device.Cpu;
        var model = new HookedTransformer(o.ModelConfig);
        model.To(device);
        var (early, late) = CodeLmEval.IclPositions(o.Context);
        var heldOut = data.HeldOutSample(o.Context + 1, o.EvalSequences / 2, shift: late - early).To(device);
        var rng = new Generator(o.Seed + 1);
        // a fresh batch every step from the trainer's Rng (saved in checkpoints): the example indices only count steps
        var trainer = new Trainer(model, new AdamW(model.Parameters(), o.LearningRate, weightDecay: o.WeightDecay),
            o.Steps * o.BatchSize, _ => ToyModels.NextTokenLoss(model, data.TrainBatch(o.BatchSize, o.Context + 1, rng).To(device)),
            new TrainerOptions(1, o.BatchSize, o.Seed, LrSchedule.WarmupCosine(Math.Max(1, o.Steps / 20), o.Steps)), rng);
        var run = new ToyLoop<CodeLmOptions, CodeLmEval>("code-lm", trainer, o, o.EvalEvery,
            step => Evaluate(model, heldOut, step, step * o.TokensPerStep), _ => false, int.MaxValue);
        var (curve, final, _, stopped) = run.Run(report, onEval, stop, checkpoints, saved => saved with { Steps = 0 });
        return new CodeLmResult(model, final, curve, wall.Elapsed, stopped, trainer.Step * o.TokensPerStep);
    }

    /// <summary>
    /// Per-position held-out loss, its mean and the ICL score over windows [2n, Context + 1] made by
    /// <see cref="CodeTokens.HeldOutSample"/> with a shift of late − early: the first n and their shifted twins.
    /// </summary>
    public static CodeLmEval Evaluate(HookedTransformer model, Tensor windows, int step = 0, long tokensSeen = 0)
    {
        int n = windows.Size(0) / 2;
        if (n == 0 || windows.Size(0) % 2 != 0)
            throw new ArgumentException($"code-lm: evaluation takes windows in pairs (first, shifted), got {windows.Size(0)}");
        var first = PerPositionLoss(model, windows.Narrow(0, 0, n));
        var shifted = PerPositionLoss(model, windows.Narrow(0, n, n));
        var perPosition = first.Zip(shifted, (a, b) => (a + b) / 2).ToArray();
        return new CodeLmEval(step, tokensSeen, perPosition.Average(), CodeLmEval.PairedIclScore(first, shifted), perPosition);
    }

    /// <summary>Mean next-token loss at each position of the windows [n, pos] (pos − 1 entries).</summary>
    public static double[] PerPositionLoss(HookedTransformer model, Tensor windows)
    {
        using var _ = GradMode.NoGrad();
        bool training = model.Training;
        model.Eval();
        int n = windows.Size(0), pos = windows.Size(1);
        var sum = new double[pos - 1];
        for (int start = 0; start < n; start += 8)
        {
            int b = Math.Min(8, n - start);
            var tokens = windows.Narrow(0, start, b);
            var logits = model.Forward(tokens.Narrow(1, 0, pos - 1));
            var loss = logits.Reshape(-1, model.Config.DVocab)
                .CrossEntropy(tokens.Narrow(1, 1, pos - 1).Contiguous().Reshape(-1), reduction: "none").Reshape(b, pos - 1).Sum(0).To(DType.Float64).To(Device.Cpu).ToDoubleArray();
            for (int t = 0; t < pos - 1; t++) sum[t] += loss[t];
        }
        if (training) model.Train();
        return sum.Select(s => s / n).ToArray();
    }
}
