using System.Text.Json;
using Interp.IO;
using Interp.Optim;
using Xunit;

namespace Interp.Tests.Autograd.Optim;

/// <summary>
/// Optimizer trajectories against torch.optim (tests/fixtures/optim.safetensors, made by make_optim_fixtures.py):
/// 5 steps on a float64 linear regression, loss = mean((x·wᵀ + b − y)²).
/// </summary>
public class OptimizerTests
{
    static readonly string FixturePath = FixtureFiles.PathOf("optim.safetensors");

    public static IEnumerable<object[]> Cases() => FixtureFiles.CaseRows(FixturePath);

    sealed class Problem
    {
        public readonly Tensor X, Y, W, B;
        public readonly JsonElement Meta;
        public readonly double[][] ExpectedW, ExpectedB;
        public readonly double[]? ExpectedNorms;

        public Problem(string name)
        {
            using var f = SafeTensorsFile.Open(FixturePath);
            X = FixtureFiles.Load(f, "x");
            Y = FixtureFiles.Load(f, "y");
            W = FixtureFiles.Load(f, "w0", requiresGrad: true);
            B = FixtureFiles.Load(f, "b0", requiresGrad: true);
            Meta = JsonDocument.Parse(f.Metadata[name]).RootElement;
            ExpectedW = Rows(f.ReadFloat64(name + ".w"), W.Numel);
            ExpectedB = Rows(f.ReadFloat64(name + ".b"), B.Numel);
            if (f.Contains(name + ".norm")) ExpectedNorms = f.ReadFloat64(name + ".norm");
        }

        static double[][] Rows(double[] flat, int n) => flat.Chunk(n).ToArray();

        public double? Clip => Meta.GetProperty("clip").ValueKind == JsonValueKind.Null ? null : Meta.GetProperty("clip").GetDouble();

        double Arg(string key, double fallback) => Meta.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;

        public Optimizer MakeOptimizer()
        {
            Tensor[] ps = [W, B];
            double lr = Arg("lr", 0);
            var betas = Meta.TryGetProperty("betas", out var bt) ? (bt[0].GetDouble(), bt[1].GetDouble()) : (0.9, 0.999);
            return Meta.GetProperty("optim").GetString() switch
            {
                "sgd" => new Sgd(ps, lr, Arg("momentum", 0), Arg("dampening", 0), Arg("weight_decay", 0),
                    Meta.TryGetProperty("nesterov", out var n) && n.GetBoolean()),
                "adam" => new Adam(ps, lr, betas, Arg("eps", 1e-8), Arg("weight_decay", 0)),
                "adamw" => new AdamW(ps, lr, betas, Arg("eps", 1e-8), Arg("weight_decay", 0.01)),
                var o => throw new InvalidDataException($"unknown optimizer {o}"),
            };
        }

        /// <summary>zero_grad, backward, clip (when the case clips), step; returns the clip norm or NaN.</summary>
        public double TakeStep(Optimizer opt)
        {
            opt.ZeroGrad();
            (X.MatMul(W.T) + B - Y).Square().Mean().Backward();
            double norm = Clip is double c ? GradClip.ClipGradNorm([W, B], c) : double.NaN;
            opt.Step();
            return norm;
        }
    }

    static void AssertClose(string what, double[] expected, double[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-12 + 1e-5 * Math.Abs(expected[i]),
                $"{what}[{i}]: Interp {actual[i]:G17}, PyTorch {expected[i]:G17}");
    }

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTorchOptimOverFiveSteps(string name)
    {
        var p = new Problem(name);
        var opt = p.MakeOptimizer();
        for (int s = 0; s < p.ExpectedW.Length; s++)
        {
            double norm = p.TakeStep(opt);
            if (p.ExpectedNorms is { } norms) AssertClose($"{name} norm step {s + 1}", [norms[s]], [norm]);
            AssertClose($"{name} w step {s + 1}", p.ExpectedW[s], p.W.ToDoubleArray());
            AssertClose($"{name} b step {s + 1}", p.ExpectedB[s], p.B.ToDoubleArray());
        }
    }

    [Theory]
    [InlineData("sgd_momentum")]
    [InlineData("adam_wd_betas")]
    [InlineData("adamw")]
    public void ExportedStateResumesTheSameTrajectory(string name)
    {
        var first = new Problem(name);
        var opt = first.MakeOptimizer();
        first.TakeStep(opt);
        first.TakeStep(opt);
        var state = opt.ExportState();

        var resumed = new Problem(name);   // fresh parameters, then the values and state after step 2
        using (Interp.Autograd.GradMode.NoGrad())
        {
            resumed.W.Backend.Copy(first.W, resumed.W);
            resumed.B.Backend.Copy(first.B, resumed.B);
        }
        var opt2 = resumed.MakeOptimizer();
        opt2.ImportState(state);
        for (int s = 2; s < resumed.ExpectedW.Length; s++)
        {
            resumed.TakeStep(opt2);
            AssertClose($"{name} resumed w step {s + 1}", resumed.ExpectedW[s], resumed.W.ToDoubleArray());
        }
    }

    [Fact]
    public void AdamStateHasTorchNamesAndStepCounts()
    {
        var p = new Problem("adam");
        var opt = p.MakeOptimizer();
        p.TakeStep(opt);
        p.TakeStep(opt);
        var state = opt.ExportState();
        Assert.Equal(["state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step", "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.step"],
            state.Keys.Order().ToArray());
        Assert.Equal(2.0, state["state.1.step"].Item());
    }

    [Fact]
    public void Float32ParametersFollowTheFloat64Trajectory()
    {
        var w64 = Tensor.FromArray([0.5, -1.0, 2.0, 0.25], requiresGrad: true);
        var w32 = Tensor.FromArray([0.5f, -1.0f, 2.0f, 0.25f], requiresGrad: true);
        var o64 = new AdamW([w64], lr: 0.1);
        var o32 = new AdamW([w32], lr: 0.1);
        for (int s = 0; s < 5; s++)
        {
            o64.ZeroGrad(); o32.ZeroGrad();
            (w64 * w64 * w64).Sum().Backward();
            (w32 * w32 * w32).Sum().Backward();
            o64.Step(); o32.Step();
        }
        var a64 = w64.ToDoubleArray();
        var a32 = w32.ToDoubleArray();
        for (int i = 0; i < 4; i++) Assert.True(Math.Abs(a64[i] - a32[i]) <= 1e-5 * Math.Max(1, Math.Abs(a64[i])), $"element {i}: {a32[i]} vs {a64[i]}");
    }

    [Fact]
    public void ParametersWithoutGradientsAreLeftAlone()
    {
        var a = Tensor.FromArray([1.0, 2], requiresGrad: true);
        var b = Tensor.FromArray([3.0, 4], requiresGrad: true);
        var opt = new Adam([a, b], lr: 0.1);
        (a * a).Sum().Backward();
        opt.Step();
        Assert.Equal([3.0, 4], b.ToDoubleArray());
        Assert.DoesNotContain("state.1.step", opt.ExportState().Keys);
        opt.ZeroGrad();
        Assert.Null(a.Grad);
    }

    /// <summary>
    /// A parameter that is a strided view (columns 1..3 of a [4, 6] matrix, as W_Q is a block of c_attn) takes the same
    /// steps, to the bit, as a dense copy of it, and the rest of the matrix stays as it was; an expanded view, whose
    /// elements repeat, is refused.
    /// </summary>
    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void StridedParametersTakeTheStepsOfDenseOnes(string name)
    {
        var matrix = Tensor.Randn([4, 6], gen: new Generator(3));
        var before = matrix.ToFloatArray();
        var strided = matrix.Narrow(1, 1, 3);
        strided.RequiresGrad = true;
        var dense = strided.Detach().Clone();
        dense.RequiresGrad = true;
        Assert.False(strided.IsContiguous);
        var target = Tensor.Randn([4, 3], gen: new Generator(4));
        Optimizer Make(Tensor p) => name switch
        {
            "sgd" => new Sgd([p], lr: 0.1, momentum: 0.9),
            "adam" => new Adam([p], lr: 0.05),
            _ => new AdamW([p], lr: 0.05, weightDecay: 0.1),
        };
        foreach (var p in new[] { strided, dense })
        {
            var opt = Make(p);
            for (int step = 0; step < 3; step++)
            {
                opt.ZeroGrad();
                ((p - target) * (p - target)).Sum().Backward();
                opt.Step();
            }
        }
        Assert.Equal(dense.ToFloatArray(), strided.ToFloatArray());
        Assert.NotEqual(before[1], matrix.ToFloatArray()[1]);
        var after = matrix.ToFloatArray();
        for (int i = 0; i < 4; i++)
            foreach (int j in new[] { 0, 4, 5 })
                Assert.Equal(before[i * 6 + j], after[i * 6 + j]);

        var expanded = Tensor.Randn([1, 3]).Expand([2, 3]);
        expanded.RequiresGrad = true;
        Assert.Contains("reached twice", Assert.Throws<ArgumentException>(() => Make(expanded)).Message);
    }

    [Fact]
    public void IsNonOverlappingTellsViewsThatRepeatAnElement()
    {
        var m = Tensor.Randn([4, 6]);
        Assert.True(m.IsNonOverlapping);
        Assert.True(m.T.IsNonOverlapping);
        Assert.True(m.Narrow(1, 2, 3).IsNonOverlapping);
        Assert.True(m.Reshape(4, 2, 3).Permute(1, 0, 2).IsNonOverlapping);
        Assert.False(m.Narrow(0, 0, 1).Expand([3, 6]).IsNonOverlapping);
        Assert.False(new Tensor(m.Storage, [3, 3], [2, 1]).IsNonOverlapping);   // rows 2 apart, 3 long: they share elements
        Assert.True(new Tensor(m.Storage, [3, 2], [3, 1]).IsNonOverlapping);    // rows 3 apart, 2 long: gaps between
    }

    [Fact]
    public void LearningRateCanBeChangedBetweenSteps()
    {
        var w = Tensor.FromArray([1.0], requiresGrad: true);
        var opt = new Sgd([w], lr: 0.5);
        w.Sum().Backward();
        opt.Step();                       // 1 − 0.5
        opt.LearningRate = 0.25;
        opt.Step();                       // same gradient, − 0.25
        Assert.Equal(0.25, w.Item(), 12);
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheOpName()
    {
        var w = Tensor.FromArray([1.0], requiresGrad: true);
        Assert.Contains("sgd: nesterov", Assert.Throws<ArgumentException>(() => new Sgd([w], 0.1, nesterov: true)).Message);
        Assert.Contains("adam: betas", Assert.Throws<ArgumentException>(() => new Adam([w], betas: (1.0, 0.9))).Message);
        Assert.Contains("adamw: parameters must be", Assert.Throws<ArgumentException>(() => new AdamW([Tensor.FromArray([1.0])])).Message);
        Assert.Contains("empty parameter list", Assert.Throws<ArgumentException>(() => new Sgd([], 0.1)).Message);
        Assert.Contains("import_state", Assert.Throws<ArgumentException>(() =>
            new Adam([w]).ImportState(new Dictionary<string, Tensor> { ["state.0.exp_avg"] = Tensor.Zeros([3], DType.Float64) })).Message);
    }

    [Fact]
    public void ClipGradNormLeavesSmallGradientsUnchanged()
    {
        var w = Tensor.FromArray([3.0, 4.0], requiresGrad: true);
        (w * w).Sum().Backward();                       // grad [6, 8], norm 10
        Assert.Equal(10.0, GradClip.ClipGradNorm([w], 20), 12);
        Assert.Equal([6.0, 8.0], w.Grad!.ToDoubleArray());
        Assert.Equal(10.0, GradClip.ClipGradNorm([w], 5), 12);
        var g = w.Grad!.ToDoubleArray();
        Assert.Equal(5.0, Math.Sqrt(g[0] * g[0] + g[1] * g[1]), 5);
    }

    [Fact]
    public void SchedulesWarmUpThenDecay()
    {
        var cos = LrSchedule.WarmupCosine(10, 110, 0.1);
        Assert.Equal(0.1, cos(0), 12);
        Assert.Equal(1.0, cos(9), 12);
        Assert.Equal(1.0, cos(10), 12);
        Assert.Equal(0.55, cos(60), 12);
        Assert.Equal(0.1, cos(110), 12);
        Assert.Equal(0.1, cos(500), 12);
        var lin = LrSchedule.WarmupLinear(4, 14);
        Assert.Equal(0.25, lin(0), 12);
        Assert.Equal(1.0, lin(4), 12);
        Assert.Equal(0.5, lin(9), 12);
        Assert.Equal(0.0, lin(20), 12);
        Assert.Throws<ArgumentException>(() => LrSchedule.WarmupCosine(5, 3));
    }

    [Fact]
    public void Float32_adam_is_the_scalar_double_formula_to_the_bit()
    {
        // the kernel takes eight float32 elements at a time (AVX-512), then four (AVX), then the tail one by one; each
        // must be the update computed in double and rounded to float32 once per stored value, as this reference does
        const int n = 8 * 1000 + 4 + 3;
        var gen = new Generator(21);
        var w = Tensor.Randn([n], gen).RequiresGrad_();
        var (lr, b1, b2, eps, wd) = (0.01, 0.9, 0.999, 1e-8, 0.1);
        var opt = new AdamW([w], lr, (b1, b2), eps, wd);
        var p = w.ToFloatArray();
        var (m, v) = (new float[n], new float[n]);
        for (int step = 1; step <= 3; step++)
        {
            var g = Tensor.Randn([n], gen);
            w.Grad = g;
            opt.Step();
            var gv = g.ToFloatArray();
            double stepSize = lr / (1 - Math.Pow(b1, step)), invC2 = 1 / Math.Sqrt(1 - Math.Pow(b2, step)), decay = 1 - lr * wd;
            for (int i = 0; i < n; i++)
            {
                double x = p[i] * decay, gi = gv[i];
                double mi = b1 * m[i] + (1 - b1) * gi, vi = b2 * v[i] + (1 - b2) * gi * gi;
                (m[i], v[i]) = ((float)mi, (float)vi);
                p[i] = (float)(x - stepSize * mi / (Math.Sqrt(vi) * invC2 + eps));
            }
            Assert.Equal(p, w.ToFloatArray());
        }
    }
}
