using System.Security.Cryptography;
using System.Text.Json;
using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>TorchRandom against PyTorch's own draws (tests/fixtures/torch_random.json, made by make_torch_random_fixtures.py).</summary>
public class TorchRandomTests
{
    static readonly JsonElement Fixture = JsonDocument.Parse(File.ReadAllText(FixtureFiles.PathOf("torch_random.json"))).RootElement;

    public static IEnumerable<object[]> Seeds() => Fixture.GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("seed").GetUInt64() });

    static byte[] Bytes(Tensor t) => t.DType == DType.Float32
        ? t.ToFloatArray().SelectMany(BitConverter.GetBytes).ToArray()
        : t.ToDoubleArray().SelectMany(BitConverter.GetBytes).ToArray();

    [Theory]
    [MemberData(nameof(Seeds))]
    public void EveryDrawIsPyTorchsBitForBit(ulong seed)
    {
        var c = Fixture.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("seed").GetUInt64() == seed);
        var rng = new TorchRandom(seed);
        foreach (var d in c.GetProperty("draws").EnumerateArray())
        {
            int[] shape = d.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var dtype = d.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32;
            var t = d.GetProperty("op").GetString() == "rand" ? rng.Rand(shape, dtype) : rng.Randn(shape, dtype);
            string what = $"seed {seed}: {d.GetProperty("op").GetString()}({string.Join(", ", shape)}, {dtype})";
            Assert.True(shape.SequenceEqual(t.ShapeArray), what);
            var bytes = Bytes(t);
            int width = dtype == DType.Float32 ? 4 : 8;
            var first = d.GetProperty("first").EnumerateArray().Select(e => e.GetString()!).ToArray();
            for (int i = 0; i < first.Length; i++)
                Assert.True(first[i] == Convert.ToHexStringLower(bytes.AsSpan(i * width, width).ToArray().Reverse().ToArray()), $"{what}: value {i}");
            Assert.True(d.GetProperty("sha256").GetString() == Convert.ToHexStringLower(SHA256.HashData(bytes)), $"{what}: SHA-256 of all {t.Numel} values");
        }
    }

    [Fact]
    public void ManualSeedRestartsTheStreamAndDropsTheCachedNormal()
    {
        var rng = new TorchRandom(5);
        var a = rng.Randn(3).ToFloatArray();   // three scalar samples: the third leaves a cached sine behind
        rng.ManualSeed(5);
        Assert.Equal(a, rng.Randn(3).ToFloatArray());
    }

    [Fact]
    public void CephesFunctionsAreCloseToLibm()
    {
        // avx_mathfun's polynomials are accurate to a few float32 ulps over the range Box-Muller uses
        for (int i = 1; i <= 1 << 16; i++)
        {
            float u = i / 65536f;
            Assert.True(Math.Abs(TorchRandom.CephesLog(u) - Math.Log(u)) <= 4e-7 * Math.Max(1, Math.Abs(Math.Log(u))), $"log({u})");
            float theta = 2 * MathF.PI * u;
            var (s, c) = TorchRandom.CephesSinCos(theta);
            Assert.True(Math.Abs(s - Math.Sin(theta)) < 1e-6 && Math.Abs(c - Math.Cos(theta)) < 1e-6, $"sincos({theta})");
        }
    }

    [Fact]
    public void NonFloatDTypeIsRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new TorchRandom(0).Randn([2], DType.Int32));
        Assert.Contains("TorchRandom.Randn", e.Message);
    }
}
