using System.Reflection;
using System.Text.Json;
using Interp.IO;
using Xunit;

namespace Interp.Tests.FixtureOps;

/// <summary>Marks a static method `Tensor M(FixtureCase c)` that runs one op of tests/fixtures/ops.safetensors.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FixtureOpAttribute(string op) : Attribute
{
    public string Op { get; } = op;
}

/// <summary>One case of the PyTorch fixture file: its inputs as tensors (float inputs require grad) and its arguments.</summary>
public sealed class FixtureCase
{
    readonly Dictionary<string, Tensor> inputs = new();

    public string Name { get; }
    public JsonElement Meta { get; }
    public string Op => Meta.GetProperty("op").GetString()!;

    internal FixtureCase(SafeTensorsFile file, string name)
    {
        Name = name;
        Meta = JsonDocument.Parse(file.Metadata[name]).RootElement;
        foreach (var info in file.Names.Where(n => n.StartsWith(name + ".in.")).Select(file.GetInfo))
            inputs[info.Name[(name.Length + 4)..]] = Load(file, info.Name, requiresGrad: true);
    }

    internal static Tensor Load(SafeTensorsFile file, string name, bool requiresGrad = false) =>
        TensorIO.Read(file, name, requiresGrad: requiresGrad);

    public Tensor In(string arg) => inputs.TryGetValue(arg, out var t) ? t
        : throw new KeyNotFoundException($"fixture {Name}: no input '{arg}' (has {string.Join(", ", inputs.Keys)})");
    public bool Has(string arg) => inputs.ContainsKey(arg);
    public IReadOnlyDictionary<string, Tensor> Inputs => inputs;

    public bool HasArg(string key) => Meta.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;
    public int Int(string key) => Meta.GetProperty(key).GetInt32();
    public double Double(string key) => Meta.GetProperty(key).GetDouble();
    public bool Bool(string key) => Meta.GetProperty(key).GetBoolean();
    public string Str(string key) => Meta.GetProperty(key).GetString()!;
    /// <summary>An int or a list of ints as an array (dims, kernel sizes, strides).</summary>
    public int[] Ints(string key) => Meta.GetProperty(key) is var v && v.ValueKind == JsonValueKind.Array
        ? v.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [v.GetInt32()];
}

/// <summary>Every case of ops.safetensors: Interp's output and input gradients against PyTorch's.</summary>
public class PyTorchFixtureTests
{
    static readonly string Path = FixtureFiles.PathOf("ops.safetensors");

    static readonly Dictionary<string, Func<FixtureCase, Tensor>> Ops = typeof(PyTorchFixtureTests).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
        .SelectMany(m => m.GetCustomAttributes<FixtureOpAttribute>().Select(a => (a.Op, m)))
        .ToDictionary(p => p.Op, p => (Func<FixtureCase, Tensor>)p.m.CreateDelegate(typeof(Func<FixtureCase, Tensor>)));

    public static IEnumerable<object[]> Cases() => FixtureFiles.CaseRows(Path);

    [Theory, MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        using var file = SafeTensorsFile.Open(Path);
        var c = new FixtureCase(file, name);
        Assert.True(Ops.TryGetValue(c.Op, out var run), $"no [FixtureOp(\"{c.Op}\")] implementation for case {name}");
        var y = run!(c);
        var expected = FixtureCase.Load(file, name + ".out");
        AssertClose(name + ".out", expected, y);
        if (!file.Contains(name + ".gout")) return;
        y.Backward(FixtureCase.Load(file, name + ".gout"));
        foreach (var (arg, x) in c.Inputs.Where(p => p.Value.DType.IsFloatingPoint()))
        {
            if (!file.Contains($"{name}.grad.{arg}")) continue;
            Assert.True(x.Grad is not null, $"{name}: no gradient reached input '{arg}'");
            AssertClose($"{name}.grad.{arg}", FixtureCase.Load(file, $"{name}.grad.{arg}"), x.Grad!);
        }
    }

    /// <summary>|actual − expected| ≤ atol + rtol·|expected| with rtol 1e-5 (float32) or 1e-10 (float64).</summary>
    static void AssertClose(string what, Tensor expected, Tensor actual)
    {
        Assert.True(ShapeUtil.SameShape(expected.ShapeArray, actual.ShapeArray),
            $"{what}: shape {ShapeUtil.Format(actual.ShapeArray)}, PyTorch has {ShapeUtil.Format(expected.ShapeArray)}");
        bool f32 = expected.DType == DType.Float32 || actual.DType == DType.Float32;
        double rtol = f32 ? 1e-5 : 1e-10, atol = f32 ? 1e-6 : 1e-12;
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = (double.IsNaN(e[i]) && double.IsNaN(a[i])) || e[i] == a[i] || Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i]);
            Assert.True(ok, $"{what}[{i}]: Interp {a[i]:G17}, PyTorch {e[i]:G17}");
        }
    }
}
