using System.Diagnostics;
using Interp.Autograd;
using Interp.Data.Tasks;
using Interp.Optim;
using Interp.Transformers;

namespace Interp.Training;

/// <summary>
/// The docstring toy: a 4-layer attention-only transformer trained on <see cref="DocstringTask"/> prompts to name the
/// next parameter after each <c>:param</c> (the first one after the first, and so on; the last <c>:param</c> asks for
/// the def's parameter after the last one listed). Each batch has its own layout — 2 to <see cref="MaxParameters"/>
/// parameters, a docstring listing 1 to all but one of them — and each prompt its own description lengths (1 to
/// <see cref="MaxDescription"/> words a line), padded on the left with blank lines to the batch's longest; so the answer
/// is neither at a fixed position, nor at a fixed distance from the end, nor always the def's last parameter: the model
/// has to find the last listed name in the def and read the name after it. AdamW with a linear warm-up and a cosine decay
/// to 0 (a constant rate left the held-out accuracy swinging between 50 and 100 %).
/// </summary>
public sealed record DocstringOptions(
    int Steps = 4000, ulong Seed = 0, int NLayers = 4, int DModel = 64, int NHeads = 4, int DHead = 16, int BatchSize = 64,
    double LearningRate = 1e-3, double WeightDecay = 0.01, int MaxParameters = 4, int MaxDescription = 3, int EvalParameters = 4,
    int EvalListed = 1, int EvalDescription = 2, int EvalBatch = 256, int EvalEvery = 250)
{
    public TransformerConfig ModelConfig => new()
    {
        NLayers = NLayers, DModel = DModel, NHeads = NHeads, DHead = DHead, DMlp = 0, DVocab = new DocstringTask().VocabSize,
        NCtx = DocstringTask.PromptLengthOf(Math.Max(MaxParameters, EvalParameters), Math.Max(MaxDescription, EvalDescription)),   // the longest: every parameter but one listed
        Normalization = "LN", PositionalEmbedding = "standard", Seed = Seed,
    };
}

/// <summary>
/// Held-out figures at the last <c>:param</c>: loss, top-1 accuracy over the vocabulary, accuracy among the def's
/// parameters (chance 1 / parameters) and the mean logit difference between the answer and the last listed name.
/// Held-out prompts have <see cref="DocstringOptions.EvalParameters"/> parameters of which the docstring lists
/// <see cref="DocstringOptions.EvalListed"/>, so the answer is not the def's last parameter.
/// </summary>
public readonly record struct DocstringEval(int Step, double Loss, double Accuracy, double ParameterAccuracy, double LogitDiff);

public sealed record DocstringResult(HookedTransformer Model, DocstringEval Final, IReadOnlyList<DocstringEval> Curve, TimeSpan Wall, bool Stopped = false);

public static class DocstringToy
{
    /// <summary>Trains the docstring toy (see <see cref="DocstringOptions"/>); the arguments as for <see cref="ToyModels.TrainInduction"/>.</summary>
    public static DocstringResult Train(DocstringOptions o, Action<StepReport>? report = null, Action<DocstringEval>? onEval = null,
        Func<bool>? stop = null, ToyCheckpoints? checkpoints = null, Device? device = null)
    {
        if (o.Steps <= 0) throw new ArgumentException($"docstring: steps must be positive, got {o.Steps}");
        if (o.MaxParameters < 2 || o.MaxDescription < 1) throw new ArgumentException($"docstring: needs at least 2 parameters and 1 description word, got {o.MaxParameters} and {o.MaxDescription}");
        var wall = Stopwatch.StartNew();
        device ??= Device.Cpu;
        var model = new HookedTransformer(o.ModelConfig);
        model.To(device);
        var task = new DocstringTask(seed: o.Seed + 1);
        var heldOut = HeldOut(o, new DocstringTask(seed: o.Seed ^ 0xD0C5UL), o.EvalBatch);
        var trainer = new Trainer(model, new AdamW(model.Parameters(), o.LearningRate, weightDecay: o.WeightDecay),
            o.Steps * o.BatchSize, _ => Loss(model, task, o, device),
            new TrainerOptions(1, o.BatchSize, o.Seed, LrSchedule.WarmupCosine(Math.Min(100, o.Steps / 10), o.Steps)), task.Rng);
        var run = new ToyLoop<DocstringOptions, DocstringEval>("docstring", trainer, o, o.EvalEvery,
            step => Evaluate(model, heldOut, step), _ => false, int.MaxValue);
        var (curve, final, _, stopped) = run.Run(report, onEval, stop, checkpoints, saved => saved with { Steps = 0 });
        return new DocstringResult(model, final, curve, wall.Elapsed, stopped);
    }

    // one batch in a random layout; cross-entropy of the name after every :param
    static Tensor Loss(HookedTransformer model, DocstringTask task, DocstringOptions o, Device device)
    {
        int parameters = 2 + task.Rng.NextInt(o.MaxParameters - 1), listed = 1 + task.Rng.NextInt(parameters - 1);
        var prompts = task.PadLeft(task.Prompts(o.BatchSize, parameters, o.MaxDescription, listed, varyDescriptions: true));
        var (tokens, rows, targets) = ParamTargets(task, prompts);
        var logits = model.Forward(tokens.To(device)).Reshape(-1, model.Config.DVocab);   // [batch · pos, vocab]
        return logits.IndexSelect(0, Tensor.FromArray(rows).To(device)).CrossEntropy(targets.To(device));
    }

    /// <summary>
    /// The prompts (of one length) as int32 [n, pos], the flat row (b · pos + t) of every <c>:param</c> token and the
    /// name that follows it, int32 (the answer for the last one).
    /// </summary>
    public static (Tensor Tokens, int[] Rows, Tensor Targets) ParamTargets(DocstringTask task, DocstringPrompt[] prompts)
    {
        int n = prompts.Length, length = prompts[0].Clean.Length, param = task.TokenId(":param");
        var rows = new List<int>();
        var targets = new List<int>();
        for (int b = 0; b < n; b++)
            for (int t = 0; t < length; t++)
                if (prompts[b].Clean[t] == param)
                {
                    rows.Add(b * length + t);
                    targets.Add(t + 1 < length ? prompts[b].Clean[t + 1] : prompts[b].Answer);
                }
        return (DocstringTask.Stack(prompts), [.. rows], Tensor.FromArray(targets.ToArray()));
    }

    /// <summary>
    /// <paramref name="n"/> prompts in the held-out layout: <see cref="DocstringOptions.EvalParameters"/> parameters,
    /// <see cref="DocstringOptions.EvalListed"/> listed, <see cref="DocstringOptions.EvalDescription"/> words a line, padded
    /// on the left to the longest prompt training draws with as many parameters listed (as most training prompts are).
    /// </summary>
    public static DocstringPrompt[] HeldOut(DocstringOptions o, DocstringTask task, int n) =>
        task.PadLeft(task.Prompts(n, o.EvalParameters, o.EvalDescription, o.EvalListed),
            DocstringTask.PromptLengthOf(o.EvalParameters, Math.Max(o.MaxDescription, o.EvalDescription), o.EvalListed));

    /// <summary>The held-out figures of <paramref name="model"/> on <paramref name="prompts"/> (one layout).</summary>
    public static DocstringEval Evaluate(HookedTransformer model, DocstringPrompt[] prompts, int step = 0)
    {
        using var _ = GradMode.NoGrad();
        bool training = model.Training;
        model.Eval();
        int n = prompts.Length, length = prompts[0].Clean.Length;
        var device = model.Device;
        var tokens = DocstringTask.Stack(prompts).To(device);
        var last = model.Forward(tokens).Select(1, length - 1);                            // [n, vocab]
        var answers = Tensor.FromArray(prompts.Select(p => p.Answer).ToArray());
        double loss = last.CrossEntropy(answers.To(device)).Item();
        var logits = last.To(DType.Float64).To(Device.Cpu).ToDoubleArray();
        int vocab = model.Config.DVocab, top = 0, amongParams = 0;
        double diff = 0;
        for (int b = 0; b < n; b++)
        {
            var row = logits.AsSpan(b * vocab, vocab);
            var p = prompts[b];
            int best = 0;
            for (int v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
            top += best == p.Answer ? 1 : 0;
            bool beatsAll = true;
            foreach (int d in p.Distractors) beatsAll &= row[d] < row[p.Answer];
            amongParams += beatsAll ? 1 : 0;
            diff += row[p.Answer] - row[p.LastListed];
        }
        if (training) model.Train();
        return new DocstringEval(step, loss, (double)top / n, (double)amongParams / n, diff / n);
    }
}
