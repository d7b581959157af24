using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The spec of src/Autograd/Ops/LayerNorm.cs: layer_norm over the last dims, with or without weight and bias.</summary>
[OpSpecs]
public static class LayerNormSpecs
{
    public static readonly OpSpec LayerNorm = new("layer_norm",
        [Input.X, new("weight", Domain.Any, Keyword: true), new("bias", Domain.Any, Keyword: true)],
        a => a[0].LayerNorm(a.Ints("normalized_shape")!, a.Optional("weight"), a.Optional("bias"), a.Double("eps", 1e-5)))
    {
        Torch = "torch.nn.functional.layer_norm",
        Sample = d =>
        {
            var (leaf, shape) = RandomInput(d, minRank: 1);
            var norm = shape[^d.Int(1, shape.Length)..];
            Leaf? weight = d.Int(0, 1) == 1 ? new Leaf(norm) : null, bias = d.Int(0, 1) == 1 ? new Leaf(norm) : null;
            return On([leaf, weight, bias], Kw(("normalized_shape", norm)));
        },
        Fixtures =
        [
            new("layer_norm", On([new Leaf(2, 3, 5), new Leaf(5), new Leaf(5)], Kw(("normalized_shape", new[] { 5 }), ("eps", 1e-5)))),
            new("layer_norm_noaffine", On([new Leaf(2, 3, 5), null, null], Kw(("normalized_shape", new[] { 5 }), ("eps", 1e-5)))),
            new("layer_norm_2d", On([new Leaf(2, 3, 4), new Leaf(3, 4), new Leaf(3, 4)], Kw(("normalized_shape", new[] { 3, 4 }), ("eps", 1e-5)))),
            new("layer_norm_f32", On([new Leaf(4, 6), new Leaf(6), new Leaf(6)], Kw(("normalized_shape", new[] { 6 }), ("eps", 1e-5))), DType.Float32),
        ],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("layer_norm with a shape that is not the input's end", Arg, () => F(2, 3).LayerNorm([4]), "layer_norm", "[4]", "[2, 3]"),
        new("layer_norm with a weight of the wrong shape", Arg, () => F(2, 3).LayerNorm([3], F(2)), "layer_norm", "[2]", "[3]"),
    ];
}
