using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Neurons;

/// <summary>
/// A transformer as a <see cref="HookedClassifier"/>: its logits at one position of the token sequences are the
/// classes (d_vocab of them). Every hook point is there; the units of a hook [batch, pos, units(, width)] are its axis 2
/// — the neurons of <c>blocks.L.mlp.hook_post</c>, the heads of <c>blocks.L.attn.hook_z</c> — measured at the
/// position (a head's value is the norm of its z there), and ablated at every position. Direct paths (TransformerLens's
/// direct logit attribution, apply_ln_to_stack): neuron n of layer L writes post[n]·W_out[n] into the residual stream
/// and head h writes z[h]·W_O[h]; through the final LayerNorm (centred, divided by its cached scale, times its weight)
/// and W_U, that reaches logit k as a·(W_out[n] − mean(W_out[n]))·diag(w)·W_U[:, k] / scale. The rest of the residual
/// stream (embeddings, other layers, biases) adds the remainder of the logit.
/// </summary>
public static class TransformerClassifier
{
    /// <param name="position">the position whose logits are the classes (from the end with a negative value: −1 the last)</param>
    public static HookedClassifier Of(HookedTransformer model, int position)
    {
        model.Eval();
        var cfg = model.Config;
        if (position < -cfg.NCtx || position >= cfg.NCtx)
            throw new ArgumentException($"transformer classifier: position {position} is outside the context n_ctx = {cfg.NCtx}");
        int At(Tensor a) => position >= 0 ? position : a.Size(1) + position;
        var device = model.Embed.W_E.Device;
        return new HookedClassifier("transformer", model.HookPoints.Keys.ToList(), (tokens, edits) =>
        {
            var hooks = edits.Select(kv => ((HookFilter)kv.Key, (ForwardHook)((a, _) => kv.Value(a))));
            var logits = model.RunWithHooks(tokens.To(device), hooks);
            int p = At(logits);
            if (p < 0 || p >= logits.Size(1)) throw new ArgumentException($"transformer classifier: position {position} is outside the {logits.Size(1)} tokens");
            return logits.Select(1, p);
        }, hook => Readout(model, hook))
        {
            UnitAxisOf = hook => UnitAxis(model, hook),
            AtPosition = (hook, a) =>
            {
                UnitAxis(model, hook);
                return a.Select(1, At(a));
            },
            PerUnit = a => a.Rank switch
            {
                2 => a,
                3 => a.Square().Sum(2).Sqrt(),   // a head's z: its norm
                _ => throw new ArgumentException($"transformer units: expected [batch, units] or [batch, heads, d_head] at the position, got {ShapeUtil.Format(a.ShapeArray)}"),
            },
        };
    }

    static int UnitAxis(HookedTransformer model, string hook) =>
        hook.EndsWith("hook_pattern") || hook.EndsWith("hook_attn_scores")
            ? throw new ArgumentException($"transformer units: {hook} is [batch, head, query, key]; to treat heads as units use their {hook[..hook.LastIndexOf('.')]}.hook_z")
            : 2;

    /// <summary>The direct path of blocks.L.mlp.hook_post (neurons) or blocks.L.attn.hook_z (heads) to the logits, else null.</summary>
    public static DirectPath? Readout(HookedTransformer model, string hook)
    {
        var parts = hook.Split('.');
        if (parts is not ["blocks", var layerText, var module, var name] || !int.TryParse(layerText, out int layer)) return null;
        Tensor writes;   // [units·width, d_model]: what each unit's activation writes into the residual stream
        string through;
        using (GradMode.NoGrad())
        {
            var block = model.Blocks[layer];
            if (module == "mlp" && name == "hook_post" && block.Mlp is { } mlp) (writes, through) = (mlp.W_out, $"blocks.{layer}.mlp.W_out");
            else if (module == "attn" && name == "hook_z") (writes, through) = (block.Attn.W_O.Reshape(-1, model.Config.DModel), $"blocks.{layer}.attn.W_O");
            else return null;
            writes = writes.To(DType.Float64);
            var unembed = (model.Unembed.W_U ?? model.Embed.W_E.MT).To(DType.Float64);   // [d_model, d_vocab]
            var lnWeight = model.LnFinal?.W?.To(DType.Float64);
            if (model.Config.HasNorm) writes = writes - writes.Mean(-1, keepDim: true);   // LayerNorm centres what it reads
            if (lnWeight is not null) writes = writes * lnWeight;
            var bias = model.Unembed.b_U?.To(DType.Float64) ?? Tensor.Zeros([model.Config.DVocab], DType.Float64, unembed.Device);
            if (model.LnFinal?.B is { } lnBias) bias = bias + lnBias.To(DType.Float64).MatMul(unembed);
            var biases = bias.ToCpuContiguous().ToDoubleArray();
            int width = name == "hook_z" ? model.Config.DHead : 1;
            var rows = new Dictionary<int, double[]>();
            double[] Row(int k)
            {
                lock (rows)
                {
                    if (!rows.TryGetValue(k, out var r))
                        using (GradMode.NoGrad())
                            rows[k] = r = writes.MatMul(unembed.Select(1, k)).ToCpuContiguous().ToDoubleArray();
                    return r;
                }
            }
            string via = model.Config.HasNorm ? $"{through}, the final LayerNorm and W_U" : $"{through} and W_U";
            return new DirectPath(via, width, Row, k => biases[k], model.Config.HasNorm ? "ln_final.hook_scale" : null) { Complete = false };
        }
    }
}
