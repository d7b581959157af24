using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Interp.Transformers;

/// <summary>
/// config.json with TransformerLens's HookedTransformerConfig names (n_layers, d_model, ..., normalization_type null
/// for none, d_mlp null for attention-only) and snake_case for the two fields TransformerLens lacks (use_attn_bias,
/// use_unembed_bias). Reads those names and also the PascalCase ones (NLayers, DModel, ...) that config.json used to
/// have; other keys (a TransformerLens config has many) are ignored.
/// </summary>
internal sealed class TransformerConfigJson : JsonConverter<TransformerConfig>
{
    public override void Write(Utf8JsonWriter w, TransformerConfig c, JsonSerializerOptions options)
    {
        w.WriteStartObject();
        w.WriteNumber("n_layers", c.NLayers);
        w.WriteNumber("d_model", c.DModel);
        w.WriteNumber("n_heads", c.NHeads);
        w.WriteNumber("d_head", c.DHead);
        if (c.AttnOnly) w.WriteNull("d_mlp");
        else w.WriteNumber("d_mlp", c.DMlp);
        w.WriteNumber("d_vocab", c.DVocab);
        w.WriteNumber("n_ctx", c.NCtx);
        w.WriteString("act_fn", c.ActFn);
        if (c.HasNorm) w.WriteString("normalization_type", c.Normalization);
        else w.WriteNull("normalization_type");
        w.WriteString("positional_embedding_type", c.PositionalEmbedding);
        w.WriteBoolean("attn_only", c.AttnOnly);
        w.WriteBoolean("tie_word_embeddings", c.TiedUnembed);
        w.WriteBoolean("use_attn_result", c.UseAttnResult);
        w.WriteNumber("eps", c.Eps);
        w.WriteNumber("seed", c.Seed);
        if (c.InitRange is double r) w.WriteNumber("initializer_range", r);
        else w.WriteNull("initializer_range");
        w.WriteString("dtype", c.Dtype.Name());
        w.WriteBoolean("use_attn_bias", c.UseAttnBias);
        w.WriteBoolean("use_unembed_bias", c.UseUnembedBias);
        w.WriteEndObject();
    }

    public override TransformerConfig Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options)
    {
        if (JsonNode.Parse(ref reader) is not JsonObject o) throw new JsonException("a transformer config must be a JSON object");
        var c = new TransformerConfig
        {
            NLayers = Required(o, "n_layers", "NLayers"),
            DModel = Required(o, "d_model", "DModel"),
            NHeads = Required(o, "n_heads", "NHeads"),
            DHead = Required(o, "d_head", "DHead"),
            DVocab = Required(o, "d_vocab", "DVocab"),
            NCtx = Required(o, "n_ctx", "NCtx"),
        };
        bool attnOnly = Value<bool>(o, "attn_only", "AttnOnly") ?? false;
        bool hasNorm = o.ContainsKey("normalization_type") || o.ContainsKey("Normalization");
        return c with
        {
            DMlp = attnOnly ? 0 : Value<int>(o, "d_mlp", "DMlp") ?? 0,
            ActFn = Text(o, "act_fn", "ActFn") ?? c.ActFn,
            Normalization = hasNorm ? Text(o, "normalization_type", "Normalization") ?? "none" : c.Normalization,
            PositionalEmbedding = Text(o, "positional_embedding_type", "PositionalEmbedding") ?? c.PositionalEmbedding,
            TiedUnembed = Value<bool>(o, "tie_word_embeddings", "TiedUnembed") ?? c.TiedUnembed,
            UseAttnBias = Value<bool>(o, "use_attn_bias", "UseAttnBias") ?? c.UseAttnBias,
            UseUnembedBias = Value<bool>(o, "use_unembed_bias", "UseUnembedBias") ?? c.UseUnembedBias,
            UseAttnResult = Value<bool>(o, "use_attn_result", "UseAttnResult") ?? c.UseAttnResult,
            Eps = Value<double>(o, "eps", "Eps") ?? c.Eps,
            Seed = Value<ulong>(o, "seed", "Seed") ?? c.Seed,
            // TransformerLens writes -1 for "not set", which is our null (0.8/√d_model)
            InitRange = Value<double>(o, "initializer_range", "InitRange") is double r && r >= 0 ? r : null,
            Dtype = ReadDType(Pick(o, "dtype", "Dtype")) ?? c.Dtype,
        };
    }

    /// <summary>The value under the TransformerLens name, else under the old name; null where neither is there or it is null.</summary>
    static JsonNode? Pick(JsonObject o, string name, string oldName) =>
        o.TryGetPropertyValue(name, out var v) ? v : o.TryGetPropertyValue(oldName, out var old) ? old : null;

    static T? Value<T>(JsonObject o, string name, string oldName) where T : struct =>
        Pick(o, name, oldName) is { } node ? As<T>(node, name) : null;

    static string? Text(JsonObject o, string name, string oldName) =>
        Pick(o, name, oldName) is { } node ? As<string>(node, name) : null;

    static T As<T>(JsonNode node, string name)
    {
        try { return node.GetValue<T>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new JsonException($"'{name}' is not a {typeof(T).Name}: {node.ToJsonString()}", e);
        }
    }

    static int Required(JsonObject o, string name, string oldName) =>
        Value<int>(o, name, oldName) ?? throw new JsonException($"'{name}' is missing");

    /// <summary>"float32", TransformerLens's "torch.float32", or the enum's number that old files hold.</summary>
    static DType? ReadDType(JsonNode? node) => node is null ? null : node.GetValueKind() switch
    {
        JsonValueKind.Number => As<int>(node, "dtype") switch
        {
            0 => DType.Float32,
            1 => DType.Float64,
            var n => throw new JsonException($"'dtype' must be float32 (0) or float64 (1), got {n}"),
        },
        JsonValueKind.String => As<string>(node, "dtype").Replace("torch.", "") switch
        {
            "float32" => DType.Float32,
            "float64" => DType.Float64,
            var s => throw new JsonException($"'dtype' must be float32 or float64, got \"{s}\""),
        },
        var kind => throw new JsonException($"'dtype' must be a string, got {kind}"),
    };
}
