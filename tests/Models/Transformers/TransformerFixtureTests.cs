using System.Text.Json;
using Interp.IO;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Models.Transformers;

/// <summary>The model against tests/fixtures/transformer.safetensors (a PyTorch transcription of TransformerLens's forward pass).</summary>
public class TransformerFixtureTests
{
    static readonly string FixturePath = FixtureFiles.PathOf("transformer.safetensors");

    public static IEnumerable<object[]> Cases() => FixtureFiles.CaseRows(FixturePath);

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogitsAndEveryHookMatchTheReference(string name)
    {
        using var f = SafeTensorsFile.Open(FixturePath);
        var cfg = JsonSerializer.Deserialize<TransformerConfig>(f.Metadata[name])! with { Dtype = DType.Float64 };
        var model = new HookedTransformer(cfg);
        string prefix = name + ":";
        model.LoadStateDict(model.StateDict().Keys.ToDictionary(k => k, k => FixtureFiles.Load(f, prefix + k)));
        Assert.Equal(f.Names.Count(n => n.StartsWith(prefix) && !n.Contains(":hook:") && !n.EndsWith(":tokens") && !n.EndsWith(":logits")),
            model.StateDict().Count);

        var (logits, cache) = model.RunWithCache(FixtureFiles.Load(f, prefix + "tokens"));
        AssertClose(FixtureFiles.Load(f, prefix + "logits"), logits, "logits");
        var hookNames = f.Names.Where(n => n.StartsWith(prefix + "hook:")).Select(n => n[(prefix.Length + 5)..]).ToList();
        Assert.Equal(hookNames.Order(), cache.Names.Order());
        foreach (var hook in hookNames) AssertClose(FixtureFiles.Load(f, prefix + "hook:" + hook), cache[hook], hook);
    }

    /// <summary>Equal to 1e-10; −∞ (TransformerLens's causal mask) matches anything at or below the model's mask value.</summary>
    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        for (int i = 0; i < e.Length; i++)
            if (double.IsNegativeInfinity(e[i])) Assert.True(a[i] <= Attention.MaskValue, $"{what}[{i}]: {a[i]}, expected masked");
            else Assert.True(Math.Abs(e[i] - a[i]) <= 1e-10 * (1 + Math.Abs(e[i])), $"{what}[{i}]: {a[i]}, expected {e[i]}");
    }
}
