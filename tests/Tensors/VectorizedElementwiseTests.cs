using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>The SIMD float32 tanh and gelu_tanh against the scalar path (a strided view) and a float64 reference.</summary>
public class VectorizedElementwiseTests
{
    /// <summary>Random values over many scales (both signs), with the branch points and special values mixed in.</summary>
    static float[] Values()
    {
        var rng = new Random(7);
        var v = new List<float> { 0f, -0f, 1e-30f, -1e-30f, 1e-3f, -1e-3f, 0.999e-3f, 1.001e-3f, 0.5f, -0.5f, 1f, -1f, 9f, -9f, 10.5f, -10.5f,
            44f, -44f, 88f, -88f, 1e20f, -1e20f, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN };
        for (int i = 0; i < 200_003; i++) v.Add((float)((rng.Next(2) * 2 - 1) * Math.Pow(10, rng.NextDouble() * 10 - 8)));
        for (int i = 0; i < 50_000; i++) v.Add((float)(rng.NextDouble() * 24 - 12));
        return v.ToArray();
    }

    static void AssertClose(string what, float[] x, float[] expected, float[] actual, double rtol, double atol)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = (double.IsNaN(e) && double.IsNaN(a)) || e == a || Math.Abs(a - e) <= atol + rtol * Math.Abs(e);
            Assert.True(ok, $"{what}({x[i]:G9}): {a:G9}, expected {e:G9}");
        }
    }

    /// <summary>f on a contiguous tensor (SIMD) and on a stride-2 view of the same values (scalar path).</summary>
    static (float[] Simd, float[] Scalar) BothPaths(float[] x, Func<Tensor, Tensor> f)
    {
        var simd = f(Tensor.FromArray(x)).ToFloatArray();
        var pairs = Tensor.Stack([Tensor.FromArray(x), Tensor.FromArray(x)], 1);   // [n, 2]
        var strided = pairs.Select(1, 0);
        Assert.Equal(2, strided.Strides[0]);
        return (simd, f(strided).ToFloatArray());
    }

    [Fact]
    public void TanhFloat32SimdMatchesTheScalarPathAndFloat64()
    {
        var x = Values();
        var (simd, scalar) = BothPaths(x, t => t.Tanh());
        AssertClose("tanh vs scalar", x, scalar, simd, 1e-6, 0);
        AssertClose("tanh vs float64", x, x.Select(v => (float)Math.Tanh(v)).ToArray(), simd, 1e-6, 0);
    }

    [Fact]
    public void GeluTanhFloat32SimdMatchesTheScalarPathAndFloat64()
    {
        var x = Values();
        var (simd, scalar) = BothPaths(x, t => t.Gelu("tanh"));
        // float64 reference in the cancellation-prone textbook form; the atol covers results below float's normal range
        var reference = x.Select(v =>
        {
            double d = v, u = 0.7978845608028654 * (d + 0.044715 * d * d * d);
            return (float)(d < -5 ? d / (1 + Math.Exp(-2 * u)) : 0.5 * d * (1 + Math.Tanh(u)));
        }).ToArray();
        AssertClose("gelu_tanh vs scalar", x, scalar, simd, 1e-6, 1e-37);
        AssertClose("gelu_tanh vs float64", x, reference, simd, 1e-6, 1e-37);
    }

    [Fact]
    public void FusedBackwardOpsAreTheTwoPassCompositionToTheBit()
    {
        // g·sign(x) (ReLU's and abs's backward) and g·gelu'(x) (GELU's) in one pass: the same bits as the two ops,
        // on the SIMD path and the strided scalar path, special values included
        var x = Values();
        var g = x.Select((v, i) => i % 7 == 0 ? float.NaN : (float)Math.Cos(i)).ToArray();
        var (tx, tg) = (Tensor.FromArray(x), Tensor.FromArray(g));
        var backend = tx.Backend;
        AssertSameBits("g·sign(x)", x, backend.Binary(Backends.BinaryOp.MulSign, tg, tx).ToFloatArray(), (tg * backend.Unary(Backends.UnaryOp.Sign, tx)).ToFloatArray());
        AssertSameBits("g·gelu'(x)", x, backend.Binary(Backends.BinaryOp.GeluBackward, tg, tx).ToFloatArray(), (tg * backend.Unary(Backends.UnaryOp.GeluGrad, tx)).ToFloatArray());
        var strided = Tensor.Stack([tx, tx], 1).Select(1, 0);
        AssertSameBits("g·gelu'(x) strided", x, backend.Binary(Backends.BinaryOp.GeluBackward, tg, strided).ToFloatArray(), (tg * backend.Unary(Backends.UnaryOp.GeluGrad, tx)).ToFloatArray());
        var (dx, dg) = (tx.To(DType.Float64), tg.To(DType.Float64));
        Assert.Equal((dg * backend.Unary(Backends.UnaryOp.GeluGrad, dx)).ToDoubleArray(), backend.Binary(Backends.BinaryOp.GeluBackward, dg, dx).ToDoubleArray());
        // a broadcast scalar gradient (sum's backward) takes the wide lanes too, and a part too short for them the narrow ones
        var scalarG = Tensor.Scalar(0.75f).Expand(x.Length);
        AssertSameBits("0.75·gelu'(x)", x, backend.Binary(Backends.BinaryOp.GeluBackward, scalarG, tx).ToFloatArray(),
            (Tensor.Full([x.Length], 0.75f) * backend.Unary(Backends.UnaryOp.GeluGrad, tx)).ToFloatArray());
        var short15 = tx.Narrow(0, 0, 15);
        AssertSameBits("g·gelu'(x) 15", x[..15], backend.Binary(Backends.BinaryOp.GeluBackward, tg.Narrow(0, 0, 15), short15).ToFloatArray(),
            (tg.Narrow(0, 0, 15) * backend.Unary(Backends.UnaryOp.GeluGrad, short15)).ToFloatArray());
    }

    [Fact]
    public void GeluLanes512AreThe256BitLanesToTheBit()
    {
        // the 512-bit GELU twins (VMath512) repeat the 256-bit lanes' operations in order: same bits, special values
        // included, and an odd length so both loops' tails run; where AVX-512 is absent both runs take the 256-bit lanes
        var t = Tensor.FromArray(Values());
        foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[] { ("gelu", x => x.Gelu()), ("gelu_tanh", x => x.Gelu("tanh")) })
        {
            var wide = f(t).ToFloatArray();
            bool saved = Backends.CpuBackend.WideElementwise;
            Backends.CpuBackend.WideElementwise = false;
            try { AssertSameBits(name + " 512 vs 256 lanes", Values(), wide, f(t).ToFloatArray()); }
            finally { Backends.CpuBackend.WideElementwise = saved; }
        }
    }

    static void AssertSameBits(string what, float[] x, float[] a, float[] b)
    {
        for (int i = 0; i < x.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]) || (float.IsNaN(a[i]) && float.IsNaN(b[i])),
                $"{what}({x[i]:G9}): {a[i]:G9} vs {b[i]:G9}");
    }

    static Tensor GeluGradOf(Tensor t)
    {
        var leaf = t.Detach().RequiresGrad_();
        leaf.Gelu().Sum().Backward();
        return leaf.Grad!;
    }

    [Fact]
    public void SignSimdIsTheScalarPathToTheBit()
    {
        var x = Values();
        var (simd, scalar) = BothPaths(x, t => t.Sign());
        for (int i = 0; i < x.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(simd[i]) == BitConverter.SingleToInt32Bits(scalar[i]) || (float.IsNaN(simd[i]) && float.IsNaN(scalar[i])),
                $"sign({x[i]:G9}): {simd[i]:G9} vs {scalar[i]:G9}");
        Assert.Equal([1f, -1f, 0f], new[] { simd[12], simd[13], simd[0] });   // 9, -9, 0
        Assert.True(float.IsNegative(simd[1]) && simd[1] == 0);                // -0 stays -0
    }

    [Fact]
    public void Float32GeluAndItsGradientAreTheFloat64OnesToFiveUlps()
    {
        // float32 exact GELU runs in float lanes (VMath.NormalCdf: fitted erf and erfc, e^(−x²/2) with x² split in two);
        // float64 keeps 1 + erf(x/√2), which cancels to 0 below x ≈ −8.5, so the comparison stops at −5.5, where the
        // float64 reference is still good to 1e-9. The gradient Φ + x·φ cancels near its root (x ≈ −0.75): 1e-7 absolute.
        // Both float32 paths are checked: contiguous (eight lanes at a time) and a stride-2 view (element by element).
        var x = Values().Where(v => float.IsFinite(v) && v > -5.5f && v < 1e6f).ToArray();
        var x64 = Tensor.FromArray(x.Select(v => (double)v).ToArray(), [x.Length]).RequiresGrad_();
        var y64 = x64.Gelu();
        y64.Sum().Backward();
        var (simd, scalar) = BothPaths(x, t => t.Gelu());
        AssertUlps("gelu f32 vs f64", x, y64.ToDoubleArray(), simd, 5, 1e-37);
        AssertUlps("gelu f32 (strided) vs f64", x, y64.ToDoubleArray(), scalar, 5, 1e-37);
        var (gradSimd, gradScalar) = BothPaths(x, GeluGradOf);
        AssertUlps("gelu' f32 vs f64", x, x64.Grad!.ToDoubleArray(), gradSimd, 5, 1e-7);
        AssertUlps("gelu' f32 (strided) vs f64", x, x64.Grad!.ToDoubleArray(), gradScalar, 5, 1e-7);
    }

    static void AssertUlps(string what, float[] x, double[] expected, float[] actual, double ulps, double atol)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float e = (float)expected[i];
            double ulp = Math.Abs(MathF.BitIncrement(Math.Abs(e)) - Math.Abs(e));
            double err = Math.Abs(actual[i] - expected[i]);
            Assert.True(err <= ulps * ulp || err <= atol, $"{what}({x[i]:G9}): {actual[i]:G9}, expected {expected[i]:G17} ({err / ulp:F2} ulps)");
        }
    }
}
