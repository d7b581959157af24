using Interp.Optim;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench code-lm-step [reps] [--model NAME] [--parts]`: one training step of the code-LM models (`interp case
/// code-lm`'s default config: d_model 128, 4 heads, context 256, vocabulary 4,096, batch 8) on random token ids: its
/// pieces forward and backward (embedding, one block's LayerNorm and attention, the unembedding, the cross-entropy; wall
/// ms, min of reps), then the whole step's forward, backward and AdamW (min of reps) and its median wall and CPU ms
/// with the tokens per second that gives. Without --model, each of the three models in turn.
/// </summary>
public static class CodeLmStep
{
    public static void Run(string[] args)
    {
        int reps = args.Length > 0 && int.TryParse(args[0], out int given) ? given : 10;
        int at = Array.IndexOf(args, "--model");
        var models = at >= 0 ? [args[at + 1]] : CodeLmOptions.Models;
        foreach (var name in models) RunOne(new CodeLmOptions(Model: name), reps, args.Contains("--parts"));
    }

    static void RunOne(CodeLmOptions o, int reps, bool parts)
    {
        var cfg = o.ModelConfig;
        var model = new HookedTransformer(cfg);
        var gen = new Generator(2);
        var tokens = Tensor.RandInt(0, cfg.DVocab, [o.BatchSize, o.Context + 1], gen);
        Console.WriteLine($"{o.Model}: {Environment.ProcessorCount} processors");
        if (parts)
        {
            var input = tokens.Narrow(1, 0, o.Context).Contiguous();
            var target = tokens.Narrow(1, 1, o.Context).Contiguous().Reshape(-1);
            var block = model.Blocks[0];
            var resid = Tensor.Randn([o.BatchSize, o.Context, cfg.DModel], gen).RequiresGrad_();
            var normed = block.Ln1!.Forward(resid).Detach().RequiresGrad_();
            var logits = model.Forward(input).Detach().Reshape(-1, cfg.DVocab).RequiresGrad_();
            Timing.ForwardBackward("  embed", () => model.Embed.Forward(input), reps, warmup: 10);
            Timing.ForwardBackward("  layer norm", () => block.Ln1.Forward(resid), reps, warmup: 10);
            Timing.ForwardBackward("  attention", () => block.Attn.Forward(normed, normed), reps, warmup: 10);
            Timing.ForwardBackward("  unembed", () => model.Unembed.Forward(normed, model.Embed), reps, warmup: 10);
            Timing.ForwardBackward("  cross-entropy", () => logits.CrossEntropy(target), reps, warmup: 10);
        }
        var opt = new AdamW(model.Parameters(), o.LearningRate, weightDecay: o.WeightDecay);
        void Step(Action lap)
        {
            var loss = ToyModels.NextTokenLoss(model, tokens);
            lap();
            loss.Backward();
            lap();
            opt.Step();
            lap();
            opt.ZeroGrad();
        }
        var ms = Timing.MinLaps(reps, Step, warmup: 10);
        Console.WriteLine($"  step: forward {ms[0],7:F2} ms, backward {ms[1],7:F2} ms, adamw {ms[2],6:F2} ms (min of {reps})");
        long faults0 = ProcessStats.MinorFaults();
        var (wall, cpu) = Timing.Median(reps, () => Step(() => { }), warmup: 0);
        Console.WriteLine($"  step: {wall:F1} ms wall (median of {reps}), {cpu:F1} ms CPU, {o.TokensPerStep / wall * 1e3:F0} tokens/s, " +
                          $"{(ProcessStats.MinorFaults() - faults0) / reps} minor faults");
    }
}
