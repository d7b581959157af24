using System.Text.Json;
using Interp.IO;

namespace Interp.Tests;

/// <summary>The committed fixture files (tests/fixtures, copied beside the test assembly) and their case lists.</summary>
public static class FixtureFiles
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>A tensor of a fixture file, optionally a leaf that requires grad.</summary>
    public static Tensor Load(SafeTensorsFile file, string name, bool requiresGrad = false) =>
        TensorIO.Read(file, name, requiresGrad: requiresGrad);

    /// <summary>The `__cases__` list in a fixture file's metadata, as xunit MemberData rows.</summary>
    public static IEnumerable<object[]> CaseRows(string path)
    {
        using var f = SafeTensorsFile.Open(path);
        return JsonSerializer.Deserialize<string[]>(f.Metadata["__cases__"])!.Select(c => new object[] { c }).ToArray();
    }
}
