using System.Text.Json;
using System.Text.RegularExpressions;
using Interp.IO;
using Interp.Tests.Autograd.Ops;
using Xunit;

namespace Interp.Tests.FixtureOps;

/// <summary>
/// The differential sweep of tests/fixtures/numfuzz.safetensors (made by make_numfuzz.py): the op table's forward on
/// PyTorch's awkward inputs (NaN, ±inf, -0.0, 1e30, denormals, ties, rows of -inf, zero-size dims, rank-0 scalars,
/// broadcasting, non-contiguous views) gives PyTorch's output (shape, dtype, values, NaN and infinities where PyTorch
/// has them) and gradients. INTERP_NUMFUZZ=path runs another sweep file (a longer one made with --random).
/// </summary>
public class NumFuzzTests
{
    static readonly string Path = Environment.GetEnvironmentVariable("INTERP_NUMFUZZ") is { Length: > 0 } p ? p : FixtureFiles.PathOf("numfuzz.safetensors");

    public static IEnumerable<object[]> Cases() => FixtureFiles.CaseRows(Path);

    /// <summary>Ops of the sweep that the op table does not hold (no gradient test of their own there).</summary>
    static readonly Dictionary<string, OpSpec> Extra = new()
    {
        ["sign"] = new("sign", [Input.X], a => a[0].Sign()),
        ["argmin"] = new("argmin", [Input.X], a => a[0].ArgMin(a.Kw.Has("dim") ? a.Int("dim") : null, a.Bool("keepdim"))) { Differentiable = false },
    };

    /// <summary>
    /// Where Interp differs from PyTorch on purpose (docs/pytorch-differences.md), by tensor name: these must still
    /// differ (an entry whose tensor now matches is stale and fails, so the list stays true), except the random cases'
    /// entry, which only allows a NaN gradient where PyTorch's is finite (a random case holds a NaN or not).
    /// </summary>
    static readonly (Regex Tensor, string Why)[] Deliberate =
    [
        (new(@"^sign_(specials|transposed)_F(32|64)\.out$"), "sign(NaN) is NaN (NumPy, IEEE); PyTorch gives 0 (pytorch/pytorch#41245)"),
        (new(@"^(abs|relu)_(specials|transposed)_F(32|64)\.grad\.x$"), "the gradient at a NaN input is NaN (g·sign(NaN)); PyTorch's is 0 for abs and g for relu"),
        (new(@"^norm_p1_F(32|64)\.grad\.x$"), "the 1-norm's gradient at a NaN element is NaN (g·sign(NaN)); PyTorch's is 0"),
        (new(@"^random_\d+_norm_F(32|64)\.grad\.x$"), "the 1- and ∞-norm's gradient at a NaN element is NaN (g·sign(NaN)); PyTorch's is 0"),
        (new(@"^logsumexp_big_F(32|64)\.grad\.x$"), "three tied maxima of 1e30 get 1/3 each (softmax); PyTorch gives each 1, as exp(x − lse) with lse rounded to 1e30"),
        (new(@"^layer_norm_big_F32\.(out|grad\.x)$"), "±1e30 in float32 overflows the variance: Interp's two-pass kernel gives 0, PyTorch's E[x²] − E[x]² gives NaN"),
        (new(@"^(sum|mean)_nodims(_keep)?_F(32|64)\.out$"), "dim=[] reduces no dim (NumPy's axis=()); PyTorch 1.13 reduces every dim, as for dim=None"),
        (new(@"^std_big_F32\.(out|grad\.x)$"), "the float32 variance of ±1e30 overflows to inf before the square root; PyTorch takes the root in double"),
    ];

    /// <summary>Cases Interp refuses on purpose with a clear error: elementwise and indexing ops other than the arithmetic operators take float tensors only.</summary>
    static readonly Regex RefusedInt32 = new(@"^(abs|clamp|cumsum|gather|neg|relu|square)_int32$");

    /// <summary>As <see cref="Deliberate"/>, on ILGPU only: its kernels work in double for float32 too.</summary>
    static readonly (Regex Tensor, string Why)[] DeliberateOnIlgpu =
    [
        (new(@"^gelu_tanh_specials_F32\.grad\.x$"), "at ±1e30 float32 PyTorch's (and the CPU's) x³ overflows to NaN; ILGPU's double gives the limits 1 and 0"),
    ];

    static string? DeliberateReason(string tensor, bool ilgpu) =>
        Deliberate.Concat(ilgpu ? DeliberateOnIlgpu : []).FirstOrDefault(d => d.Tensor.IsMatch(tensor)).Why;

    [Theory, MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name) => Check(name, Device.Cpu);

    /// <summary>The same cases on ILGPU's CPU accelerator (the GPU kernels' twins), for the ops that run there.</summary>
    [Theory, MemberData(nameof(Cases))]
    public void MatchesPyTorchOnIlgpuCpu(string name) => Check(name, Device.IlgpuCpu);

    static void Check(string name, Device device)
    {
        bool ilgpu = device.Kind == DeviceKind.IlgpuCpu;
        using var file = SafeTensorsFile.Open(Path);
        using var doc = JsonDocument.Parse(file.Metadata[name]);
        var root = doc.RootElement;
        string op = root.GetProperty("op").GetString()!;
        var spec = Extra.TryGetValue(op, out var extra) ? extra : OpTable.Specs[op];
        if (device.Kind != DeviceKind.Cpu && !spec.OnGpu) return;
        var inputs = root.GetProperty("inputs").EnumerateArray().ToArray();
        var leaves = new Tensor?[spec.Inputs.Length];
        var calls = new Leaf?[spec.Inputs.Length];
        foreach (var input in inputs)
        {
            string inputName = input.GetProperty("name").GetString()!;
            int i = Array.FindIndex(spec.Inputs, x => x.Name == inputName);
            Assert.True(i >= 0, $"{name}: the spec {op} has no input '{inputName}'");
            var leaf = FixtureFiles.Load(file, $"{name}.in.{inputName}").To(device);
            leaf.RequiresGrad = leaf.DType.IsFloatingPoint();
            var views = input.GetProperty("views").EnumerateArray()
                .Select(v => new View(v.GetProperty("kind").GetString()!, v.GetProperty("args").EnumerateArray().Select(a => a.GetInt32()).ToArray())).ToArray();
            leaves[i] = leaf;
            calls[i] = new Leaf(leaf.ShapeArray, views);
        }
        var call = new Call(calls, ReadKwargs(root.GetProperty("kwargs")));

        Tensor y;
        try { y = new Instance(spec, call, leaves).Run(); }
        catch (ArgumentException e) when (RefusedInt32.IsMatch(name))
        {
            Assert.Contains(op, e.Message);
            Assert.Contains("int32", e.Message);
            return;
        }
        catch (Exception e) { throw new Xunit.Sdk.XunitException($"{name}: Interp throws {e.GetType().Name}: {e.Message}; PyTorch returns a value"); }
        Assert.False(RefusedInt32.IsMatch(name), $"{name}: Interp now takes int32 here; remove it from NumFuzzTests.RefusedInt32");
        var expected = FixtureFiles.Load(file, name + ".out");
        if (AssertClose(name + ".out", expected, y, file[name + ".out"].DType, ilgpu) && !ShapeUtil.SameShape(expected.ShapeArray, y.ShapeArray))
            return;   // a deliberate difference of shape: PyTorch's upstream gradient does not fit
        if (file.Contains(name + ".indices"))
        {
            var x = calls[0]!.ApplyViews(leaves[0]!.Detach());
            int dim = call.Args.Int("dim");
            bool keep = call.Args.Bool("keepdim");
            AssertClose(name + ".indices", FixtureFiles.Load(file, name + ".indices"), op == "max" ? x.ArgMax(dim, keep) : x.ArgMin(dim, keep), "I64", ilgpu);
        }
        if (!file.Contains(name + ".gout")) return;
        try { y.Backward(FixtureFiles.Load(file, name + ".gout").To(device)); }
        catch (Exception e) { throw new Xunit.Sdk.XunitException($"{name}: Interp's backward throws {e.GetType().Name}: {e.Message}"); }
        for (int i = 0; i < leaves.Length; i++)
        {
            string grad = $"{name}.grad.{spec.Inputs[i].Name}";
            if (leaves[i] is not { } x || !file.Contains(grad)) continue;
            var g = x.Grad ?? Tensor.ZerosLike(x);   // no gradient reached the input: zeros, as PyTorch's allow_unused gives
            AssertClose(grad, FixtureFiles.Load(file, grad), g, file[grad].DType, ilgpu);
        }
    }

    /// <summary>The case's keyword arguments: JSON integers as int, other numbers (and "nan", "inf", "-inf") as double, int lists as int[].</summary>
    static Kwargs ReadKwargs(JsonElement kwargs)
    {
        var k = new Kwargs();
        foreach (var p in kwargs.EnumerateObject())
            k = k.With(p.Name, p.Value.ValueKind switch
            {
                JsonValueKind.Number when p.Value.TryGetInt32(out int n) && !p.Value.GetRawText().Contains('.') && !p.Value.GetRawText().Contains('e') => n,
                JsonValueKind.Number => p.Value.GetDouble(),
                JsonValueKind.String when p.Value.GetString() is "nan" or "inf" or "-inf" => p.Value.GetString() switch
                {
                    "nan" => double.NaN, "inf" => double.PositiveInfinity, _ => double.NegativeInfinity,
                },
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.True or JsonValueKind.False => p.Value.GetBoolean(),
                JsonValueKind.Array => p.Value.EnumerateArray().Select(a => a.GetInt32()).ToArray(),
                _ => throw new ArgumentException($"kwarg {p.Name}: {p.Value.ValueKind}"),
            });
        return k;
    }

    /// <summary>
    /// Same shape; same dtype (PyTorch's int64 is Interp's int32); NaN exactly where PyTorch has NaN, the same infinities;
    /// finite values within rtol·(scale + |expected|), scale the tensor's largest finite magnitude (at least 1; rtol
    /// 1e-5 for float32, 1e-10 for float64). The sign of a zero is not compared. A tensor of <see cref="Deliberate"/>
    /// must differ instead (returns true); a random case's entry allows only NaN where PyTorch is finite.
    /// </summary>
    static bool AssertClose(string what, Tensor expected, Tensor actual, string torchDType, bool ilgpu)
    {
        var why = DeliberateReason(what, ilgpu);
        if (!ShapeUtil.SameShape(expected.ShapeArray, actual.ShapeArray))
        {
            Assert.True(why is not null, $"{what}: shape {ShapeUtil.Format(actual.ShapeArray)}, PyTorch has {ShapeUtil.Format(expected.ShapeArray)}");
            return true;
        }
        var want = torchDType switch { "F64" => DType.Float64, "F32" => DType.Float32, _ => DType.Int32 };
        Assert.True(actual.DType == want, $"{what}: dtype {actual.DType.Name()}, PyTorch has {torchDType}");
        double rtol = want == DType.Float32 ? 1e-5 : want == DType.Float64 ? 1e-10 : 0;
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        double scale = Math.Max(1, e.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max());
        var bad = new List<int>();
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = double.IsNaN(e[i]) ? double.IsNaN(a[i])
                : double.IsInfinity(e[i]) ? e[i] == a[i]
                : double.IsFinite(a[i]) && Math.Abs(a[i] - e[i]) <= rtol * (scale + Math.Abs(e[i]));
            if (!ok) bad.Add(i);
        }
        string shown = string.Join("; ", bad.Take(6).Select(i => $"[{i}] Interp {a[i]:G9}, PyTorch {e[i]:G9}"));
        if (why is not null && what.StartsWith("random_", StringComparison.Ordinal))
        {
            Assert.True(bad.All(i => double.IsNaN(a[i]) && !double.IsNaN(e[i])), $"{what}: differs from PyTorch other than by a NaN ({why}): {shown}");
            return bad.Count > 0;
        }
        if (why is not null)
        {
            Assert.True(bad.Count > 0, $"{what} now matches PyTorch: remove it from NumFuzzTests.Deliberate ({why})");
            return true;
        }
        Assert.True(bad.Count == 0, $"{what}: {bad.Count} of {e.Length} differ: {shown}");
        return false;
    }
}
