using FsCheck.Xunit;
using Interp.Autograd;
using Xunit;

namespace Interp.Tests.Autograd.Ops;

/// <summary>matmul's values beyond the table's gradient checks (MatMulSpecs.cs): the bias written by the GEMM.</summary>
public class MatMulTests
{
    [Property(MaxTest = 25)]
    public void ABiasInTheGemmGivesThePlainSum(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 4), k = d.Int(1, 4), n = d.Int(1, 4);
        var batchA = d.Shape(0, 2, 3);
        var batchB = d.Int(0, 1) == 1 ? [] : d.BroadcastPartner(batchA);
        bool transposed = d.Int(0, 1) == 1;
        var a = transposed ? d.Tensor([.. batchA, k, m]).MT : d.Tensor([.. batchA, m, k]);
        var (b, bias) = (d.Tensor([.. batchB, k, n]), d.Tensor([n]));
        var (fused, plain) = (a.MatMul(b, bias).ToDoubleArray(), (a.MatMul(b) + bias).ToDoubleArray());
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], fused[i], 1e-12);
    }

    [Property(MaxTest = 25)]
    public void ReluInTheGemmGivesTheComposedOpsAndTheirGradients(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 5), k = d.Int(1, 5), n = d.Int(1, 5);
        var batchA = d.Shape(0, 2, 3);
        bool transposed = d.Int(0, 1) == 1;
        var a = (transposed ? d.Tensor([.. batchA, k, m]).MT : d.Tensor([.. batchA, m, k])).Detach().RequiresGrad_();
        var (b, bias) = (d.Tensor([k, n]).RequiresGrad_(), d.Tensor([n]).RequiresGrad_());
        var upstream = d.Tensor([.. batchA, m, n]);
        var fused = a.MatMulRelu(b, bias);
        (fused * upstream).Sum().Backward();
        var fusedGrads = new[] { a.Grad!, b.Grad!, bias.Grad! }.Select(g => g.ToDoubleArray()).ToArray();
        (a.Grad, b.Grad, bias.Grad) = (null, null, null);
        var plain = (a.MatMul(b) + bias).Relu();
        (plain * upstream).Sum().Backward();
        Close(plain.ToDoubleArray(), fused.ToDoubleArray());
        foreach (var (got, want) in fusedGrads.Zip(new[] { a.Grad!, b.Grad!, bias.Grad! }))
            Close(want.ToDoubleArray(), got);
    }

    // a weight used transposed (Linear's x·Wᵀ, with and without a bias, batched inputs or not) gets its gradient made
    // in its own layout: contiguous, and equal to Aᵀ·G computed element by element here
    [Property(MaxTest = 25)]
    public void ATransposedWeightGetsAContiguousGradientEqualToAtG(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 5), k = d.Int(1, 5), n = d.Int(1, 5);
        var batch = d.Shape(0, 2, 3);
        var a = d.Tensor([.. batch, m, k]);
        var (w, bias) = (d.Tensor([n, k]).RequiresGrad_(), d.Tensor([n]));
        var upstream = d.Tensor([.. batch, m, n]);
        var y = d.Int(0, 1) == 1 ? a.MatMul(w.MT, bias) : a.MatMul(w.MT);
        (y * upstream).Sum().Backward();
        Assert.True(w.Grad!.IsContiguous);
        var (av, gv, got) = (a.Reshape(-1, k).ToDoubleArray(), upstream.Reshape(-1, n).ToDoubleArray(), w.Grad.ToDoubleArray());
        int rows = av.Length / k;
        for (int o = 0; o < n; o++)
            for (int i = 0; i < k; i++)
            {
                double want = 0;
                for (int r = 0; r < rows; r++) want += gv[r * n + o] * av[r * k + i];
                Assert.Equal(want, got[o * k + i], 1e-12);
            }
    }

    static void Close(double[] want, double[] got)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-12);
    }

    [Fact]
    public void TheFusedReluBackwardMatchesMulSignAndAColumnSum()
    {
        // 700 rows: three blocks of the kernel's 256, run in parallel; zeros, a NaN and an infinity in y
        var gen = new Generator(5);
        var g = Tensor.Randn([700, 37], gen);
        var y = Tensor.Randn([700, 37], gen).Relu();
        var yv = y.ToDoubleArray();
        yv[5] = double.NaN; yv[40] = double.PositiveInfinity;
        y = Tensor.FromArray(yv.Select(v => (float)v).ToArray(), [700, 37]);
        var (d, biasGrad) = g.Backend.ReluBackwardWithBiasGrad(g, y);
        var want = g.Backend.Binary(Backends.BinaryOp.MulSign, g, y);
        Assert.Equal(want.ToDoubleArray(), d.ToDoubleArray());
        var wantSum = want.To(DType.Float64).Sum(0).ToDoubleArray();
        var gotSum = biasGrad.ToDoubleArray();
        for (int j = 0; j < wantSum.Length; j++)
            if (double.IsNaN(wantSum[j])) Assert.True(double.IsNaN(gotSum[j]));
            else Assert.Equal(wantSum[j], gotSum[j], 1e-4);
    }

    [Fact]
    public void TheTwoPartReluBackwardAddsThePartsAsTheEngineWould()
    {
        // 700 rows: three blocks of 256 in parallel; zeros in y from the ReLU, a NaN and an infinity
        var gen = new Generator(6);
        var (g1, g2) = (Tensor.Randn([700, 37], gen), Tensor.Randn([700, 37], gen));
        var yv = Tensor.Randn([700, 37], gen).Relu().ToDoubleArray();
        yv[5] = double.NaN; yv[40] = double.PositiveInfinity;
        var y = Tensor.FromArray(yv.Select(v => (float)v).ToArray(), [700, 37]);
        var (d, biasGrad) = g1.Backend.ReluBackwardWithBiasGrad(g1, g2, y);
        var (want, wantBias) = g1.Backend.ReluBackwardWithBiasGrad(g1 + g2, y);
        Assert.Equal(want.ToDoubleArray(), d.ToDoubleArray());
        Assert.Equal(wantBias.ToDoubleArray(), biasGrad.ToDoubleArray());
        // the ILGPU backend's composition (add, then the one-part kernel) gives the same
        var onDevice = g1.To(Device.IlgpuCpu).Backend.ReluBackwardWithBiasGrad(g1.To(Device.IlgpuCpu), g2.To(Device.IlgpuCpu), y.To(Device.IlgpuCpu));
        Assert.Equal(want.ToDoubleArray(), onDevice.Grad.To(Device.Cpu).ToDoubleArray());
        var deviceBias = onDevice.BiasGrad.To(Device.Cpu).ToDoubleArray();
        for (int j = 0; j < 37; j++)
            if (double.IsNaN(wantBias.ToDoubleArray()[j])) Assert.True(double.IsNaN(deviceBias[j]));
            else Assert.Equal(wantBias.ToDoubleArray()[j], deviceBias[j], 1e-3);
    }

    /// <summary>An SAE's shape of graph: the encoder's output read by the decoder and by the L1 penalty, so its gradient
    /// arrives in two parts (three with <paramref name="thirdReader"/>).</summary>
    static Tensor SaeLoss(Tensor x, Tensor wEnc, Tensor bEnc, Tensor wDec, bool fused, bool thirdReader, Action<Tensor>? onF = null)
    {
        var f = fused ? x.MatMulRelu(wEnc, bEnc) : (x.MatMul(wEnc) + bEnc).Relu();
        onF?.Invoke(f);
        var loss = f.MatMul(wDec).Square().Sum() + f.Norm(1, 1).Sum();
        return thirdReader ? loss + (f * f).Sum() : loss;
    }

    [Property(MaxTest = 20)]
    public void AGradientInTwoPartsGivesTheComposedOpsGradients(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 6), k = d.Int(1, 5), n = d.Int(1, 6);
        bool third = d.Int(0, 1) == 1;
        var (x, wEnc, bEnc, wDec) = (d.Tensor([m, k]).RequiresGrad_(), d.Tensor([k, n]).RequiresGrad_(), d.Tensor([n]).RequiresGrad_(), d.Tensor([n, 3]).RequiresGrad_());
        var leaves = new[] { x, wEnc, bEnc, wDec };
        List<double[]> Grads(bool fused)
        {
            foreach (var t in leaves) t.Grad = null;
            SaeLoss(x, wEnc, bEnc, wDec, fused, third).Backward();
            return leaves.Select(t => t.Grad!.ToDoubleArray()).ToList();
        }
        foreach (var (got, want) in Grads(fused: true).Zip(Grads(fused: false))) Close(want, got);
    }

    [Fact]
    public void AGradientInTwoPartsMatchesFiniteDifferences()
    {
        var gen = new Generator(11);
        var x = Tensor.Randn([5, 4], gen, DType.Float64);
        var leaves = new[] { Tensor.Randn([4, 6], gen, DType.Float64), Tensor.Randn([6], gen, DType.Float64), Tensor.Randn([6, 3], gen, DType.Float64) };
        GradCheck.Assert(w => SaeLoss(x, w[0], w[1], w[2], fused: true, thirdReader: false), leaves);
    }

    [Fact]
    public void HooksAndRetainedGradsStillSeeTheSumOfTheParts()
    {
        var gen = new Generator(12);
        var x = Tensor.Randn([6, 4], gen, DType.Float64);
        var (wEnc, bEnc, wDec) = (Tensor.Randn([4, 5], gen, DType.Float64).RequiresGrad_(), Tensor.Randn([5], gen, DType.Float64).RequiresGrad_(), Tensor.Randn([5, 3], gen, DType.Float64).RequiresGrad_());
        Tensor? plainF = null;
        SaeLoss(x, wEnc, bEnc, wDec, fused: false, thirdReader: false, f => plainF = f.RetainGrad()).Backward();
        var (wantF, wantW) = (plainF!.Grad!.ToDoubleArray(), wEnc.Grad!.ToDoubleArray());
        wEnc.Grad = null;
        Tensor? seen = null, retained = null;
        SaeLoss(x, wEnc, bEnc, wDec, fused: true, thirdReader: false, f => f.RegisterHook(g => { seen = g; return g * 2; })).Backward();
        Close(wantF, seen!.ToDoubleArray());
        Close(wantW.Select(v => 2 * v).ToArray(), wEnc.Grad!.ToDoubleArray());   // the hook's doubled gradient went on
        SaeLoss(x, wEnc, bEnc, wDec, fused: true, thirdReader: false, f => retained = f.RetainGrad()).Backward();
        Close(wantF, retained!.Grad!.ToDoubleArray());
    }

    [Fact]
    public void AnEmptyInnerDimGivesTheBias()
    {
        var bias = Tensor.FromArray([1.5, -2.0, 3.0]);
        var y = Tensor.Zeros([2, 0], DType.Float64).MatMul(Tensor.Zeros([0, 3], DType.Float64), bias);
        Assert.Equal(bias.Expand(2, 3).ToDoubleArray(), y.ToDoubleArray());
    }
}
