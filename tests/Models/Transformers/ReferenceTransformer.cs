namespace Interp.Tests.Models.Transformers;

/// <summary>
/// The forward pass of TransformerLens's HookedTransformer over TransformerLens-named weights, written
/// directly with Interp ops: the specification the HookedTransformer must reproduce. LayerNorm
/// everywhere (eps 1e-5), causal attention scaled by 1/sqrt(d_head), gelu_new MLPs.
/// Standard positions are added to the residual stream; shortformer positions only to the q/k inputs.
/// </summary>
public static class ReferenceTransformer
{
    public static Tensor Forward(IReadOnlyDictionary<string, Tensor> p, Tensor ids, int nLayers, bool shortformer = false, bool attnOnly = false)
    {
        int t = ids.Size(1);
        var x = p["embed.W_E"].Embedding(ids);                                   // [batch, pos, d_model]
        var pos = p["pos_embed.W_pos"].Narrow(0, 0, t);                         // [pos, d_model]
        if (!shortformer) x = x + pos;
        var future = Tensor.FromArray(Enumerable.Range(0, t * t).Select(i => i % t > i / t ? 1.0 : 0.0).ToArray(), [t, t]).To(x.DType);
        for (int l = 0; l < nLayers; l++)
        {
            string b = $"blocks.{l}.";
            var a = LayerNorm(x, p, b + "ln1");
            var qkIn = shortformer ? a + pos : a;
            var q = Tensor.Einsum("bpd,hde->bphe", qkIn, p[b + "attn.W_Q"]) + p[b + "attn.b_Q"];
            var k = Tensor.Einsum("bpd,hde->bphe", qkIn, p[b + "attn.W_K"]) + p[b + "attn.b_K"];
            var v = Tensor.Einsum("bpd,hde->bphe", a, p[b + "attn.W_V"]) + p[b + "attn.b_V"];
            var scores = Tensor.Einsum("bqhe,bkhe->bhqk", q, k) / Math.Sqrt(q.Size(-1));
            var pattern = scores.MaskedFill(future, double.NegativeInfinity).Softmax(-1);
            var z = Tensor.Einsum("bhqk,bkhe->bqhe", pattern, v);
            x = x + Tensor.Einsum("bqhe,hed->bqd", z, p[b + "attn.W_O"]) + p[b + "attn.b_O"];
            if (attnOnly) continue;
            var m = LayerNorm(x, p, b + "ln2");
            var hidden = (m.MatMul(p[b + "mlp.W_in"]) + p[b + "mlp.b_in"]).Gelu("tanh");
            x = x + hidden.MatMul(p[b + "mlp.W_out"]) + p[b + "mlp.b_out"];
        }
        x = LayerNorm(x, p, "ln_final");
        return x.MatMul(p["unembed.W_U"]) + p["unembed.b_U"];
    }

    static Tensor LayerNorm(Tensor x, IReadOnlyDictionary<string, Tensor> p, string name) =>
        x.LayerNorm([x.Size(-1)], p[name + ".w"], p[name + ".b"], 1e-5);
}
