using System.Diagnostics;
using Interp.Autograd;
using Interp.Data.Tasks;
using Interp.Optim;
using Interp.Transformers;

namespace Interp.Training;

/// <summary>
/// The induction toy: a 2-layer attention-only transformer with shortformer positions trained on
/// [BOS] + L random tokens + the same L tokens (<see cref="RepeatedTokens"/>; in training the repeat period varies), next-token
/// cross-entropy at every position.
/// </summary>
/// <param name="MinLength">when set, training sequences repeat a block of random period in [MinLength, Length], so that a
/// fixed-offset positional head cannot solve the task; held-out sequences always repeat after Length</param>
public sealed record InductionOptions(
    int Steps = 1500, ulong Seed = 0, int VocabSize = 64, int Length = 24, int DModel = 64, int NHeads = 4, int DHead = 16,
    int BatchSize = 32, double LearningRate = 1e-3, double WeightDecay = 0.01, int EvalBatch = 256, int EvalEvery = 100,
    int? MinLength = null)
{
    public TransformerConfig ModelConfig => new()
    {
        NLayers = 2, DModel = DModel, NHeads = NHeads, DHead = DHead, DMlp = 0, DVocab = VocabSize, NCtx = 2 * Length + 1,
        Normalization = "LN", PositionalEmbedding = "shortformer", Seed = Seed,
    };
}

/// <summary>Held-out mean next-token loss over the random first half and over the repeated second half.</summary>
public readonly record struct InductionEval(int Step, double FirstHalfLoss, double SecondHalfLoss);

/// <param name="Stopped">the stop request ended the run before its last step</param>
public sealed record InductionResult(HookedTransformer Model, InductionEval Final, IReadOnlyList<InductionEval> Curve, TimeSpan Wall, bool Stopped = false);

/// <summary>
/// The grokking toy of Nanda et al. (2023): a 1-layer transformer (ReLU MLP, no LayerNorm, no biases but the MLP's)
/// on a + b mod p, tokens <c>a b =</c>, predicting at <c>=</c>; full-batch AdamW (weight decay 1, betas 0.9/0.98) on
/// a fraction of the pairs. Training stops once test accuracy stays ≥ <see cref="TargetAccuracy"/> for
/// <see cref="Patience"/> evaluations in a row, or after <see cref="MaxSteps"/>.
/// </summary>
public sealed record ModAddOptions(
    int MaxSteps = 20000, ulong Seed = 0, int P = 113, double TrainFraction = 0.3, int DModel = 128, int NHeads = 4, int DHead = 32,
    int DMlp = 512, double LearningRate = 1e-3, double WeightDecay = 1.0, double TargetAccuracy = 0.99, int EvalEvery = 100, int Patience = 3)
{
    public TransformerConfig ModelConfig => new()
    {
        NLayers = 1, DModel = DModel, NHeads = NHeads, DHead = DHead, DMlp = DMlp, DVocab = P + 1, NCtx = 3,
        ActFn = "relu", Normalization = "none", UseAttnBias = false, UseUnembedBias = false, Seed = Seed,
        UseAttnResult = false,   // TransformerLens's default: no per-head hook_result, one [batch·pos, h·e]·[h·e, d] product
    };
}

public readonly record struct ModAddEval(int Step, double TrainLoss, double TestLoss, double TrainAccuracy, double TestAccuracy);

public sealed record ModAddResult(HookedTransformer Model, ModAddEval Final, IReadOnlyList<ModAddEval> Curve, bool Reached, TimeSpan Wall, bool Stopped = false);

/// <summary>
/// Checkpoints of a toy run in <paramref name="Dir"/> (see <see cref="Checkpoint"/>): saved atomically every
/// <paramref name="Every"/> steps, when a stop request ends the run and at its end. With <paramref name="Resume"/> the
/// run continues from the checkpoint there — the same weights, optimizer and data-stream state, so it computes the
/// same losses, bit for bit, as a run that never stopped; only the number of steps may differ from the saved run's.
/// </summary>
public sealed record ToyCheckpoints(string Dir, int Every = 500, bool Resume = false);

/// <summary>What a toy checkpoint records beside its tensors: the run's options and its evaluations so far.</summary>
public sealed record ToyRunState<TOptions, TEval>(TOptions Options, List<TEval> Curve, int Streak);

public static class ToyModels
{
    /// <summary>
    /// Trains the induction toy; <paramref name="onEval"/> sees each held-out evaluation, <paramref name="stop"/> (checked
    /// before each step) ends the run early, <paramref name="checkpoints"/> saves and resumes it. The model and its batches
    /// live on <paramref name="device"/> (default the CPU); the initialisation and the data are the same on every device.
    /// </summary>
    public static InductionResult TrainInduction(InductionOptions o, Action<StepReport>? report = null, Action<InductionEval>? onEval = null,
        Func<bool>? stop = null, ToyCheckpoints? checkpoints = null, Device? device = null)
    {
        if (o.Steps <= 0) throw new ArgumentException($"induction: steps must be positive, got {o.Steps}");
        var wall = Stopwatch.StartNew();
        device ??= Device.Cpu;
        var model = new HookedTransformer(o.ModelConfig);
        model.To(device);
        var task = new RepeatedTokens(o.VocabSize, o.Length, bos: 0, seed: o.Seed + 1, minLength: o.MinLength);
        var heldOut = new RepeatedTokens(o.VocabSize, o.Length, bos: 0, seed: o.Seed ^ 0xE7A1UL).Batch(o.EvalBatch).To(device);
        // every step draws a fresh batch: the trainer's example indices only count steps; the task's generator is the
        // trainer's Rng, so checkpoints keep the data stream's place
        var trainer = new Trainer(model, new AdamW(model.Parameters(), o.LearningRate, weightDecay: o.WeightDecay),
            o.Steps * o.BatchSize, _ => NextTokenLoss(model, task.Batch(o.BatchSize).To(device)),
            new TrainerOptions(1, o.BatchSize, o.Seed), task.Rng);
        var run = new ToyLoop<InductionOptions, InductionEval>("induction", trainer, o, o.EvalEvery,
            step => EvaluateInduction(model, heldOut, task.RepeatStart, step), _ => false, int.MaxValue);
        var (curve, final, _, stopped) = run.Run(report, onEval, stop, checkpoints, saved => saved with { Steps = 0 });
        return new InductionResult(model, final, curve, wall.Elapsed, stopped);
    }

    /// <summary>Mean cross-entropy of predicting token t+1 from tokens ≤ t, over every position.</summary>
    public static Tensor NextTokenLoss(HookedTransformer model, Tensor tokens)
    {
        int pos = tokens.Size(1);
        var logits = model.Forward(tokens.Narrow(1, 0, pos - 1));
        return logits.Reshape(-1, model.Config.DVocab).CrossEntropy(tokens.Narrow(1, 1, pos - 1).Contiguous().Reshape(-1));
    }

    /// <summary>
    /// Held-out losses: the first half averages the predictions of tokens 2..L (token 1 follows BOS alone), the second
    /// half those of the repeated tokens L+2..2L (the first repeated token is not yet predictable).
    /// </summary>
    public static InductionEval EvaluateInduction(HookedTransformer model, Tensor tokens, int repeatStart, int step = 0)
    {
        using var _ = GradMode.NoGrad();
        model.Eval();
        int batch = tokens.Size(0), pos = tokens.Size(1);
        var logits = model.Forward(tokens.Narrow(1, 0, pos - 1));
        var perToken = logits.Reshape(-1, model.Config.DVocab)
            .CrossEntropy(tokens.Narrow(1, 1, pos - 1).Contiguous().Reshape(-1), reduction: "none").Reshape(batch, pos - 1);
        // perToken[:, t] is the loss of predicting token t + 1
        double first = perToken.Narrow(1, 1, repeatStart - 2).Mean().Item();
        double second = perToken.Narrow(1, repeatStart, pos - 1 - repeatStart).Mean().Item();
        model.Train();
        return new InductionEval(step, first, second);
    }

    /// <summary>
    /// Trains the modular-addition toy; <paramref name="onEval"/> sees each evaluation, <paramref name="stop"/> (checked
    /// before each step) ends the run early, <paramref name="checkpoints"/> saves and resumes it; the model and the data
    /// live on <paramref name="device"/> (default the CPU).
    /// </summary>
    public static ModAddResult TrainModularAddition(ModAddOptions o, Action<StepReport>? report = null, Action<ModAddEval>? onEval = null,
        Func<bool>? stop = null, ToyCheckpoints? checkpoints = null, Device? device = null)
    {
        if (o.MaxSteps <= 0) throw new ArgumentException($"modadd: steps must be positive, got {o.MaxSteps}");
        var wall = Stopwatch.StartNew();
        device ??= Device.Cpu;
        var data = new ModularAddition(o.P, o.TrainFraction, o.Seed);
        var (trainX, trainY) = (data.Train.Tokens.To(device), data.Train.Labels.To(device));
        var (testX, testY) = (data.Test.Tokens.To(device), data.Test.Labels.To(device));
        var model = new HookedTransformer(o.ModelConfig);
        model.To(device);
        var optimizer = new AdamW(model.Parameters(), o.LearningRate, betas: (0.9, 0.98), weightDecay: o.WeightDecay);
        // full batch: one "epoch" of one step per step; the rows' order does not change the mean loss
        var trainer = new Trainer(model, optimizer, data.TrainPairs.Length, _ => AnswerLogits(model, trainX, o.P).CrossEntropy(trainY),
            new TrainerOptions(o.MaxSteps, data.TrainPairs.Length, o.Seed));
        var run = new ToyLoop<ModAddOptions, ModAddEval>("modadd", trainer, o, o.EvalEvery,
            step => EvaluateModAdd(model, o.P, trainX, trainY, testX, testY, step), e => e.TestAccuracy >= o.TargetAccuracy, o.Patience);
        var (curve, final, streak, stopped) = run.Run(report, onEval, stop, checkpoints, saved => saved with { MaxSteps = 0 });
        return new ModAddResult(model, final, curve, streak >= o.Patience, wall.Elapsed, stopped);
    }

    /// <summary>Logits over the p answers at the <c>=</c> position, [n, p].</summary>
    public static Tensor AnswerLogits(HookedTransformer model, Tensor tokens, int p) =>
        model.Forward(tokens).Select(1, 2).Narrow(1, 0, p);

    static ModAddEval EvaluateModAdd(HookedTransformer model, int p, Tensor trainX, Tensor trainY, Tensor testX, Tensor testY, int step)
    {
        using var _ = GradMode.NoGrad();
        var (trainLoss, trainAcc) = LossAndAccuracy(model, p, trainX, trainY);
        var (testLoss, testAcc) = LossAndAccuracy(model, p, testX, testY);
        return new ModAddEval(step, trainLoss, testLoss, trainAcc, testAcc);
    }

    static (double Loss, double Accuracy) LossAndAccuracy(HookedTransformer model, int p, Tensor x, Tensor y)
    {
        var logits = AnswerLogits(model, x, p);
        var predicted = logits.ArgMax(-1).ToIntArray();
        var labels = y.ToIntArray();
        int correct = predicted.Where((v, i) => v == labels[i]).Count();
        return (logits.CrossEntropy(y).Item(), (double)correct / labels.Length);
    }
}
