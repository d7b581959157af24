namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// The values an input takes: any real, positive (log, sqrt, pow bases), away from zero (divisors), a 0/1 mask,
/// indices below a bound, or given values. The same names are read by make_op_fixtures.py.
/// </summary>
public sealed record Domain(string Kind, int Below = 0, int[]? Values = null)
{
    public static readonly Domain Any = new("any");
    public static readonly Domain Positive = new("positive");
    public static readonly Domain AwayFromZero = new("away_from_zero");
    public static readonly Domain Mask = new("mask");
    public static Domain IndicesBelow(int n) => new("indices", Below: n);
    public static Domain Given(params int[] values) => new("values", Values: values);

    public bool IsFloat => Kind is "any" or "positive" or "away_from_zero";

    /// <summary>A tensor of this domain: float64 values, or int32 masks and indices.</summary>
    public Tensor Draw(TestData d, int[] shape) => Kind switch
    {
        "any" => d.Tensor(shape),
        "positive" => d.Positive(shape),
        "away_from_zero" => d.Positive(shape) * Signs(d, shape),
        "mask" => Ints(d, shape, _ => d.Int(0, 1)),
        "indices" => Ints(d, shape, _ => d.Int(0, Below - 1)),
        "values" => Tensor.FromArray(Values!, shape),
        _ => throw new ArgumentException($"unknown domain {Kind}"),
    };

    static Tensor Signs(TestData d, int[] shape) => Tensor.FromArray(
        Enumerable.Range(0, ShapeUtil.Numel(shape)).Select(_ => d.Int(0, 1) == 0 ? 1.0 : -1.0).ToArray(), shape);

    static Tensor Ints(TestData d, int[] shape, Func<int, int> value) =>
        Tensor.FromArray(Enumerable.Range(0, ShapeUtil.Numel(shape)).Select(value).ToArray(), shape);
}
