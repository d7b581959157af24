using Interp.Optim;
using Interp.Transformers;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench gpt-step [reps] [--parts]`: where the side-by-side toy GPT's step (4 layers, d_model 256, batch 8 x 128) spends
/// its time, piece by piece: one block's LayerNorm, attention, MLP and GELU, the unembedding and the loss, forward and
/// backward alone (wall ms, min of reps after 40 warm-up calls), then the whole forward, backward and AdamW step, and
/// what a steady-state step costs in CPU time, page faults and full collections (`--parts`: the pieces only).
/// </summary>
public static class GptStep
{
    public static void Run(string[] args)
    {
        int reps = args.Length > 0 && int.TryParse(args[0], out int given) ? given : 10;
        bool partsOnly = args.Contains("--parts");
        var cfg = SideBySide.Workloads.GptConfig;
        var model = new HookedTransformer(cfg);
        var gen = new Generator(2);
        var tokens = Tensor.RandInt(0, cfg.DVocab, [8, cfg.NCtx + 1], gen);
        var input = tokens.Narrow(1, 0, cfg.NCtx).Contiguous();
        var target = tokens.Narrow(1, 1, cfg.NCtx).Contiguous().Reshape(-1);
        var block = model.Blocks[0];
        var resid = (Tensor.Randn([8, cfg.NCtx, cfg.DModel], gen)).RequiresGrad_();
        var normed = block.Ln1!.Forward(resid).Detach().RequiresGrad_();
        var pre = (Tensor.Randn([8, cfg.NCtx, cfg.DMlp], gen)).RequiresGrad_();
        var logits = model.Forward(input).Detach().Reshape(-1, cfg.DVocab).RequiresGrad_();
        Timing.ForwardBackward("layer norm", () => block.Ln1.Forward(resid), reps);
        Timing.ForwardBackward("attention", () => block.Attn.Forward(normed, normed), reps);
        Timing.ForwardBackward("mlp", () => block.Mlp!.Forward(normed), reps);
        Timing.ForwardBackward("gelu [8,128,1024]", () => pre.Gelu(), reps);
        Timing.ForwardBackward("unembed", () => model.Unembed.Forward(normed, model.Embed), reps);
        Timing.ForwardBackward("cross-entropy", () => logits.CrossEntropy(target), reps);
        if (partsOnly) return;

        var opt = new AdamW(model.Parameters(), lr: 1e-3);
        Tensor Loss() => model.Forward(input).Reshape(-1, cfg.DVocab).CrossEntropy(target);
        // a no-op hook on every hook_pattern makes attention take its op-by-op path (scores and pattern materialised)
        IDisposable[] Hooked() => Enumerable.Range(0, cfg.NLayers)
            .Select(l => model.HookPoints[$"blocks.{l}.attn.hook_pattern"].AddForwardHook((a, _) => null)).ToArray();
        foreach (var path in new[] { "fused attention", "hooked attention", "fused attention" })
        {
            var hooks = path.StartsWith("hooked") ? Hooked() : [];
            var ms = Timing.MinLaps(reps, lap =>
            {
                var loss = Loss();
                lap();
                loss.Backward();
                lap();
                opt.Step();
                lap();
                opt.ZeroGrad();
            });
            var (fwd, bwd, step) = (ms[0], ms[1], ms[2]);
            foreach (var h in hooks) h.Dispose();
            Console.WriteLine($"{"model, " + path,-26} forward {fwd,7:F2} ms, backward {bwd,7:F2} ms, adamw {step,6:F2} ms (min of {reps})");
        }

        // what a steady-state step costs beyond its arithmetic: fresh memory (page faults) and collections
        long faults0 = ProcessStats.MinorFaults(), gcs0 = GC.CollectionCount(2);
        var pause0 = GC.GetTotalPauseDuration();
        double cpu0 = CpuClock.ProcessMs();
        for (int r = 0; r < reps; r++)
        {
            Loss().Backward();
            opt.Step();
            opt.ZeroGrad();
        }
        Console.WriteLine($"steady-state step: {(CpuClock.ProcessMs() - cpu0) / reps:F1} ms CPU, {(ProcessStats.MinorFaults() - faults0) / reps} minor faults, " +
                          $"{(GC.CollectionCount(2) - gcs0) / (double)reps:F1} full collections pausing {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / reps:F2} ms (mean of {reps})");
    }
}
