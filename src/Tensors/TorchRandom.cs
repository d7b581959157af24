namespace Interp;

/// <summary>
/// PyTorch's CPU generator after <c>torch.manual_seed(seed)</c>, and <c>torch.rand</c> / <c>torch.randn</c> drawn from it,
/// bit for bit (PyTorch 1.13 on a CPU where ATen runs its AVX2 kernels, as `torch.__config__.show()` says; tested
/// against values that PyTorch wrote, tests/fixtures/torch_random.json). It exists to start from the weights a PyTorch
/// script makes from a seed (e.g. the EIS VII challenge's <c>torch.manual_seed(0)</c>) without running PyTorch;
/// Interp's own randomness is <see cref="Generator"/>.
/// <para>
/// The draws, as ATen writes them (aten/src/ATen/core/DistributionsHelper.h, native/cpu/DistributionTemplates.h):
/// MT19937 seeded by init_genrand with the seed's low 32 bits. A float32 uniform is (r &amp; (2²⁴ − 1)) · 2⁻²⁴ from one
/// 32-bit output r; a float64 uniform is (r64 &amp; (2⁵³ − 1)) · 2⁻⁵³ from r64 = (first output &lt;&lt; 32) | second.
/// <c>randn</c> of 16 or more elements fills the tensor with uniforms u, then turns each block of 16 into normals by
/// Box–Muller, pairing u[j] with u[j + 8]: r = √(−2 ln(1 − u[j])), θ = 2π · u[j + 8], out[j] = r cos θ,
/// out[j + 8] = r sin θ; when the count is not a multiple of 16, the last 16 elements are drawn again and redone.
/// In float32 the logarithm, sine and cosine are avx_mathfun's Cephes polynomials (<see cref="CephesLog"/>,
/// <see cref="CephesSinCos"/>) with the multiply-adds GCC fused; in float64 they are libm's. Fewer than 16 elements
/// draw one normal_distribution&lt;double&gt; sample each, Box–Muller on two float64 uniforms (r from the second,
/// θ from the first), the sine kept for the next draw.
/// </para>
/// </summary>
public sealed class TorchRandom
{
    readonly Mt19937 mt = new();
    double? nextNormal;   // the sine half of the last scalar Box–Muller pair (ATen's next_double_normal_sample)

    /// <summary>A generator in the state <c>torch.manual_seed(seed)</c> leaves PyTorch's default CPU generator in.</summary>
    public TorchRandom(ulong seed) => ManualSeed(seed);

    /// <summary><c>torch.manual_seed(seed)</c>: MT19937's init_genrand from the seed's low 32 bits; the cached normal is dropped.</summary>
    public void ManualSeed(ulong seed)
    {
        mt.InitGenrand((uint)seed);
        nextNormal = null;
    }

    /// <summary>The next raw 32-bit output (ATen's <c>random()</c>).</summary>
    public uint NextUInt32() => mt.NextUInt32();

    /// <summary>ATen's <c>random64()</c>: two outputs, the first in the high word.</summary>
    public ulong NextUInt64()
    {
        ulong hi = mt.NextUInt32(), lo = mt.NextUInt32();
        return hi << 32 | lo;
    }

    float UniformFloat() => (mt.NextUInt32() & 0xFFFFFF) * (1f / 16777216f);

    double UniformDouble() => (NextUInt64() & ((1UL << 53) - 1)) * (1.0 / 9007199254740992.0);

    /// <summary><c>torch.rand(shape, dtype=...)</c> on the CPU: uniforms in [0, 1).</summary>
    public Tensor Rand(int[] shape, DType dtype = DType.Float32) => dtype switch
    {
        DType.Float32 => Tensor.FromArray(Fill(shape, UniformFloat), shape),
        DType.Float64 => Tensor.FromArray(Fill(shape, UniformDouble), shape),
        _ => throw new ArgumentException($"TorchRandom.Rand: dtype {dtype} is not a floating type (float32 or float64)", nameof(dtype)),
    };

    /// <summary><c>torch.randn(shape, dtype=...)</c> on the CPU: standard normals, as PyTorch draws them.</summary>
    public Tensor Randn(int[] shape, DType dtype = DType.Float32)
    {
        int n = Count(shape);
        if (dtype == DType.Float32)
        {
            var data = n >= 16 ? NormalFill(n, UniformFloat, BoxMuller16Float) : Fill(shape, () => (float)ScalarNormal());
            return Tensor.FromArray(data, shape);
        }
        if (dtype == DType.Float64)
            return Tensor.FromArray(n >= 16 ? NormalFill(n, UniformDouble, BoxMuller16Double) : Fill(shape, ScalarNormal), shape);
        throw new ArgumentException($"TorchRandom.Randn: dtype {dtype} is not a floating type (float32 or float64)", nameof(dtype));
    }

    /// <summary><c>torch.randn(*shape)</c> in float32.</summary>
    public Tensor Randn(params int[] shape) => Randn(shape, DType.Float32);

    static int Count(int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"TorchRandom: negative dimension in shape [{string.Join(", ", shape)}]", nameof(shape));
            n *= d;
        }
        if (n > Array.MaxLength) throw new ArgumentException($"TorchRandom: shape [{string.Join(", ", shape)}] has too many elements", nameof(shape));
        return (int)n;
    }

    static T[] Fill<T>(int[] shape, Func<T> draw)
    {
        var data = new T[Count(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = draw();
        return data;
    }

    /// <summary>ATen's normal_fill: uniforms for every element, Box–Muller per block of 16, the ragged tail drawn again.</summary>
    static T[] NormalFill<T>(int n, Func<T> uniform, Action<Span<T>> boxMuller16)
    {
        var data = new T[n];
        for (int i = 0; i < n; i++) data[i] = uniform();
        for (int i = 0; i + 16 <= n; i += 16) boxMuller16(data.AsSpan(i, 16));
        if (n % 16 != 0)
        {
            var tail = data.AsSpan(n - 16, 16);
            for (int i = 0; i < 16; i++) tail[i] = uniform();
            boxMuller16(tail);
        }
        return data;
    }

    // normal_fill_16_AVX2: 2π and the products in float32, ln/sin/cos from avx_mathfun.
    static void BoxMuller16Float(Span<float> u)
    {
        const float TwoPi = (float)(2 * Math.PI);
        for (int j = 0; j < 8; j++)
        {
            float radius = MathF.Sqrt(-2f * CephesLog(1f - u[j]));
            var (sin, cos) = CephesSinCos(TwoPi * u[j + 8]);
            u[j] = radius * cos;
            u[j + 8] = radius * sin;
        }
    }

    // normal_fill_16<double>: libm's log, cos and sin.
    static void BoxMuller16Double(Span<double> u)
    {
        for (int j = 0; j < 8; j++)
        {
            double radius = Math.Sqrt(-2 * Math.Log(1 - u[j]));
            double theta = 2.0 * Math.PI * u[j + 8];
            u[j] = radius * Math.Cos(theta);
            u[j + 8] = radius * Math.Sin(theta);
        }
    }

    // normal_distribution<double>: r = √(−2 ln(1 − u2)), θ = 2π u1; returns r cos θ and keeps r sin θ for the next call.
    double ScalarNormal()
    {
        if (nextNormal is double cached) { nextNormal = null; return cached; }
        double u1 = UniformDouble(), u2 = UniformDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(1.0 - u2)), theta = 2.0 * Math.PI * u1;
        nextNormal = r * Math.Sin(theta);
        return r * Math.Cos(theta);
    }

    static readonly float[] LogP = [7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f,
        1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f];

    /// <summary>
    /// avx_mathfun's log256_ps for x in (0, 1] and beyond (Cephes logf): x = m · 2^e with m in [√½, √2), then
    /// ln x = e · ln 2 + (m − 1) − (m − 1)²/2 + (m − 1)³ P(m − 1), ln 2 split in two parts (q2 + q1) for precision.
    /// </summary>
    public static float CephesLog(float x)
    {
        x = MathF.Max(x, BitConverter.Int32BitsToSingle(0x00800000));   // the smallest normal float
        int bits = BitConverter.SingleToInt32Bits(x);
        float e = (bits >>> 23) - 0x7f;
        x = BitConverter.Int32BitsToSingle((bits & ~0x7f800000) | 0x3f000000);   // the mantissa in [0.5, 1)
        e += 1f;
        bool small = x < 0.707106781186547524f;
        float tmp = small ? x : 0f;
        x -= 1f;
        e -= small ? 1f : 0f;
        x += tmp;
        float z = x * x, y = LogP[0];
        for (int i = 1; i < LogP.Length; i++) y = MathF.FusedMultiplyAdd(y, x, LogP[i]);
        y *= x;
        y = MathF.FusedMultiplyAdd(y, z, e * -2.12194440e-4f);
        y = MathF.FusedMultiplyAdd(-z, 0.5f, y);
        return MathF.FusedMultiplyAdd(e, 0.693359375f, x + y);
    }

    /// <summary>
    /// avx_mathfun's sincos256_ps (Cephes sinf/cosf): j = the octant of |x| rounded up to even, x reduced by j · π/4 in
    /// three parts, then the sine and cosine polynomials on [−π/4, π/4], swapped and signed by the octant.
    /// </summary>
    public static (float Sin, float Cos) CephesSinCos(float x)
    {
        uint signSin = BitConverter.SingleToUInt32Bits(x) & 0x80000000u;
        x = MathF.Abs(x);
        int j = (int)(x * 1.27323954473516f);   // 4/π, truncated as cvttps does
        j = (j + 1) & ~1;
        float y = j;
        uint swapSin = (uint)(j & 4) << 29;
        bool sinFromSinPoly = (j & 2) == 0;
        x = MathF.FusedMultiplyAdd(y, -0.78515625f, x);
        x = MathF.FusedMultiplyAdd(y, -2.4187564849853515625e-4f, x);
        x = MathF.FusedMultiplyAdd(y, -3.77489497744594108e-8f, x);
        uint signCos = (uint)(~(j - 2) & 4) << 29;
        signSin ^= swapSin;
        float z = x * x;
        float cos = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(2.443315711809948E-005f, z, -1.388731625493765E-003f), z, 4.166664568298827E-002f);
        cos = MathF.FusedMultiplyAdd(cos * z, z, -(z * 0.5f)) + 1f;
        float sin = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(-1.9515295891E-4f, z, 8.3321608736E-3f), z, -1.6666654611E-1f);
        sin = MathF.FusedMultiplyAdd(sin * z, x, x);
        var (s, c) = sinFromSinPoly ? (sin, cos) : (cos, sin);
        return (BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(s) ^ signSin),
                BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(c) ^ signCos));
    }
}
