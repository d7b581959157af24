namespace Interp;

/// <summary>
/// Seeded random numbers (xoshiro256**, seeded through splitmix64). Tensor.ManualSeed(seed) resets the default
/// generator, so the same seed gives the same tensors, as torch.manual_seed does (the streams differ from PyTorch's).
/// </summary>
public sealed class Generator
{
    ulong s0, s1, s2, s3;
    double? spareNormal;

    public Generator(ulong seed) => Seed(seed);

    public void Seed(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
        spareNormal = null;
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)((NextULong() >> 33) * (ulong)n >> 31);

    /// <summary>Standard normal by the Box–Muller transform (pairs; the second value is kept for the next call).</summary>
    public double NextNormal()
    {
        if (spareNormal is double s) { spareNormal = null; return s; }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>The full state, for checkpoints: restoring it continues the same stream.</summary>
    public ulong[] GetState() => [s0, s1, s2, s3, spareNormal is double d ? 1UL : 0UL, (ulong)BitConverter.DoubleToInt64Bits(spareNormal ?? 0)];

    public void SetState(ulong[] state)
    {
        if (state.Length != 6) throw new ArgumentException($"Generator.SetState: expected 6 words, got {state.Length}");
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
        spareNormal = state[4] != 0 ? BitConverter.Int64BitsToDouble((long)state[5]) : null;
    }

    [ThreadStatic] static Generator? defaultGen;

    /// <summary>The default generator of this thread (seed 0 until ManualSeed is called).</summary>
    public static Generator Default => defaultGen ??= new Generator(0);
}
