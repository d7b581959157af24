using System.Text.Json;
using Interp.IO;
using Interp.Tests.Autograd.Ops;
using Xunit;

namespace Interp.Tests.FixtureOps;

/// <summary>The checked-in fixture list and fixture file follow the op table, so the table stays the one source of truth.</summary>
public class FixtureListTests
{
    /// <summary>tests/fixtures/op_specs.json in the source tree (found above the test assembly).</summary>
    static string SourcePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Interp.sln")))
                return System.IO.Path.Combine(dir.FullName, "tests", "fixtures", "op_specs.json");
        throw new FileNotFoundException("no Interp.sln above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void OpSpecsJsonIsTheTables()
    {
        string path = SourcePath(), rendered = OpSpecsJson.Render();
        if (Environment.GetEnvironmentVariable("INTERP_WRITE_OP_SPECS") == "1") File.WriteAllText(path, rendered);
        Assert.True(File.Exists(path) && File.ReadAllText(path) == rendered,
            $"{path} differs from the op table: run this test with INTERP_WRITE_OP_SPECS=1, then /usr/bin/python3 tests/fixtures/make_op_fixtures.py");
    }

    [Fact]
    public void OpsSafetensorsHoldsEveryFixtureOfTheTable()
    {
        using var file = SafeTensorsFile.Open(FixtureFiles.PathOf("ops.safetensors"));
        var inFile = JsonSerializer.Deserialize<string[]>(file.Metadata["__cases__"])!.Order(StringComparer.Ordinal);
        var inTable = OpTable.Specs.Values.Where(s => s.Torch is not null).SelectMany(s => s.Fixtures).Select(f => f.Name).Order(StringComparer.Ordinal);
        Assert.Equal(inTable, inFile);
    }
}
