using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/Losses.cs: cross_entropy (ignored targets, label smoothing, reductions) and mse_loss.</summary>
[OpSpecs]
public static class LossesSpecs
{
    static Kwargs Ce(string reduction, double smoothing = 0) => Kw(("reduction", reduction), ("ignore_index", -100), ("label_smoothing", smoothing));

    static Fixture CeFixture(string name, int n, int c, Domain targets, string reduction) =>
        CeFixture(name, n, c, new Leaf(n).Of(targets), reduction);

    static Fixture CeFixture(string name, int n, int c, Leaf targets, string reduction) =>
        new(name, On([new Leaf(n, c), targets], Ce(reduction)));

    /// <summary>
    /// [N, C] or [N, C, d] logits (sometimes a transposed view), targets with some -100 (ignored), every reduction,
    /// with or without label smoothing; "mean" only when some target counts.
    /// </summary>
    static Call RandomCrossEntropy(TestData d)
    {
        int n = d.Int(1, 4), c = d.Int(1, 5);
        int[] extra = d.Int(0, 1) == 1 ? [d.Int(1, 3)] : [];
        int[] targetShape = [n, .. extra];
        var targets = Enumerable.Range(0, ShapeUtil.Numel(targetShape)).Select(_ => d.Int(0, c - 1)).ToArray();
        targets[0] = d.Int(0, 1) == 1 ? -100 : targets[0];
        if (targets.Length > 1 && d.Int(0, 1) == 1) targets[^1] = -100;   // keep at least the chance of a counted row
        string reduction = new[] { "mean", "sum", "none" }[d.Int(0, 2)];
        double smoothing = d.Int(0, 1) == 1 ? 0.2 : 0;
        if (reduction == "mean" && targets.All(v => v == -100)) reduction = "sum";
        bool transposed = extra.Length == 0 && d.Int(0, 1) == 1;
        var logits = transposed ? new Leaf(c, n).Transposed(0, 1) : new Leaf([n, c, .. extra]);
        return On([logits, new Leaf(targetShape).Holding(targets)], Ce(reduction, smoothing));
    }

    public static readonly OpSpec CrossEntropy = new("cross_entropy", [Input.X, new("target", Domain.IndicesBelow(2))],
        a => a[0].CrossEntropy(a[1], a.Kw.Int("ignore_index", -100), a.Kw.Str("reduction", "mean"), a.Double("label_smoothing", 0)))
    {
        Torch = "torch.nn.functional.cross_entropy", FloatOnly = false, Sample = RandomCrossEntropy,
        Fixtures =
        [
            CeFixture("cross_entropy_mean", 5, 7, Domain.IndicesBelow(7), "mean"),
            CeFixture("cross_entropy_sum", 5, 7, Domain.IndicesBelow(7), "sum"),
            CeFixture("cross_entropy_ignore", 6, 7, new Leaf(6).Holding(3, -100, 0, 6, -100, 2), "mean"),
            CeFixture("cross_entropy_none", 4, 6, Domain.IndicesBelow(6), "none"),
        ],
    };

    public static readonly OpSpec MseLoss = new("mse_loss", [Input.X, new("target", Domain.Any)], a => a[0].MseLoss(a[1], a.Kw.Str("reduction", "mean")))
    {
        Torch = "torch.nn.functional.mse_loss", FloatOnly = false,
        Sample = d =>
        {
            var shape = d.Shape();
            return On([new Leaf(shape), new Leaf(shape)], Kw(("reduction", new[] { "mean", "sum", "none" }[d.Int(0, 2)])));
        },
        Fixtures =
        [
            new("mse_loss_mean", On([new Leaf(3, 4), new Leaf(3, 4)], Kw(("reduction", "mean")))),
            new("mse_loss_sum", On([new Leaf(3, 4), new Leaf(3, 4)], Kw(("reduction", "sum")))),
        ],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("cross_entropy with a target out of range", BadIndex, () => F(2, 3).CrossEntropy(Tensor.FromArray([0, 3])), "cross_entropy", "3"),
        new("cross_entropy with a batch that does not match", Arg, () => F(2, 3).CrossEntropy(Tensor.FromArray([0, 1, 2])), "cross_entropy", "[2, 3]", "[3]"),
        new("cross_entropy with an unknown reduction", Arg, () => F(2, 3).CrossEntropy(Tensor.FromArray([0, 1]), reduction: "sums"), "cross_entropy", "sums"),
        new("cross_entropy with label smoothing above 1", Arg, () => F(2, 3).CrossEntropy(Tensor.FromArray([0, 1]), labelSmoothing: 1.5), "cross_entropy", "1.5"),
        new("mse_loss of mismatched shapes", Arg, () => F(2).MseLoss(F(3)), "mse_loss", "[2]", "[3]"),
        new("mse_loss with an unknown reduction", Arg, () => F(2).MseLoss(F(2), "avg"), "mse_loss", "avg"),
    ];
}
