namespace Interp.Transformers;

/// <summary>
/// TransformerLens's LayerNorm / LayerNormPre, written out so the scale can be hooked:
/// x ← x − mean(x); scale = √(mean(x²) + ε) (hook_scale, [batch, pos, 1]); y = x / scale, then y·w + b for "LN"
/// (hook_normalized). "LNPre" has no w, b: a model whose LN weights were folded into the next layer.
/// Without a hook on hook_scale nothing observes the scale, and the fused <c>LayerNorm</c> op (one pass forward, one
/// backward) computes the same y; so it does when the only hooks there just look (RunWithCache).
/// </summary>
public sealed class TransformerNorm : HookedModule
{
    readonly double eps;
    readonly HookPoint hookScale, hookNormalized;

    public Tensor? W { get; }
    public Tensor? B { get; }

    public TransformerNorm(TransformerConfig cfg)
    {
        eps = cfg.Eps;
        hookScale = AddHook("hook_scale");
        hookNormalized = AddHook("hook_normalized");
        if (cfg.Normalization == "LN")
        {
            W = RegisterParameter("w", Init.Ones([cfg.DModel], cfg));
            B = RegisterParameter("b", Init.Zeros([cfg.DModel], cfg));
        }
    }

    public Tensor Forward(Tensor x)
    {
        if (hookScale.HasHooks && !hookScale.OnlyObserved) return Stepwise(x);
        // hooks that only look (RunWithCache) see the step-by-step scale; y still comes from the fused op, so a cached
        // run's logits are the forward's to the bit
        if (hookScale.HasHooks) hookScale.Run(Scale(x - x.Mean(-1, keepDim: true)));
        return hookNormalized.Run(x.LayerNorm([x.Size(-1)], W, B, eps));
    }

    Tensor Stepwise(Tensor x)
    {
        x = x - x.Mean(-1, keepDim: true);
        var scale = hookScale.Run(Scale(x));
        var y = x / scale;
        if (W is not null) y = y * W + B!;
        return hookNormalized.Run(y);
    }

    Tensor Scale(Tensor centred) => (centred.Square().Mean(-1, keepDim: true) + eps).Sqrt();
}
