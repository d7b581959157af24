using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Interp.Tests;

/// <summary>tests/fixtures/python_random.json (made by make_python_random_fixtures.py with CPython) and how it records orders.</summary>
public static class PythonRandomFixture
{
    public static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(FixtureFiles.PathOf("python_random.json"))).RootElement;

    /// <summary>SHA-256 of the values joined by "," in ASCII, lower-case hex, as the fixture script hashes them.</summary>
    public static string Digest(IEnumerable<int> values) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Join(",", values))));

    /// <summary>Checks a shuffled order against the fixture's record of it (all values, or the first 50 and a hash).</summary>
    public static void AssertSameOrder(JsonElement expected, int[] actual)
    {
        Assert.Equal(expected.GetProperty("n").GetInt32(), actual.Length);
        if (expected.TryGetProperty("values", out var values))
            Assert.Equal(values.EnumerateArray().Select(v => v.GetInt32()), actual);
        else
        {
            Assert.Equal(expected.GetProperty("first").EnumerateArray().Select(v => v.GetInt32()), actual.Take(50));
            Assert.Equal(expected.GetProperty("sha256").GetString(), Digest(actual));
        }
    }
}
