using System.Text.Json;
using Interp.IO;
using Xunit;

namespace Interp.Tests.Models.IO;

/// <summary>JSON outputs never hold NaN or Infinity: JsonFile writes them as null, and reads null back as NaN.</summary>
public sealed class JsonFileTests : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    public static TheoryData<double> NonFinite => [double.NaN, double.PositiveInfinity, double.NegativeInfinity];

    [Theory, MemberData(nameof(NonFinite))]
    public void ANonFiniteNumberIsWrittenAsNullAndTheFileIsStrictJson(double value)
    {
        string path = tmp.File("metrics.json");
        JsonFile.Write(path, new { loss = value, single = (float)value, maybe = (double?)value, list = new[] { 1.0, value }, ok = 0.5 });
        string text = File.ReadAllText(path);
        Assert.DoesNotContain("NaN", text);
        Assert.DoesNotContain("Infinity", text);
        using var doc = JsonDocument.Parse(text);   // the strict reader (no named literals) takes it
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("loss").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("single").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("maybe").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("list")[1].ValueKind);
        Assert.Equal(0.5, root.GetProperty("ok").GetDouble());
    }

    sealed record Figures(double Loss, double Accuracy);

    [Fact]
    public void NullIsReadBackAsNaN()
    {
        var back = JsonSerializer.Deserialize<Figures>(JsonFile.Serialize(new Figures(double.NaN, 0.25)), JsonFile.Options)!;
        Assert.True(double.IsNaN(back.Loss));
        Assert.Equal(0.25, back.Accuracy);
    }
}
