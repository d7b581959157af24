using System.Text.Json;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Models;

/// <summary>config.json: TransformerLens's key names on write; those, and the old PascalCase names, on read.</summary>
public class TransformerConfigJsonTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"interp-config-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    static readonly TransformerConfig Unusual = new()
    {
        NLayers = 2, DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, DVocab = 11, NCtx = 12, ActFn = "gelu",
        Normalization = "LNPre", PositionalEmbedding = "shortformer", TiedUnembed = true, UseAttnBias = false,
        UseUnembedBias = false, UseAttnResult = false, Eps = 1e-6, Seed = 7, InitRange = 0.3, Dtype = DType.Float64,
    };

    static readonly TransformerConfig AttnOnlyWithoutNorm = new()
    {
        NLayers = 1, DModel = 8, NHeads = 2, DHead = 4, DVocab = 11, NCtx = 12, Normalization = "none",
    };

    [Fact]
    public void SaveWritesTransformerLensKeysAndLoadGivesTheSameModel()
    {
        var model = new HookedTransformer(Unusual);
        model.Save(dir);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json"))).RootElement;
        var keys = json.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["n_layers", "d_model", "n_heads", "d_head", "d_mlp", "d_vocab", "n_ctx", "act_fn", "normalization_type",
            "positional_embedding_type", "attn_only", "tie_word_embeddings", "use_attn_result", "eps", "seed", "initializer_range",
            "dtype", "use_attn_bias", "use_unembed_bias"], keys);
        Assert.Equal(16, json.GetProperty("d_mlp").GetInt32());
        Assert.Equal("LNPre", json.GetProperty("normalization_type").GetString());
        Assert.Equal("float64", json.GetProperty("dtype").GetString());

        var loaded = HookedTransformer.Load(dir);
        Assert.Equal(Unusual, loaded.Config);
        var tokens = Tensor.RandInt(0, 11, [2, 5], new Generator(3));
        Assert.Equal(model.Forward(tokens).ToDoubleArray(), loaded.Forward(tokens).ToDoubleArray());
    }

    [Fact]
    public void AttentionOnlyAndNoNormAreWrittenAsTransformerLensDoes()
    {
        string text = JsonSerializer.Serialize(AttnOnlyWithoutNorm);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.True(json.GetProperty("attn_only").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("d_mlp").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("normalization_type").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("initializer_range").ValueKind);
        Assert.Equal(AttnOnlyWithoutNorm, JsonSerializer.Deserialize<TransformerConfig>(text));
    }

    [Fact]
    public void AnOldPascalCaseConfigStillLoads()
    {
        new HookedTransformer(Unusual).Save(dir);
        // what config.json held before it had TransformerLens's names (System.Text.Json's defaults: property names,
        // the dtype enum as a number, the computed properties too)
        File.WriteAllText(Path.Combine(dir, "config.json"), """
            {
              "NLayers": 2, "DModel": 8, "NHeads": 2, "DHead": 4, "DMlp": 16, "DVocab": 11, "NCtx": 12,
              "ActFn": "gelu", "Normalization": "LNPre", "PositionalEmbedding": "shortformer", "TiedUnembed": true,
              "UseAttnBias": false, "UseUnembedBias": false, "UseAttnResult": false, "Eps": 1E-06, "Seed": 7,
              "InitRange": 0.3, "Dtype": 1, "AttnOnly": false, "HasNorm": true, "Shortformer": true, "InitStd": 0.3
            }
            """);
        Assert.Equal(Unusual, HookedTransformer.Load(dir).Config);

        var old = """{"NLayers": 1, "DModel": 8, "NHeads": 2, "DHead": 4, "DMlp": 0, "DVocab": 11, "NCtx": 12, "Normalization": "none", "InitRange": null, "Dtype": 0}""";
        Assert.Equal(AttnOnlyWithoutNorm, JsonSerializer.Deserialize<TransformerConfig>(old));
    }

    [Fact]
    public void ATransformerLensConfigLoadsAndBadOnesNameTheKey()
    {
        // as TransformerLens writes it: many keys this library has no use for, torch's dtype name, -1 for "default"
        var tl = """
            {"n_layers": 1, "d_model": 8, "n_ctx": 12, "d_head": 4, "model_name": "custom", "n_heads": 2, "d_mlp": null,
             "act_fn": null, "d_vocab": 11, "eps": 1e-05, "use_attn_result": true, "normalization_type": null,
             "device": "cpu", "attn_only": true, "seed": null, "initializer_range": -1.0, "positional_embedding_type": "standard",
             "d_vocab_out": 11, "dtype": "torch.float32", "n_params": 256}
            """;
        Assert.Equal(AttnOnlyWithoutNorm, JsonSerializer.Deserialize<TransformerConfig>(tl));

        Assert.Contains("d_model", Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TransformerConfig>("""{"n_layers": 1}""")).Message);
        var badType = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TransformerConfig>(tl.Replace("\"eps\": 1e-05", "\"eps\": \"small\"")));
        Assert.Contains("eps", badType.Message);
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir).FullName, "model.safetensors"), "");
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"n_layers": 1}""");
        Assert.Contains("d_model", Assert.Throws<InvalidDataException>(() => HookedTransformer.Load(dir)).Message);
    }

    [Theory]
    [InlineData("d_vocab", 5_000_000, "embed.W_E")]
    [InlineData("n_ctx", 5_000_000, "pos_embed.W_pos")]
    [InlineData("d_mlp", 5_000_000, "mlp.W_in")]
    [InlineData("n_layers", 100_000, "blocks.99999.attn.W_Q")]
    [InlineData("d_model", 1_000_000, "embed.W_E")]
    public void ConfigSizesAreCheckedAgainstTheWeightsBeforeAllocating(string key, int value, string named)
    {
        new HookedTransformer(Unusual with { TiedUnembed = false }).Save(dir);
        string path = Path.Combine(dir, "config.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        json[key] = value;
        File.WriteAllText(path, json.ToJsonString());
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => HookedTransformer.Load(dir));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the refusal allocated the parameters first");
        Assert.Contains(named, e.Message);
        Assert.Contains("config.json", e.Message);
    }
}
