namespace Interp.Transformers;

/// <summary>
/// One residual block (TransformerLens's TransformerBlock, sequential attention then MLP):
/// resid_mid = resid_pre + attn(ln1(resid_pre)), resid_post = resid_mid + mlp(ln2(resid_mid)).
/// Attention-only blocks have no ln2, mlp, hook_resid_mid or hook_mlp_out. For shortformer models the positional
/// embedding is added to ln1's output for the queries and keys only.
/// </summary>
public sealed class TransformerBlock : HookedModule
{
    readonly HookPoint hookResidPre, hookAttnOut, hookResidPost;
    readonly HookPoint? hookResidMid, hookMlpOut;

    public TransformerNorm? Ln1 { get; }
    public Attention Attn { get; }
    public TransformerNorm? Ln2 { get; }
    public TransformerMlp? Mlp { get; }

    public TransformerBlock(TransformerConfig cfg, Generator gen)
    {
        if (cfg.HasNorm) Ln1 = RegisterModule("ln1", new TransformerNorm(cfg));
        if (cfg.HasNorm && !cfg.AttnOnly) Ln2 = RegisterModule("ln2", new TransformerNorm(cfg));
        Attn = RegisterModule("attn", new Attention(cfg, gen));
        if (!cfg.AttnOnly) Mlp = RegisterModule("mlp", new TransformerMlp(cfg, gen));
        hookAttnOut = AddHook("hook_attn_out");
        if (!cfg.AttnOnly) hookMlpOut = AddHook("hook_mlp_out");
        hookResidPre = AddHook("hook_resid_pre");
        if (!cfg.AttnOnly) hookResidMid = AddHook("hook_resid_mid");
        hookResidPost = AddHook("hook_resid_post");
    }

    /// <param name="residPre">[batch, pos, d_model]</param>
    /// <param name="shortformerPos">the positional embedding of shortformer models, else null</param>
    public Tensor Forward(Tensor residPre, Tensor? shortformerPos, KeyValueCacheEntry? past)
    {
        residPre = hookResidPre.Run(residPre);
        var attnIn = Ln1 is null ? residPre : Ln1.Forward(residPre);
        var qkIn = shortformerPos is null ? attnIn : attnIn + shortformerPos;
        var attnOut = hookAttnOut.Run(Attn.Forward(qkIn, attnIn, past));
        if (Mlp is null) return hookResidPost.Run(residPre + attnOut);

        var residMid = hookResidMid!.Run(residPre + attnOut);
        var mlpOut = hookMlpOut!.Run(Mlp.Forward(Ln2 is null ? residMid : Ln2.Forward(residMid)));
        return hookResidPost.Run(residMid + mlpOut);
    }
}
