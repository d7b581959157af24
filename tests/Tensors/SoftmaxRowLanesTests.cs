using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>
/// Float32 softmax, log_softmax and cross-entropy rows on both kernel families: the 512-bit lanes with VMath512's exp and
/// the 256-bit lanes with the library's exp, each against float64 (rows of many lengths, to cross the 4096-element blocks
/// and leave tails, with huge, tiny, equal, masked and NaN values).
/// </summary>
public class SoftmaxRowLanesTests
{
    static readonly int[] Lengths = [1, 3, 16, 17, 100, 517, 4100];

    /// <summary>A row of n values: normal ones, with the specials of <paramref name="kind"/> mixed in.</summary>
    static float[] Row(int n, int kind, Random rng)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 30 - 15);
        if (kind == 1) for (int i = 0; i < n; i += 3) v[i] = -1e30f;                  // masked keys (the attention mask value)
        if (kind == 2) for (int i = 0; i < n; i++) v[i] = 1e4f + (float)rng.NextDouble();   // far from zero, close together
        if (kind == 3) Array.Fill(v, 2.5f);                                            // all equal
        if (kind == 4 && n > 1) v[n / 2] = float.NegativeInfinity;
        return v;
    }

    static void BothFamilies(Action check)
    {
        check();
        bool saved = Backends.CpuBackend.WideElementwise;
        Backends.CpuBackend.WideElementwise = false;
        try { check(); }
        finally { Backends.CpuBackend.WideElementwise = saved; }
    }

    static void AssertClose(string what, double[] expected, float[] actual, double rtol, double atol)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(actual[i] == expected[i] || Math.Abs(actual[i] - expected[i]) <= atol + rtol * Math.Abs(expected[i]), $"{what}[{i}]: {actual[i]:G9}, expected {expected[i]:G17}");
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxMatchFloat64OnBothFamilies()
    {
        var rng = new Random(3);
        foreach (int n in Lengths)
            for (int kind = 0; kind < 5; kind++)
            {
                var x = Tensor.FromArray(Row(n, kind, rng), [1, n]);
                var x64 = x.To(DType.Float64);
                var (p, lp) = (x64.Softmax(-1).ToDoubleArray(), x64.LogSoftmax(-1).ToDoubleArray());
                BothFamilies(() =>
                {
                    AssertClose($"softmax n={n} kind={kind} wide={Backends.CpuBackend.WideElementwise}", p, x.Softmax(-1).ToFloatArray(), 2e-6, 1e-37);
                    AssertClose($"log_softmax n={n} kind={kind} wide={Backends.CpuBackend.WideElementwise}", lp, x.LogSoftmax(-1).ToFloatArray(), 2e-6, 2e-6);
                });
            }
    }

    [Fact]
    public void CrossEntropyAndItsGradientMatchFloat64OnBothFamilies()
    {
        var rng = new Random(5);
        foreach (int n in Lengths)
            for (int kind = 0; kind < 4; kind++)
            {
                var rows = Enumerable.Range(0, 3).SelectMany(_ => Row(n, kind, rng)).ToArray();
                var targets = Tensor.FromArray(Enumerable.Range(0, 3).Select(_ => rng.Next(n)).ToArray(), [3]);
                var x64 = Tensor.FromArray(rows, [3, n]).To(DType.Float64).RequiresGrad_();
                x64.CrossEntropy(targets, labelSmoothing: 0.1).Backward();
                var (loss, grad) = (x64.Detach().CrossEntropy(targets, labelSmoothing: 0.1).Item(), x64.Grad!.ToDoubleArray());
                BothFamilies(() =>
                {
                    var x = Tensor.FromArray(rows, [3, n]).RequiresGrad_();
                    var l = x.CrossEntropy(targets, labelSmoothing: 0.1);
                    l.Backward();
                    string what = $"n={n} kind={kind} wide={Backends.CpuBackend.WideElementwise}";
                    // float32 logits near 1e4 carry 1e-3 of rounding into m − mean(x), which label smoothing reads
                    double magnitude = rows.Where(v => v > -1e29f).Select(v => Math.Abs(v)).DefaultIfEmpty(0).Max();
                    AssertClose("cross_entropy " + what, [loss], [l.ToFloatArray()[0]], 1e-5, 1e-6 + 1e-7 * magnitude);
                    AssertClose("cross_entropy grad " + what, grad, x.Grad!.ToFloatArray(), 1e-5, 1e-7);
                });
            }
    }

    /// <summary>
    /// The row stats the forward keeps are each row's max and log Σ exp(x − max) (float64 reference), and the backward
    /// that reads them writes the same gradient, bit for bit, as the one that finds them again (ignored rows included).
    /// </summary>
    [Fact]
    public void CrossEntropyRowStatsAreTheMaxAndLogSumAndGiveTheSameGradient()
    {
        var rng = new Random(7);
        var cpu = Device.Cpu.Backend;
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (int n in Lengths)
                for (int kind = 0; kind < 4; kind++)
                {
                    var rows = Enumerable.Range(0, 4).SelectMany(_ => Row(n, kind, rng)).ToArray();
                    var x = Tensor.FromArray(rows, [4, n]).To(dtype);
                    var targets = Tensor.FromArray(new[] { rng.Next(n), -100, rng.Next(n), rng.Next(n) }, [4]);
                    var scale = Tensor.FromArray([0.5f, 1f, 2f, 0.25f], [4]).To(dtype);
                    BothFamilies(() =>
                    {
                        string what = $"{dtype.Name()} n={n} kind={kind} wide={Backends.CpuBackend.WideElementwise}";
                        var (loss, stats) = cpu.CrossEntropyRowsKeepingStats(x, targets, -100, 0.1);
                        Assert.Equal(cpu.CrossEntropyRows(x, targets, -100, 0.1).ToDoubleArray(), loss.ToDoubleArray());
                        var st = stats.ToDoubleArray();
                        foreach (int r in new[] { 0, 2, 3 })
                        {
                            var row = rows.Skip(r * n).Take(n).Select(v => (double)v).ToArray();
                            double m = row.Max();
                            Assert.Equal(m, st[2 * r]);
                            AssertClose("log-sum " + what, [Math.Log(row.Sum(v => Math.Exp(v - m)))], [(float)st[2 * r + 1]], 2e-6, 2e-6);
                        }
                        var without = cpu.CrossEntropyRowsBackward(x, targets, scale, -100, 0.1).ToDoubleArray();
                        Assert.Equal(without, cpu.CrossEntropyRowsBackward(x, targets, scale, -100, 0.1, stats).ToDoubleArray());
                    });
                }
    }

    [Fact]
    public void CrossEntropyRowStatsOfTheWrongShapeAreRefused()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        var targets = Tensor.FromArray(new[] { 0, 2 }, [2]);
        var scale = Tensor.FromArray([1f, 1f], [2]);
        var e = Assert.Throws<ArgumentException>(() => x.Backend.CrossEntropyRowsBackward(x, targets, scale, -100, 0, Tensor.Zeros([3, 2])));
        Assert.Contains("cross_entropy", e.Message);
        Assert.Contains("[2, 2]", e.Message);
        Assert.Throws<ArgumentException>(() => x.Backend.CrossEntropyRowsBackward(x, targets, scale, -100, 0, Tensor.Zeros([2, 2], DType.Float64)));
    }

    [Fact]
    public void ANaNSpoilsItsSoftmaxRowOnly()
    {
        var x = Tensor.FromArray([1f, float.NaN, 3f, 0.5f, 1f, 2f], [2, 3]);
        BothFamilies(() =>
        {
            var p = x.Softmax(-1).ToFloatArray();
            Assert.All(p[..3], v => Assert.True(float.IsNaN(v)));
            Assert.All(p[3..], v => Assert.False(float.IsNaN(v)));
        });
    }
}
