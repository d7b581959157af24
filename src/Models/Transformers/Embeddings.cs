namespace Interp.Transformers;

/// <summary>embed.W_E [d_vocab, d_model]: token ids [batch, pos] → [batch, pos, d_model].</summary>
public sealed class Embed : HookedModule
{
    public Tensor W_E { get; }

    public Embed(TransformerConfig cfg, Generator gen) =>
        W_E = RegisterParameter("W_E", Init.Normal([cfg.DVocab, cfg.DModel], cfg, gen));

    public Tensor Forward(Tensor tokens) => W_E.Embedding(tokens);
}

/// <summary>pos_embed.W_pos [n_ctx, d_model]: rows offset..offset+pos, broadcast to [batch, pos, d_model].</summary>
public sealed class PosEmbed : HookedModule
{
    public Tensor W_pos { get; }

    public PosEmbed(TransformerConfig cfg, Generator gen) =>
        W_pos = RegisterParameter("W_pos", Init.Normal([cfg.NCtx, cfg.DModel], cfg, gen));

    public Tensor Forward(int batch, int pos, int offset) =>
        W_pos.Narrow(0, offset, pos).Unsqueeze(0).Expand([batch, pos, W_pos.Size(1)]);
}

/// <summary>unembed.W_U [d_model, d_vocab] and unembed.b_U [d_vocab] (either optional: tied to W_Eᵀ, no bias).</summary>
public sealed class Unembed : HookedModule
{
    public Tensor? W_U { get; }
    public Tensor? b_U { get; }

    public Unembed(TransformerConfig cfg, Generator gen)
    {
        if (!cfg.TiedUnembed) W_U = RegisterParameter("W_U", Init.Normal([cfg.DModel, cfg.DVocab], cfg, gen));
        if (cfg.UseUnembedBias) b_U = RegisterParameter("b_U", Init.Zeros([cfg.DVocab], cfg));
    }

    public Tensor Forward(Tensor x, Embed embed)
    {
        var w = W_U ?? embed.W_E.MT;
        return b_U is null ? x.MatMul(w) : x.MatMul(w, b_U);
    }
}
