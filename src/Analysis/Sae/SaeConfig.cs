using System.Text.Json;
using System.Text.Json.Serialization;
using Interp.IO;

namespace Interp.Analysis.Sae;

/// <summary>
/// The shape and kind of a sparse autoencoder, with SAELens's cfg.json names. Architecture "standard" is the ReLU SAE
/// trained with an L1 penalty weighted by decoder row norms; "topk" keeps the <see cref="K"/> largest pre-activations.
/// </summary>
public sealed record SaeConfig
{
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "standard";
    [JsonPropertyName("d_in")] public required int DIn { get; init; }
    [JsonPropertyName("d_sae")] public required int DSae { get; init; }
    [JsonPropertyName("hook_name")] public string HookName { get; init; } = "";
    /// <summary>Active features per token of a TopK SAE (unused by "standard").</summary>
    [JsonPropertyName("k")] public int K { get; init; }
    [JsonPropertyName("l1_coefficient")] public double L1Coefficient { get; init; }
    [JsonPropertyName("dtype")] public string DTypeName { get; init; } = "float32";
    /// <summary>SAELens: the decoder bias is subtracted from the input before encoding (always true here).</summary>
    [JsonPropertyName("apply_b_dec_to_input")] public bool ApplyBDecToInput { get; init; } = true;
    [JsonPropertyName("normalize_activations")] public string NormalizeActivations { get; init; } = "none";
    [JsonPropertyName("model_name")] public string ModelName { get; init; } = "";
    [JsonPropertyName("context_size")] public int ContextSize { get; init; }
    [JsonPropertyName("seed")] public ulong Seed { get; init; }

    [JsonIgnore] public bool IsTopK => Architecture == "topk";

    [JsonIgnore]
    public DType DType => DTypeName switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        _ => throw new ArgumentException($"sae config: dtype must be float32 or float64, got '{DTypeName}'"),
    };

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public void Validate()
    {
        if (DIn <= 0 || DSae <= 0) throw new ArgumentException($"sae config: d_in and d_sae must be positive, got {DIn} and {DSae}");
        if (Architecture is not ("standard" or "topk"))
            throw new ArgumentException($"sae config: architecture must be 'standard' or 'topk', got '{Architecture}'");
        if (IsTopK && (K <= 0 || K > DSae)) throw new ArgumentException($"sae config: a topk SAE needs 1 <= k <= d_sae = {DSae}, got k = {K}");
        if (!(L1Coefficient >= 0) || double.IsInfinity(L1Coefficient))
            throw new ArgumentException($"sae config: l1_coefficient must be finite and >= 0, got {L1Coefficient}");
        if (!ApplyBDecToInput) throw new ArgumentException("sae config: apply_b_dec_to_input = false is not supported");
        if (NormalizeActivations != "none")
            throw new ArgumentException($"sae config: normalize_activations '{NormalizeActivations}' is not supported (only 'none')");
        _ = DType;
    }


    public string ToJson() => JsonFile.Serialize(this);

    /// <summary>Reads cfg.json text; unknown SAELens fields are ignored. Errors name <paramref name="source"/>.</summary>
    public static SaeConfig FromJson(string json, string source = "cfg.json")
    {
        SaeConfig? c;
        try { c = JsonSerializer.Deserialize<SaeConfig>(json); }
        catch (JsonException e) { throw new InvalidDataException($"sae config {source}: not a valid SAE config: {e.Message}", e); }
        if (c is null) throw new InvalidDataException($"sae config {source}: empty");
        try { c.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
        return c;
    }
}
