using Interp.Nn;
using Interp.Transformers;

namespace Interp.Tests.Analysis.Neurons;

/// <summary>
/// A hand-set 1-layer transformer (no LayerNorm, ReLU MLP) on sequences of 3 tokens from 6, whose prediction at
/// position 2 is the first token, by a known mechanism. Residual dims: 0–5 the token (one-hot), 6–8 the position,
/// 9–14 head 0's copy of a token, 15 head 1's output, 16–21 the answer neurons' output, 22 the distractors'.
/// Head 0 attends from position 2 to position 0 (a score of 40/√6 against 0) and copies its token into 9–14; head 1
/// attends evenly and writes a third into dim 15, which nothing reads into the logits. MLP neurons 0–5 are
/// relu(copy[t] − ½), written to 16 + t, which W_U reads into logit t with weight 4; neurons 6–8 are relu(dim 15)
/// (always on, written to 22, read by nothing); neurons 9–11 are dead (bias −1). So the logit of the first token is 2
/// and every other logit 0: head 0 and neurons 0–5 carry the behaviour, head 1 and neurons 6–11 none of it.
/// </summary>
public static class PlantedTransformer
{
    public const int Vocab = 6, DModel = 24, DHead = 6, DMlp = 12;
    public const string Neurons = "blocks.0.mlp.hook_post", Heads = "blocks.0.attn.hook_z";

    public static TransformerConfig Config => new()
    {
        NLayers = 1, DModel = DModel, NHeads = 2, DHead = DHead, DMlp = DMlp, DVocab = Vocab, NCtx = 3,
        ActFn = "relu", Normalization = "none", UseAttnBias = false, UseUnembedBias = false,
    };

    public static HookedTransformer Build()
    {
        var model = new HookedTransformer(Config);
        var w = model.StateDict().ToDictionary(kv => kv.Key, kv => new float[kv.Value.Numel]);
        void Set(string name, int[] shape, int[] at, float value)
        {
            int flat = 0;
            for (int k = 0; k < shape.Length; k++) flat = flat * shape[k] + at[k];
            w[name][flat] = value;
        }
        int[] qkv = [2, DModel, DHead], o = [2, DHead, DModel];
        for (int t = 0; t < Vocab; t++)
        {
            Set("embed.W_E", [Vocab, DModel], [t, t], 1);
            Set("blocks.0.attn.W_V", qkv, [0, t, t], 1);          // head 0 reads the token ...
            Set("blocks.0.attn.W_O", o, [0, t, 9 + t], 1);        // ... and writes it into 9–14
            Set("blocks.0.mlp.W_in", [DModel, DMlp], [9 + t, t], 1);
            Set("blocks.0.mlp.b_in", [DMlp], [t], -0.5f);
            Set("blocks.0.mlp.W_out", [DMlp, DModel], [t, 16 + t], 1);
            Set("unembed.W_U", [DModel, Vocab], [16 + t, t], 4);
        }
        for (int p = 0; p < 3; p++) Set("pos_embed.W_pos", [3, DModel], [p, 6 + p], 1);
        Set("blocks.0.attn.W_Q", qkv, [0, 8, 0], 1);              // the query at position 2 ...
        Set("blocks.0.attn.W_K", qkv, [0, 6, 0], 40);             // ... matches the key at position 0
        Set("blocks.0.attn.W_V", qkv, [1, 6, 0], 1);              // head 1: a third of "position 0" ...
        Set("blocks.0.attn.W_O", o, [1, 0, 15], 1);               // ... into dim 15
        for (int n = 6; n < 9; n++)
        {
            Set("blocks.0.mlp.W_in", [DModel, DMlp], [15, n], 1);
            Set("blocks.0.mlp.W_out", [DMlp, DModel], [n, 22], 1);
        }
        for (int n = 9; n < 12; n++) Set("blocks.0.mlp.b_in", [DMlp], [n], -1);
        var state = model.StateDict();
        model.LoadStateDict(w.ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value, state[kv.Key].ShapeArray)));
        return model;
    }

    /// <summary>All 216 sequences of 3 tokens, int32 [216, 3].</summary>
    public static Tensor AllSequences() =>
        Tensor.FromArray(Enumerable.Range(0, Vocab * Vocab * Vocab).SelectMany(k => new[] { k / 36, k / 6 % 6, k % 6 }).ToArray(), [216, 3]);

    public static int[] FirstTokens(Tensor tokens) => tokens.ToIntArray().Where((_, i) => i % 3 == 0).ToArray();
}
