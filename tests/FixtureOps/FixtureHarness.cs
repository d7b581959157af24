using Interp.IO;
using Interp.Tests.Autograd.Ops;
using Xunit;

namespace Interp.Tests.FixtureOps;

/// <summary>
/// Every case of tests/fixtures/ops.safetensors: the op table's forward (tests/Autograd/Ops) on PyTorch's inputs gives
/// PyTorch's output and input gradients. The cases are the table's fixtures, made by make_op_fixtures.py from
/// tests/fixtures/op_specs.json.
/// </summary>
public class PyTorchFixtureTests
{
    static readonly string Path = FixtureFiles.PathOf("ops.safetensors");

    public static IEnumerable<object[]> Cases() => FixtureFiles.CaseRows(Path);

    [Theory, MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        using var file = SafeTensorsFile.Open(Path);
        var (spec, fixture) = OpTable.Fixture(name);
        var leaves = spec.Inputs.Select(input => file.Contains($"{name}.in.{input.Name}") ? Load(file, $"{name}.in.{input.Name}", grad: true) : null).ToArray();
        var y = new Instance(spec, fixture.Call, leaves).Run();
        AssertClose(name + ".out", Load(file, name + ".out"), y);
        if (!file.Contains(name + ".gout")) return;
        y.Backward(Load(file, name + ".gout"));
        for (int i = 0; i < leaves.Length; i++)
        {
            string grad = $"{name}.grad.{spec.Inputs[i].Name}";
            if (leaves[i] is not { } x || !file.Contains(grad)) continue;
            Assert.True(x.Grad is not null, $"{name}: no gradient reached input '{spec.Inputs[i].Name}'");
            AssertClose(grad, Load(file, grad), x.Grad!);
        }
    }

    static Tensor Load(SafeTensorsFile file, string name, bool grad = false)
    {
        var t = FixtureFiles.Load(file, name);
        if (grad && t.DType.IsFloatingPoint()) t.RequiresGrad = true;
        return t;
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
