using System.Text.Json;
using Interp.IO;

namespace Interp.Tests;

/// <summary>The committed fixture files (tests/fixtures, copied beside the test assembly) and their case lists.</summary>
public static class FixtureFiles
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>The `__cases__` list in a fixture file's metadata, as xunit MemberData rows.</summary>
    public static IEnumerable<object[]> CaseRows(string path)
    {
        using var f = SafeTensorsFile.Open(path);
        return JsonSerializer.Deserialize<string[]>(f.Metadata["__cases__"])!.Select(c => new object[] { c }).ToArray();
    }
}
