using System.Diagnostics;
using Interp.Autograd;
using Interp.Nn;
using Interp.Optim;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Analysis.Cases;

/// <summary>
/// How to retrain the EIS VII challenge-2 transformer. The defaults are the challenge's model and recipe (Nanda's
/// grokking code as the challenge configures it): 1 layer, d_model 128, 8 heads of 16, ReLU MLP 1024, no LayerNorm, no
/// attention or unembed biases, learned positions, causal attention, vocabulary p + 1 (token p is <c>=</c>), Nanda's
/// initialisation (<see cref="Eis7Transformer.GrokkingInit"/>); full-batch AdamW (lr 5e-4, betas 0.9/0.98, weight
/// decay 1) whose rate ramps as min(step / <see cref="WarmupSteps"/>, 1) (PyTorch's LambdaLR: 0 at the first step),
/// 5,000 steps, the cross-entropy over the whole vocabulary in float64, on the challenge's own split
/// (<see cref="Eis7Transformer.ChallengeOrder"/>). <see cref="Split"/> "seeded" draws the split from <see cref="Seed"/>
/// instead; <see cref="Init"/> "transformer-lens" uses TransformerConfig's init; <see cref="InitFrom"/> starts from the
/// weights in a safetensors file instead (TransformerLens's names, e.g. PyTorch's own initial weights written by
/// bench/peers/eis7_grokking.py). <see cref="MaxPairs"/> restricts the run to the first that many pairs of the split's
/// order (for quick checks). <see cref="Stop"/> ends the run early by a rule that reads training data only
/// (<see cref="Eis7TransformerStop"/>: "fitted", "validation"; "none" runs every step), with <see cref="Patience"/>
/// (null: the rule's default) and, for "validation", the <see cref="ValidationFraction"/> of the train half held out.
/// </summary>
public sealed record Eis7TransformerOptions(
    int Steps = 5000, ulong Seed = 0, double TrainFraction = 0.5, int DModel = 128, int NHeads = 8, int DHead = 16, int DMlp = 1024,
    double LearningRate = 5e-4, double WeightDecay = 1.0, int WarmupSteps = 10, int EvalEvery = 500, int? MaxPairs = null,
    string Split = "challenge", string Init = "grokking", string? InitFrom = null,
    string Stop = "none", int? Patience = null, double ValidationFraction = 0.1)
{
    public static readonly string[] Splits = ["challenge", "seeded"];
    public static readonly string[] Inits = ["grokking", "transformer-lens"];

    public TransformerConfig ModelConfig(int p) => new()
    {
        NLayers = 1, DModel = DModel, NHeads = NHeads, DHead = DHead, DMlp = DMlp, DVocab = p + 1, NCtx = 3,
        ActFn = "relu", Normalization = "none", PositionalEmbedding = "standard", UseAttnBias = false, UseUnembedBias = false,
        UseAttnResult = false, Seed = Seed,
    };

    public void Validate()
    {
        if (Steps <= 0) throw new ArgumentException($"eis7 transformer: steps must be positive, got {Steps}");
        if (!(TrainFraction > 0 && TrainFraction < 1)) throw new ArgumentException($"eis7 transformer: train fraction must lie in (0, 1), got {TrainFraction}");
        if (WarmupSteps < 0) throw new ArgumentException($"eis7 transformer: warm-up steps must be non-negative, got {WarmupSteps}");
        if (EvalEvery <= 0) throw new ArgumentException($"eis7 transformer: eval interval must be positive, got {EvalEvery}");
        if (MaxPairs is int m && m < 4) throw new ArgumentException($"eis7 transformer: max pairs must be at least 4, got {m}");
        if (!Splits.Contains(Split)) throw new ArgumentException($"eis7 transformer: split must be one of {string.Join(", ", Splits)}, got \"{Split}\"");
        if (!Inits.Contains(Init)) throw new ArgumentException($"eis7 transformer: init must be one of {string.Join(", ", Inits)}, got \"{Init}\"");
        if (!Eis7TransformerStop.Rules.Contains(Stop)) throw new ArgumentException($"eis7 transformer: stop must be one of {string.Join(", ", Eis7TransformerStop.Rules)}, got \"{Stop}\"");
        if (Patience is int n && n < 0) throw new ArgumentException($"eis7 transformer: patience must be non-negative, got {n}");
        if (!(ValidationFraction > 0 && ValidationFraction < 1)) throw new ArgumentException($"eis7 transformer: validation fraction must lie in (0, 1), got {ValidationFraction}");
        if (InitFrom is string file && !File.Exists(file)) throw new FileNotFoundException($"eis7 transformer: initial weights '{file}' not found", file);
    }
}

/// <summary>One evaluation: the train pairs trained on, the test half, and the validation slice (NaN without one).</summary>
public readonly record struct Eis7Eval(int Step, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy,
    double ValidationLoss = double.NaN, double ValidationAccuracy = double.NaN);

/// <summary>
/// A trained model, its split (pair indices x·p + y: the pairs trained on, the test half, and the validation slice held
/// out of the train half, empty unless the validation rule), its accuracy curve and the wall time of the training.
/// <see cref="Final"/> is the evaluation of the model kept: the last, or the lowest validation loss under the validation rule.
/// </summary>
public sealed record Eis7TransformerRun(
    HookedTransformer Model, Eis7TransformerOptions Options, int[] TrainPairs, int[] TestPairs, IReadOnlyList<Eis7Eval> Curve, TimeSpan Wall,
    int[]? ValidationPairs = null)
{
    public Eis7Eval Final => Curve[Eis7TransformerStop.KeptIndex(Curve, Options)];

    /// <summary>The step of the last evaluation, where training ended.</summary>
    public int StepsRun => Curve[^1].Step;
}

/// <summary>
/// EIS VII challenge 2 (Casper, 2023): a 1-layer transformer reads <c>x y =</c> and predicts, at <c>=</c>, a secret
/// binary label of the pair as the token 0 or 1. The model's label is the token with the larger logit of the two (as
/// the challenge reads its model); the training loss is the cross-entropy over the whole vocabulary (Nanda's grokking
/// code, which the challenge adapts).
/// </summary>
public static class Eis7Transformer
{
    /// <summary>Tokens int32 [n, 3] (x, y, =) of the given pair indices x·p + y.</summary>
    public static Tensor Tokens(int[] pairs, int p)
    {
        var t = new int[pairs.Length * 3];
        for (int i = 0; i < pairs.Length; i++) (t[3 * i], t[3 * i + 1], t[3 * i + 2]) = (pairs[i] / p, pairs[i] % p, p);
        return Tensor.FromArray(t, [pairs.Length, 3]);
    }

    /// <summary>Every pair x·p + y in order, 0..p²−1.</summary>
    public static int[] AllPairs(int p) => Enumerable.Range(0, p * p).ToArray();

    /// <summary>
    /// The split: an order of the pairs (the challenge's, or a seeded random permutation), cut to MaxPairs when set;
    /// the first TrainFraction of it trains. The challenge's cut is int(fraction · n), Python's floor (6,384 of 12,769).
    /// </summary>
    public static (int[] Train, int[] Test) Split(int p, Eis7TransformerOptions o)
    {
        var order = o.Split == "challenge" ? ChallengeOrder(p) : Trainer.Permutation(p * p, new Generator(o.Seed ^ 0x5EED_E157UL));
        if (o.MaxPairs is int m && m < order.Length) order = order[..m];
        int nTrain = Math.Clamp(o.Split == "challenge" ? (int)(o.TrainFraction * order.Length) : (int)Math.Round(o.TrainFraction * order.Length), 1, order.Length - 1);
        return (order[..nTrain], order[nTrain..]);
    }

    /// <summary>The pairs trained on, the validation slice (empty unless the validation rule) and the test half.</summary>
    public static (int[] Train, int[] Validation, int[] Test) Pairs(int p, Eis7TransformerOptions o)
    {
        var (half, test) = Split(p, o);
        var (train, validation) = Eis7TransformerStop.HoldOut(half, o);
        return (train, validation, test);
    }

    /// <summary>
    /// The challenge's order of the pairs, as its script (Nanda's gen_train_test) makes it: the pairs listed with x outer
    /// and y inner, then CPython's <c>random.seed(0)</c> and <c>random.shuffle</c>. Returns the pair indices x·p + y.
    /// </summary>
    public static int[] ChallengeOrder(int p)
    {
        var order = AllPairs(p);
        new PythonRandom(0).Shuffle(order);
        return order;
    }

    /// <summary>
    /// Nanda's initialisation in the grokking code the challenge trains with, drawn as that code draws it after
    /// <c>torch.manual_seed(seed)</c> (<see cref="TorchRandom"/>), so the weights are PyTorch's for the same seed, bit for
    /// bit: each weight is <c>torch.randn(shape) / sqrt(d_model)</c> (the unembedding <c>/ sqrt(d_vocab)</c>), in the
    /// order and layouts his modules create them — W_E [d_model, d_vocab], W_pos [n_ctx, d_model], then per block W_K,
    /// W_Q, W_V [heads, d_head, d_model], W_O [d_model, heads · d_head], W_in [d_mlp, d_model], W_out [d_model, d_mlp],
    /// and W_U [d_model, d_vocab] — then moved into TransformerLens's layouts. Biases are zero.
    /// </summary>
    public static void GrokkingInit(HookedTransformer model, ulong seed)
    {
        var c = model.Config;
        var rng = new TorchRandom(seed);
        Tensor Draw(int sqrtOf, params int[] shape) => rng.Randn(shape) / Math.Sqrt(sqrtOf);   // torch.randn(shape) / math.sqrt(sqrtOf)
        var weights = new Dictionary<string, Tensor>
        {
            ["embed.W_E"] = Draw(c.DModel, c.DModel, c.DVocab).T,
            ["pos_embed.W_pos"] = Draw(c.DModel, c.NCtx, c.DModel),
        };
        for (int l = 0; l < c.NLayers; l++)
        {
            string b = $"blocks.{l}.";
            weights[b + "attn.W_K"] = Draw(c.DModel, c.NHeads, c.DHead, c.DModel).Transpose(1, 2);
            weights[b + "attn.W_Q"] = Draw(c.DModel, c.NHeads, c.DHead, c.DModel).Transpose(1, 2);
            weights[b + "attn.W_V"] = Draw(c.DModel, c.NHeads, c.DHead, c.DModel).Transpose(1, 2);
            weights[b + "attn.W_O"] = Draw(c.DModel, c.DModel, c.NHeads * c.DHead).T.Reshape(c.NHeads, c.DHead, c.DModel);
            weights[b + "mlp.W_in"] = Draw(c.DModel, c.DMlp, c.DModel).T;
            weights[b + "mlp.W_out"] = Draw(c.DModel, c.DModel, c.DMlp).T;
        }
        weights["unembed.W_U"] = Draw(c.DVocab, c.DModel, c.DVocab);
        foreach (var (name, param) in model.NamedParameters())
            if (name.Contains(".b_")) weights[name] = Tensor.Zeros(param.ShapeArray, param.DType);
        model.LoadStateDict(weights);   // a parameter Nanda's model lacks (a LayerNorm) is named as missing
    }

    /// <summary>Logits at the <c>=</c> position over the whole vocabulary, [n, p + 1].</summary>
    public static Tensor AnswerLogits(HookedTransformer model, Tensor tokens) => AnswerPositionForward.Logits(model, tokens);

    /// <summary>The challenge's loss: the cross-entropy over the whole vocabulary, in float64 (Nanda's cross_entropy_high_precision).</summary>
    public static Tensor Loss(Tensor logits, Tensor targets) => logits.To(DType.Float64).CrossEntropy(targets);

    /// <summary>
    /// Trains the model on the labels; <paramref name="report"/> sees each step, <paramref name="onEval"/> each evaluation.
    /// The stop rule (<see cref="Eis7TransformerStop"/>) may end it early; the validation rule returns its best checkpoint.
    /// </summary>
    public static Eis7TransformerRun Train(Eis7Labels labels, Eis7TransformerOptions o, Action<StepReport>? report = null,
        Action<Eis7Eval>? onEval = null, Func<bool>? stop = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        o.Validate();
        var wall = Stopwatch.StartNew();
        int p = labels.Size;
        var (train, validation, test) = Pairs(p, o);
        var (trainX, trainY) = (Tokens(train, p), Targets(labels, train));
        var (testX, testY) = (Tokens(test, p), Targets(labels, test));
        var (validX, validY) = (Tokens(validation, p), Targets(labels, validation));
        var model = new HookedTransformer(o.ModelConfig(p));
        if (o.InitFrom is string file) model.LoadSafeTensors(file);
        else if (o.Init == "grokking") GrokkingInit(model, o.Seed);
        var optimizer = new AdamW(model.Parameters(), o.LearningRate, betas: (0.9, 0.98), weightDecay: o.WeightDecay);
        // full batch: one "epoch" per step over all training rows (their order does not change the mean loss)
        var trainer = new Trainer(model, optimizer, train.Length, _ => Loss(AnswerLogits(model, trainX), trainY),
            new TrainerOptions(o.Steps, train.Length, o.Seed, step => o.WarmupSteps == 0 ? 1 : Math.Min((double)step / o.WarmupSteps, 1)));
        var curve = new List<Eis7Eval>();
        Dictionary<string, Tensor>? kept = null;
        while (!trainer.Done && stop?.Invoke() != true)
        {
            trainer.Run(maxSteps: Math.Min(o.EvalEvery, trainer.TotalSteps - trainer.Step), stop: stop, report: report);
            var e = Evaluate(model, (trainX, trainY), (testX, testY), (validX, validY), trainer.Step);
            curve.Add(e);
            onEval?.Invoke(e);
            if (o.Stop == "validation" && Eis7TransformerStop.KeptIndex(curve, o) == curve.Count - 1)
                kept = model.StateDict().ToDictionary(w => w.Key, w => w.Value.Detach().Clone());
            if (Eis7TransformerStop.ShouldStop(curve, o)) break;
        }
        if (kept is not null) model.LoadStateDict(kept);
        model.Eval();
        return new Eis7TransformerRun(model, o, train, test, curve, wall.Elapsed, validation);
    }

    /// <summary>The model's label (1 where logit[1] &gt; logit[0]) for every pair, [p, p].</summary>
    public static int[,] PredictGrid(HookedTransformer model)
    {
        int p = model.Config.DVocab - 1;
        var diff = LogitDifference(model, Tokens(AllPairs(p), p));
        var grid = new int[p, p];
        for (int i = 0; i < diff.Length; i++) grid[i / p, i % p] = diff[i] > 0 ? 1 : 0;
        return grid;
    }

    /// <summary>logit[1] − logit[0] at <c>=</c> for each row of tokens [n, 3].</summary>
    public static double[] LogitDifference(HookedTransformer model, Tensor tokens)
    {
        using var _ = GradMode.NoGrad();
        var logits = model.Forward(tokens).Select(1, 2);
        return (logits.Select(1, 1) - logits.Select(1, 0)).To(DType.Float64).ToDoubleArray();
    }

    /// <summary>The labels of the pairs (index x·p + y), as the targets of <see cref="Loss"/>.</summary>
    internal static Tensor Targets(Eis7Labels labels, int[] pairs)
    {
        int p = labels.Size;
        return Tensor.FromArray(pairs.Select(i => labels[i / p, i % p]).ToArray());
    }

    static Eis7Eval Evaluate(HookedTransformer model, (Tensor X, Tensor Y) train, (Tensor X, Tensor Y) test, (Tensor X, Tensor Y) validation, int step)
    {
        using var _ = GradMode.NoGrad();
        var (trainLoss, trainAcc) = LossAndAccuracy(model, train.X, train.Y);
        var (testLoss, testAcc) = LossAndAccuracy(model, test.X, test.Y);
        var (validLoss, validAcc) = LossAndAccuracy(model, validation.X, validation.Y);
        return new Eis7Eval(step, trainLoss, trainAcc, testLoss, testAcc, validLoss, validAcc);
    }

    /// <summary>The loss and the fraction of rows whose sign of logit 1 − logit 0 is their label.</summary>
    internal static (double Loss, double Accuracy) LossAndAccuracy(HookedTransformer model, Tensor x, Tensor y)
    {
        if (x.Size(0) == 0) return (double.NaN, double.NaN);
        var logits = AnswerLogits(model, x);
        var diff = (logits.Select(1, 1) - logits.Select(1, 0)).ToCpuContiguous().To(DType.Float64).ToDoubleArray();
        var labels = y.ToIntArray();
        int correct = labels.Where((l, i) => (diff[i] > 0 ? 1 : 0) == l).Count();
        return (Loss(logits, y).Item(), (double)correct / labels.Length);
    }
}
