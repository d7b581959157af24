using Interp.Testing;

namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// How the op table draws an input of an Interp.Testing <see cref="Domain"/> from a <see cref="TestData"/> seed
/// (the custom samples of ops whose calls the library's generators cannot express), and the domain's name in
/// tests/fixtures/op_specs.json, which make_op_fixtures.py reads.
/// </summary>
public static class DomainDrawing
{
    /// <summary>A tensor of this domain: float64 values, or int32 masks and indices.</summary>
    public static Tensor Draw(this Domain domain, TestData d, int[] shape)
    {
        if (domain.IsInteger) return Ints(shape, _ => d.Int((int)domain.Low, (int)domain.High));
        if (domain == Domain.Positive) return d.Positive(shape);
        if (domain == Domain.AwayFromZero) return d.Positive(shape) * Signs(d, shape);
        return d.Tensor(shape);
    }

    /// <summary>The name make_op_fixtures.py knows the domain by: any, positive, away_from_zero, mask or indices.</summary>
    public static string JsonKind(this Domain domain) =>
        domain == Domain.Positive ? "positive"
        : domain == Domain.AwayFromZero ? "away_from_zero"
        : domain == Domain.Mask ? "mask"
        : domain.IsInteger ? "indices"
        : "any";

    /// <summary>n of <see cref="Domain.IndicesBelow"/>: one more than its largest value.</summary>
    public static int Below(this Domain domain) => (int)domain.High + 1;

    static Tensor Signs(TestData d, int[] shape) => Tensor.FromArray(
        Enumerable.Range(0, ShapeUtil.Numel(shape)).Select(_ => d.Int(0, 1) == 0 ? 1.0 : -1.0).ToArray(), shape);

    static Tensor Ints(int[] shape, Func<int, int> value) =>
        Tensor.FromArray(Enumerable.Range(0, ShapeUtil.Numel(shape)).Select(value).ToArray(), shape);
}
