using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/Statistics.cs: var, std, norm and logsumexp.</summary>
[OpSpecs]
public static class StatisticsSpecs
{
    static readonly Leaf X234 = new(2, 3, 4);

    /// <summary>torch's unbiased=True is correction 1; a random call sets the correction directly.</summary>
    static int Correction(OpArgs a) => a.Kw.Has("correction") ? a.Int("correction") : a.Bool("unbiased", true) ? 1 : 0;

    static Kwargs Unbiased(int[]? dims, bool keep) => dims is null ? Kw(("unbiased", true)) : Kw(("dim", dims), ("unbiased", true), ("keepdim", keep));

    public static readonly OpSpec Var = new("var", [Input.X], a => a[0].Var(a.Ints("dim"), a.Bool("keepdim"), Correction(a)))
    {
        Torch = "torch.var",
        Sample = d =>
        {
            var (leaf, shape) = RandomInput(d, minRank: 1, minDim: 2);
            var args = Kw(("keepdim", d.Int(0, 1) == 1), ("correction", d.Int(0, 1)));
            return On(leaf, d.Int(0, 3) == 0 ? args : args.With("dim", SomeDims(d, shape.Length)));
        },
        Fixtures = [new("var_dim1", On(X234, Unbiased([1], false))), new("var_dim02_keep", On(X234, Unbiased([0, 2], true))), new("var_all", On(X234, Unbiased(null, false)))],
    };

    public static readonly OpSpec Std = new("std", [Input.X], a => a[0].Std(a.Ints("dim"), a.Bool("keepdim"), Correction(a)))
    {
        Torch = "torch.std",
        // permuted, never expanded: a constant row has no std gradient
        Sample = d =>
        {
            var shape = d.Shape(1, 3).Select(s => Math.Max(s, 2)).ToArray();
            var reversed = Enumerable.Range(0, shape.Length).Reverse().ToArray();
            return On(new Leaf(shape.Reverse().ToArray()).Permuted(reversed), Kw(("dim", SomeDims(d, shape.Length)), ("keepdim", d.Int(0, 1) == 1)));
        },
        Fixtures = [new("std_dim2", On(X234, Unbiased([2], false))), new("std_dim1_keep", On(X234, Unbiased([1], true)))],
    };

    public static readonly OpSpec Norm = new("norm", [Input.X], a => a[0].Norm(a.Double("p", 2), a.Ints("dim"), a.Bool("keepdim")))
    {
        Torch = "torch.norm", FloatOnly = false,
        Sample = d =>
        {
            var (leaf, shape) = RandomInput(d, minRank: 1);
            var args = Kw(("p", new[] { 2.0, 1.0, double.PositiveInfinity, 3.0 }[d.Int(0, 3)]), ("keepdim", d.Int(0, 1) == 1));
            return On(leaf, d.Int(0, 2) == 0 ? args : args.With("dim", SomeDims(d, shape.Length)));
        },
        Fixtures =
        [
            new("norm_dim1", On(X234, Kw(("p", 2), ("dim", new[] { 1 }), ("keepdim", false)))),
            new("norm_dim2_keep", On(X234, Kw(("p", 2), ("dim", new[] { 2 }), ("keepdim", true)))),
            new("norm_all", On(X234)),
        ],
    };

    public static readonly OpSpec LogSumExp = new("logsumexp", [Input.X], a => a[0].LogSumExp(a.Ints("dim")!, a.Bool("keepdim")))
    {
        Torch = "torch.logsumexp", FloatOnly = false,
        Sample = d =>
        {
            var (leaf, shape) = RandomInput(d, minRank: 1);
            return On(leaf, Kw(("dim", SomeDims(d, shape.Length)), ("keepdim", d.Int(0, 1) == 1)));
        },
        Fixtures =
        [
            new("logsumexp_dim1", On(X234, Kw(("dim", new[] { 1 }), ("keepdim", false)))),
            new("logsumexp_dimm1_keep", On(X234, Kw(("dim", new[] { -1 }), ("keepdim", true)))),
        ],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("var with a dim out of range", OutOfRange, () => F(2, 3).Var(2), "var", "dim 2", "[2, 3]"),
        new("std with a negative dim out of range", OutOfRange, () => F(2, 3).Std(-3), "std", "dim -3"),
        new("norm with a dim out of range", OutOfRange, () => F(2, 3).Norm(2, 3), "norm", "dim 3"),
        new("logsumexp with a dim out of range", OutOfRange, () => F(2, 3).LogSumExp(2), "logsumexp", "dim 2"),
    ];
}
