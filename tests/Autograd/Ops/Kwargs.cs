namespace Interp.Tests.Autograd.Ops;

/// <summary>An op's non-tensor arguments under PyTorch's keyword names (dim, keepdim, beta, ...): ints, int arrays, doubles, bools, strings.</summary>
public sealed class Kwargs
{
    readonly SortedDictionary<string, object> values = new(StringComparer.Ordinal);

    public Kwargs() { }
    public Kwargs(params (string key, object value)[] pairs) { foreach (var (k, v) in pairs) values[k] = v; }

    public Kwargs With(string key, object value)
    {
        var copy = new Kwargs();
        foreach (var p in values) copy.values[p.Key] = p.Value;
        copy.values[key] = value;
        return copy;
    }

    public IReadOnlyDictionary<string, object> Values => values;

    public bool Has(string key) => values.ContainsKey(key);
    public int Int(string key) => Convert.ToInt32(values[key]);
    public int Int(string key, int fallback) => Has(key) ? Int(key) : fallback;
    public double Double(string key, double fallback) => Has(key) ? Convert.ToDouble(values[key]) : fallback;
    public bool Bool(string key, bool fallback = false) => Has(key) ? (bool)values[key] : fallback;
    public string Str(string key, string fallback) => Has(key) ? (string)values[key] : fallback;

    /// <summary>An int or an int array as an array (dims, kernel sizes); null when absent.</summary>
    public int[]? Ints(string key) => !Has(key) ? null : values[key] is int[] a ? a : [Int(key)];

    /// <summary>An int or an (h, w) pair, as conv and pooling take them.</summary>
    public (int h, int w) Pair(string key, int fallback) => Ints(key) switch
    {
        null => (fallback, fallback),
        [var h, var w] => (h, w),
        var one => (one[0], one[0]),
    };

    public override string ToString() => string.Join(", ", values.Select(p => $"{p.Key}={(p.Value is int[] a ? ShapeUtil.Format(a) : p.Value)}"));
}
