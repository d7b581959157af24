using Interp.Nn;
using Interp.Transformers;

namespace Interp.Tests.Analysis.Patching;

/// <summary>Small models for the patching tests: random float64 transformers and a hand-built AND/OR circuit.</summary>
static class PatchingTestModels
{
    public static TransformerConfig Config(int layers = 2, int dMlp = 8, string norm = "LN", string pos = "standard", bool attnResult = true) => new()
    {
        NLayers = layers, DModel = 8, NHeads = 2, DHead = 4, DMlp = dMlp, DVocab = 11, NCtx = 8, Normalization = norm,
        PositionalEmbedding = pos, UseAttnResult = attnResult, Dtype = DType.Float64, Seed = 5, InitRange = 0.5,
    };

    /// <summary>Random values in every parameter (biases and LN weights included), so nothing is trivially zero.</summary>
    public static HookedTransformer Random(TransformerConfig cfg, ulong seed = 1)
    {
        var model = new HookedTransformer(cfg);
        var gen = new Generator(seed);
        model.LoadStateDict(model.StateDict().ToDictionary(p => p.Key,
            p => (p.Key.EndsWith(".w") ? 1.0 : 0.0) + Tensor.Randn(p.Value.ShapeArray, gen, cfg.Dtype) * 0.5));
        return model;
    }

    /// <summary>Clean and corrupted prompts [batch, 6] that differ at positions 1 and 2 only, and answer/wrong ids [batch].</summary>
    public static (Tensor Clean, Tensor Corrupted, Tensor Answers, Tensor Wrong) Prompts(int batch = 2)
    {
        var clean = new List<int>();
        var corrupted = new List<int>();
        for (int b = 0; b < batch; b++)
        {
            int[] row = [1 + b, 3, 4 + b, 7, 2, 9 - b];
            clean.AddRange(row);
            row[1] = 5 + b;
            row[2] = 10 - b;
            corrupted.AddRange(row);
        }
        return (Tensor.FromArray([.. clean], [batch, 6]), Tensor.FromArray([.. corrupted], [batch, 6]),
                Tensor.FromArray(Enumerable.Range(0, batch).Select(b => 3 + b).ToArray()), Tensor.FromArray(Enumerable.Range(0, batch).Select(b => 8 - b).ToArray()));
    }

    /// <summary>
    /// A 1-layer model that computes AND (or OR) of two facts at the last of three positions: tokens [a, b, 2] with
    /// a, b ∈ {0 = off, 1 = on}. Head 0 copies "a is on" from position 0 into residual dim 4 (A), head 1 copies
    /// "b is on" from position 1 into dim 5 (B); the ReLU MLP computes relu(A + B − 1) (AND) or
    /// relu(A + B) − relu(A + B − 1) = min(A + B, 1) (OR) into dim 6, which the unembedding reads as logit 1 (logit 0 = 0).
    /// Residual dims: 0 token is on, 1 position 0, 2 position 1, 3 the query token, 4 A, 5 B, 6 output.
    /// </summary>
    public static HookedTransformer AndOr(bool isAnd)
    {
        var cfg = new TransformerConfig
        {
            NLayers = 1, DModel = 7, NHeads = 2, DHead = 1, DMlp = 2, DVocab = 3, NCtx = 3, ActFn = "relu", Normalization = "none",
            Dtype = DType.Float64,
        };
        var model = new HookedTransformer(cfg);
        var sd = model.StateDict().ToDictionary(p => p.Key, p => Tensor.Zeros(p.Value.ShapeArray, DType.Float64));
        void Set(string name, params (int[] At, double Value)[] entries)
        {
            var t = sd[name];
            var data = new double[t.Numel];
            var strides = ShapeUtil.ContiguousStrides(t.ShapeArray);
            foreach (var (at, v) in entries) data[at.Select((i, d) => i * strides[d]).Sum()] = v;
            sd[name] = Tensor.FromArray(data, t.ShapeArray);
        }
        Set("embed.W_E", ([1, 0], 1), ([2, 3], 1));
        Set("pos_embed.W_pos", ([0, 1], 1), ([1, 2], 1));
        Set("blocks.0.attn.W_Q", ([0, 3, 0], 5), ([1, 3, 0], 5));          // the query token asks ...
        Set("blocks.0.attn.W_K", ([0, 1, 0], 5), ([1, 2, 0], 5));          // ... head 0 for position 0, head 1 for position 1
        Set("blocks.0.attn.W_V", ([0, 0, 0], 1), ([1, 0, 0], 1));          // both read "token is on"
        Set("blocks.0.attn.W_O", ([0, 0, 4], 1), ([1, 0, 5], 1));          // into A and B
        Set("blocks.0.mlp.W_in", ([4, 0], 1), ([5, 0], 1), ([4, 1], 1), ([5, 1], 1));
        Set("blocks.0.mlp.b_in", ([1], -1));
        if (isAnd) Set("blocks.0.mlp.W_out", ([1, 6], 1));
        else Set("blocks.0.mlp.W_out", ([0, 6], 1), ([1, 6], -1));
        Set("unembed.W_U", ([6, 1], 1));
        model.LoadStateDict(sd);
        return model;
    }
}
