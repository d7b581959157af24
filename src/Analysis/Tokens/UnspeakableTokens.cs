using Interp.Autograd;
using Interp.Optim;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Analysis.Tokens;

/// <summary>Adam's steps and rate, how many target tokens are optimised together, and the start vectors' std and seed.</summary>
public sealed record UnspeakableOptions
{
    public int Steps { get; init; } = 300;
    public double LearningRate { get; init; } = 0.1;
    /// <summary>Target tokens optimised together (one free vector each).</summary>
    public int BatchSize { get; init; } = 256;
    public double InitStd { get; init; } = 1;
    public ulong Seed { get; init; }
    /// <summary>Called after every step of every batch ("loss" = mean −log p(target)).</summary>
    public Action<StepReport>? Progress { get; init; }
}

/// <summary>
/// One token's result: whether the optimised vector made it the argmax, its final probability, and the margin
/// logit(token) − max over the other tokens' logits (positive exactly when it is the argmax).
/// </summary>
public sealed record TokenReach(int Token, bool CanBeArgmax, double Probability, double Margin);

/// <summary>
/// "Unspeakable" tokens: for each token, optimise a free vector to maximise the token's probability and report
/// whether it can be made the argmax at all. Through the final residual stream the logits are
/// unembed(ln_final(r)): without the norm a token can win iff its unembedding column (with its bias) is a vertex of
/// the convex hull of all columns — a column inside the hull never beats the best of the columns it mixes. Through
/// an input embedding the whole network lies between the vector and the logits.
/// A token reported reachable is certified (the vector exists); one reported unreachable was not reached in the
/// given steps.
/// </summary>
public static class UnspeakableTokens
{
    /// <summary>Optimises a final residual vector r [d_model] per token: logits = unembed(ln_final(r)).</summary>
    public static TokenReach[] ViaFinalResidual(HookedTransformer model, IReadOnlyList<int>? tokens = null, UnspeakableOptions? options = null) =>
        Frozen(model, () => Optimise(r => model.Unembed.Forward(model.LnFinal?.Forward(r) ?? r, model.Embed),
            model.Config.DModel, model.Config.DVocab, model.Embed.W_E.DType, model.Embed.W_E.Device, tokens, options));

    /// <summary>
    /// Optimises the input embedding of the last position (hook_embed replaced there) after the token ids of
    /// <paramref name="prompt"/> (int32 [P], may be empty), maximising the probability of each token as the next token.
    /// </summary>
    public static TokenReach[] ViaInputEmbedding(HookedTransformer model, int[] prompt, IReadOnlyList<int>? tokens = null, UnspeakableOptions? options = null)
    {
        int p = prompt.Length + 1;
        if (p > model.Config.NCtx) throw new ArgumentException($"unspeakable tokens: a prompt of {prompt.Length} tokens plus the free position exceeds n_ctx = {model.Config.NCtx}");
        foreach (int id in prompt)
            if ((uint)id >= (uint)model.Config.DVocab) throw new ArgumentException($"unspeakable tokens: prompt token {id} is outside the vocabulary [0, {model.Config.DVocab})");
        return Frozen(model, () => Optimise(e =>
        {
            int b = e.Size(0);
            var ids = Tensor.FromArray(Enumerable.Range(0, b).SelectMany(_ => prompt.Append(0)).ToArray(), [b, p], e.Device);
            ForwardHook replaceLast = (embed, _) =>
                p == 1 ? e.Unsqueeze(1) : Tensor.Cat([embed.Narrow(1, 0, p - 1), e.Unsqueeze(1)], 1);
            return model.RunWithHooks(ids, [("hook_embed", replaceLast)]).Select(1, p - 1);
        }, model.Config.DModel, model.Config.DVocab, model.Embed.W_E.DType, model.Embed.W_E.Device, tokens, options));
    }

    /// <summary>
    /// The core: for every target token t, a free vector v_t [width] ascends log softmax(logitsOf(v))[t] with Adam;
    /// <paramref name="logitsOf"/> maps [B, width] to [B, vocab].
    /// </summary>
    public static TokenReach[] Optimise(Func<Tensor, Tensor> logitsOf, int width, int vocab, DType dtype, Device device, IReadOnlyList<int>? tokens = null, UnspeakableOptions? options = null)
    {
        options ??= new UnspeakableOptions();
        if (options.Steps < 0 || options.BatchSize <= 0)
            throw new ArgumentException($"unspeakable tokens: steps must be ≥ 0 and batch size positive, got {options.Steps} and {options.BatchSize}");
        var targets = (tokens ?? Enumerable.Range(0, vocab).ToArray()).ToArray();
        foreach (int t in targets)
            if ((uint)t >= (uint)vocab) throw new ArgumentException($"unspeakable tokens: token {t} is outside the vocabulary [0, {vocab})");
        var gen = new Generator(options.Seed);
        var results = new List<TokenReach>(targets.Length);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int batches = (targets.Length + options.BatchSize - 1) / options.BatchSize, done = 0;
        foreach (var chunk in targets.Chunk(options.BatchSize))
        {
            var index = Tensor.FromArray(chunk, [chunk.Length, 1], device);
            var v = Tensor.Randn([chunk.Length, width], gen, dtype, device) * options.InitStd;
            v.RequiresGrad = true;
            var adam = new Adam([v], options.LearningRate);
            using (GradMode.EnableGrad())
                for (int step = 1; step <= options.Steps; step++)
                {
                    int global = done * options.Steps + step;
                    double lossValue = Divergence.AtStep("unspeakable tokens", global, () =>
                    {
                        var loss = -logitsOf(v).LogSoftmax(-1).Gather(1, index).Mean();
                        double value = Divergence.CheckLoss("unspeakable tokens", global, loss.Item());
                        adam.ZeroGrad();
                        loss.Backward();
                        adam.Step();
                        Divergence.CheckParameters("unspeakable tokens", global, [("the free vectors", v)]);
                        return value;
                    });
                    options.Progress?.Invoke(new StepReport(global, batches * options.Steps, done + 1, batches, lossValue, (long)global * chunk.Length, global, clock.Elapsed));
                }
            using (GradMode.NoGrad()) results.AddRange(Score(logitsOf(v), chunk));
            done++;
        }
        return results.ToArray();
    }

    static IEnumerable<TokenReach> Score(Tensor logits, int[] chunk)
    {
        int vocab = logits.Size(1);
        var l = logits.To(DType.Float64).ToDoubleArray();
        var p = logits.To(DType.Float64).Softmax(-1).ToDoubleArray();
        for (int i = 0; i < chunk.Length; i++)
        {
            int t = chunk[i];
            double best = double.NegativeInfinity;
            for (int j = 0; j < vocab; j++) if (j != t) best = Math.Max(best, l[i * vocab + j]);
            double margin = l[i * vocab + t] - best;
            yield return new TokenReach(t, margin > 0, p[i * vocab + t], margin);
        }
    }

    /// <summary>Runs <paramref name="work"/> with the model's weights not requiring grad (restored afterwards).</summary>
    static T Frozen<T>(HookedTransformer model, Func<T> work)
    {
        var frozen = model.Parameters().Where(q => q.RequiresGrad).ToList();
        foreach (var q in frozen) q.RequiresGrad = false;
        try { return work(); }
        finally { foreach (var q in frozen) q.RequiresGrad = true; }
    }
}
