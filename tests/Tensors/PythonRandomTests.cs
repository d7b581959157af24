using System.Numerics;
using System.Text.Json;
using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>PythonRandom against CPython's own values (tests/fixtures/python_random.json, made by make_python_random_fixtures.py).</summary>
public class PythonRandomTests
{
    static JsonElement Fixture => PythonRandomFixture.Root;

    public static IEnumerable<object[]> Seeds() => Fixture.GetProperty("seeds").EnumerateArray().Select(s => new object[] { s.GetProperty("seed").GetString()! });

    static JsonElement Case(string seed) => Fixture.GetProperty("seeds").EnumerateArray().Single(s => s.GetProperty("seed").GetString() == seed);

    static BigInteger Big(JsonElement e) => BigInteger.Parse(e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText());

    [Fact]
    public void SeedZeroGivesPythonsFirstRandom()
    {
        Assert.Equal(0.8444218515250481, new PythonRandom(0).Random());
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomMatchesCPython(string seed)
    {
        var rng = new PythonRandom(BigInteger.Parse(seed));
        foreach (var v in Case(seed).GetProperty("random").EnumerateArray())
            Assert.Equal(double.Parse(v.GetString()!, System.Globalization.CultureInfo.InvariantCulture), rng.Random());
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void GetRandBitsMatchesCPython(string seed)
    {
        var rng = new PythonRandom(BigInteger.Parse(seed));
        foreach (var row in Case(seed).GetProperty("getrandbits").EnumerateArray())
        {
            int k = row[0].GetInt32();
            var value = rng.GetRandBits(k);
            Assert.Equal(Big(row[1]), value);
            Assert.True(value.Sign >= 0 && value.GetBitLength() <= k);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandBelowAndRandRangeMatchCPython(string seed)
    {
        var rng = new PythonRandom(BigInteger.Parse(seed));
        var intRng = new PythonRandom(BigInteger.Parse(seed));
        foreach (var row in Case(seed).GetProperty("randbelow").EnumerateArray())
        {
            var n = Big(row[0]);
            Assert.Equal(Big(row[1]), rng.RandBelow(n));
            if (n <= int.MaxValue) Assert.Equal((int)Big(row[1]), intRng.RandBelow((int)n));   // the int path draws the same bits
            else intRng.RandBelow(n);
        }
        rng.Seed(BigInteger.Parse(seed));
        foreach (var row in Case(seed).GetProperty("randrange").EnumerateArray())
            Assert.Equal(Big(row[2]), rng.RandRange(Big(row[0]), Big(row[1])));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ShuffleMatchesCPython(string seed)
    {
        foreach (var expected in Case(seed).GetProperty("shuffles").EnumerateArray())
        {
            var values = Enumerable.Range(0, expected.GetProperty("n").GetInt32()).ToArray();
            new PythonRandom(BigInteger.Parse(seed)).Shuffle(values);
            PythonRandomFixture.AssertSameOrder(expected, values);
        }
    }

    [Fact]
    public void ReseedingRestartsTheStreamAndTheSignOfTheSeedIsIgnored()
    {
        var rng = new PythonRandom(42);
        var first = Enumerable.Range(0, 5).Select(_ => rng.NextUInt32()).ToArray();
        rng.Seed(-42);
        Assert.Equal(first, Enumerable.Range(0, 5).Select(_ => rng.NextUInt32()));
    }

    [Fact]
    public void BadBoundsAreRefusedWithTheirValues()
    {
        var rng = new PythonRandom(0);
        Assert.Contains("randrange(0)", Assert.Throws<ArgumentOutOfRangeException>(() => rng.RandBelow(0)).Message);
        Assert.Contains("randrange(5, 5)", Assert.Throws<ArgumentOutOfRangeException>(() => rng.RandRange(5, 5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.GetRandBits(-1));
    }
}
