using Interp.Transformers;

namespace Interp.Analysis.Cases;

/// <summary>
/// The logits of a 1-layer transformer (standard positions, no normalisation) at its last position only, computed
/// from the model's own parameters: with causal attention and a single layer, the last position's output depends on
/// the earlier positions only through its attention's keys and values, so the queries, the MLP and the unembedding are
/// needed at one position instead of all of them. Equal to <c>model.Forward(tokens)[:, ^1]</c> (tested), about 3x
/// cheaper for 3-token inputs; hooks are not run. Training uses it; analysis uses the hooked model.
/// </summary>
public static class AnswerPositionForward
{
    /// <summary>tokens int32 [n, pos] → logits [n, d_vocab] at position pos − 1.</summary>
    public static Tensor Logits(HookedTransformer model, Tensor tokens)
    {
        var cfg = model.Config;
        if (cfg.NLayers != 1 || cfg.HasNorm || cfg.Shortformer || cfg.AttnOnly)
            throw new ArgumentException("answer-position forward: needs a 1-layer model with an MLP, standard positions and no normalisation, " +
                $"got {cfg.NLayers} layers, normalization \"{cfg.Normalization}\", positions \"{cfg.PositionalEmbedding}\", d_mlp {cfg.DMlp}");
        if (tokens.Rank != 2 || tokens.Size(1) > cfg.NCtx)
            throw new ArgumentException($"answer-position forward: tokens must be [n, pos ≤ {cfg.NCtx}], got {ShapeUtil.Format(tokens.ShapeArray)}");
        int n = tokens.Size(0), pos = tokens.Size(1), h = cfg.NHeads, e = cfg.DHead, d = cfg.DModel;
        var block = model.Blocks[0];
        var attn = block.Attn;
        var resid = model.Embed.Forward(tokens) + model.PosEmbed.W_pos.Narrow(0, 0, pos);           // [n, pos, d]
        var last = resid.Select(1, pos - 1);                                                          // [n, d]
        var q = Project(last, attn.W_Q, attn.b_Q, h * e).Reshape(n, 1, h, e);
        var k = Project(resid, attn.W_K, attn.b_K, h * e).Reshape(n, pos, h, e);
        var v = Project(resid, attn.W_V, attn.b_V, h * e).Reshape(n, pos, h, e);
        // the last query sees every key: no mask. scores[n, key, h] = q·k / √e, softmax over the keys
        var pattern = ((q * k).Sum(3) * (1 / Math.Sqrt(e))).Softmax(1);                               // [n, pos, h]
        var z = (pattern.Unsqueeze(3) * v).Sum(1);                                                    // [n, h, e]
        var attnOut = z.Reshape(n, h * e).MatMul(attn.W_O.Reshape(h * e, d));
        if (attn.b_O is not null) attnOut = attnOut + attn.b_O;
        var residMid = last + attnOut;
        var mlp = block.Mlp!;
        var post = cfg.ActFn switch
        {
            "relu" => (residMid.MatMul(mlp.W_in) + mlp.b_in).Relu(),
            "gelu" => (residMid.MatMul(mlp.W_in) + mlp.b_in).Gelu("none"),
            _ => (residMid.MatMul(mlp.W_in) + mlp.b_in).Gelu("tanh"),
        };
        var residPost = residMid + post.MatMul(mlp.W_out) + mlp.b_out;
        var logits = residPost.MatMul(model.Unembed.W_U ?? model.Embed.W_E.MT);
        return model.Unembed.b_U is null ? logits : logits + model.Unembed.b_U;
    }

    // x [.., d] · W [h, d, e] → [.., h·e] as one GEMM over the heads side by side
    static Tensor Project(Tensor x, Tensor w, Tensor? b, int he)
    {
        var y = x.MatMul(w.Permute(1, 0, 2).Reshape(w.Size(1), he));
        return b is null ? y : y + b.Reshape(he);
    }
}
