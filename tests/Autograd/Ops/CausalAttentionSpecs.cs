using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The spec of src/Autograd/Ops/CausalAttention.cs: fused causal attention on [batch, pos, head, d], with a key offset.</summary>
[OpSpecs]
public static class CausalAttentionSpecs
{
    static Call Qkv(int[] q, int[] k, int[] v, double scale, int offset) =>
        On([new Leaf(q), new Leaf(k), new Leaf(v)], Kw(("scale", scale), ("offset", offset)));

    static readonly Call Plain = Qkv([2, 4, 3, 5], [2, 4, 3, 5], [2, 4, 3, 5], 0.5, 0);
    static readonly Call Offset = Qkv([1, 3, 2, 4], [1, 5, 2, 4], [1, 5, 2, 6], 0.7, 2);

    // torch 1.13 has no scaled_dot_product_attention: make_op_fixtures.py's interp.causal_attention composes it
    public static readonly OpSpec CausalAttention = new("causal_attention", [new("q", Domain.Any), new("k", Domain.Any), new("v", Domain.Any)],
        a => Tensor.CausalAttention(a[0], a[1], a[2], a.Double("scale", 1), a.Kw.Int("offset", 0)))
    {
        Torch = "interp.causal_attention", FloatOnly = false, Sample = OneOf(Plain, Offset), Runs = 4,
        Fixtures =
        [
            new("causal_attention", Plain), new("causal_attention_offset", Offset),
            new("causal_attention_f32", Qkv([2, 6, 2, 8], [2, 6, 2, 8], [2, 6, 2, 8], 0.35, 0), DType.Float32),
        ],
    };

    // z only: the scores and pattern it also returns are outside the graph (CausalAttentionTests compares them with the composition)
    public static readonly OpSpec CausalAttentionWithScores = new("causal_attention_with_scores", [new("q", Domain.Any), new("k", Domain.Any), new("v", Domain.Any)],
        a => Tensor.CausalAttentionWithScores(a[0], a[1], a[2], a.Double("scale", 1), a.Kw.Int("offset", 0)).Z)
    {
        FloatOnly = false, Sample = OneOf(Plain, Offset), Runs = 4,
    };

    static Call Packed(int[] qkv, double scale) => On([new Leaf(qkv)], Kw(("scale", scale)));

    // q, k, v packed along dim 2 of one [batch, pos, 3, head, d_head] input (CausalAttentionTests holds it to CausalAttention on the three slices)
    public static readonly OpSpec CausalAttentionPacked = new("causal_attention_packed", [new("qkv", Domain.Any)],
        a => Tensor.CausalAttentionPacked(a[0], a.Double("scale", 1)))
    {
        Sample = OneOf(Packed([2, 4, 3, 3, 5], 0.5), Packed([1, 6, 3, 2, 4], 0.7), Packed([1, 1, 3, 1, 2], 1.1)), Runs = 4,
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("causal_attention with a rank-3 q", Arg, () => Tensor.CausalAttention(F(2, 3, 4), F(2, 3, 1, 4), F(2, 3, 1, 4), 1), "causal_attention", "[2, 3, 4]"),
        new("causal_attention with a negative offset", Arg, () => Tensor.CausalAttention(F(1, 2, 1, 4), F(1, 2, 1, 4), F(1, 2, 1, 4), 1, -1), "causal_attention", "offset", "-1"),
        new("causal_attention with keys and values of different lengths", Arg, () => Tensor.CausalAttention(F(1, 2, 1, 4), F(1, 3, 1, 4), F(1, 2, 1, 4), 1), "causal_attention", "[1, 3, 1, 4]", "[1, 2, 1, 4]"),
        new("causal_attention_packed with q, k, v not along dim 2", Arg, () => Tensor.CausalAttentionPacked(F(1, 2, 2, 1, 4), 1), "causal_attention_packed", "[1, 2, 2, 1, 4]"),
        new("causal_attention_packed with a rank-4 qkv", Arg, () => Tensor.CausalAttentionPacked(F(1, 2, 3, 4), 1), "causal_attention_packed", "[1, 2, 3, 4]"),
        new("causal_attention_packed with no positions", Arg, () => Tensor.CausalAttentionPacked(F(1, 0, 3, 1, 4), 1), "causal_attention_packed", "[1, 0, 3, 1, 4]"),
        new("causal_attention_with_scores with a rank-3 k", Arg, () => Tensor.CausalAttentionWithScores(F(2, 3, 1, 4), F(2, 3, 4), F(2, 3, 1, 4), 1), "causal_attention_with_scores", "[2, 3, 4]"),
    ];
}
