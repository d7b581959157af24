namespace Interp.Transformers;

/// <summary>pre = x·W_in + b_in (hook_pre), post = act(pre) (hook_post), out = post·W_out + b_out.</summary>
public sealed class TransformerMlp : HookedModule
{
    readonly string actFn;
    readonly HookPoint hookPre, hookPost;

    public Tensor W_in { get; }
    public Tensor b_in { get; }
    public Tensor W_out { get; }
    public Tensor b_out { get; }

    public TransformerMlp(TransformerConfig cfg, Generator gen)
    {
        actFn = cfg.ActFn;
        W_in = RegisterParameter("W_in", Init.Normal([cfg.DModel, cfg.DMlp], cfg, gen));
        b_in = RegisterParameter("b_in", Init.Zeros([cfg.DMlp], cfg));
        W_out = RegisterParameter("W_out", Init.Normal([cfg.DMlp, cfg.DModel], cfg, gen));
        b_out = RegisterParameter("b_out", Init.Zeros([cfg.DModel], cfg));
        hookPre = AddHook("hook_pre");
        hookPost = AddHook("hook_post");
    }

    public Tensor Forward(Tensor x)
    {
        var pre = hookPre.Run(x.MatMul(W_in, b_in));
        var post = hookPost.Run(Activation(pre));
        return post.MatMul(W_out, b_out);
    }

    Tensor Activation(Tensor x) => actFn switch
    {
        "gelu" => x.Gelu("none"),
        "gelu_new" => x.Gelu("tanh"),
        "relu" => x.Relu(),
        _ => throw new InvalidOperationException($"mlp: unknown activation \"{actFn}\""),
    };
}
