using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/Softmax.cs: softmax and log_softmax along a dim.</summary>
[OpSpecs]
public static class SoftmaxSpecs
{
    /// <summary>A random input of rank ≥ 1 and one of its dims, negative or not.</summary>
    static Call AlongADim(TestData d)
    {
        var (leaf, shape) = RandomInput(d, minRank: 1);
        return On(leaf, Kw(("dim", d.Int(-shape.Length, shape.Length - 1))));
    }

    static Fixture Along(string name, int dim, Leaf x, DType dtype = DType.Float64) => new(name, On(x, Kw(("dim", dim))), dtype);

    public static readonly OpSpec Softmax = new("softmax", [Input.X], a => a[0].Softmax(a.Int("dim")))
    {
        Torch = "torch.nn.functional.softmax", Sample = AlongADim,
        Fixtures = [Along("softmax_last", -1, new(2, 3, 5)), Along("softmax_dim0", 0, new(2, 3, 5)), Along("softmax_f32", -1, new(3, 7), DType.Float32)],
    };

    public static readonly OpSpec LogSoftmax = new("log_softmax", [Input.X], a => a[0].LogSoftmax(a.Int("dim")))
    {
        Torch = "torch.nn.functional.log_softmax", Sample = AlongADim,
        Fixtures = [Along("log_softmax_last", -1, new(2, 3, 5)), Along("log_softmax_dim1", 1, new(2, 3, 5))],
    };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("softmax with a dim out of range", OutOfRange, () => F(2, 3).Softmax(2), "softmax", "dim 2", "[2, 3]"),
        new("log_softmax with a negative dim out of range", OutOfRange, () => F(2, 3).LogSoftmax(-3), "log_softmax", "dim -3"),
    ];
}
