using System.Text.Json.Serialization;

namespace Interp.Transformers;

/// <summary>
/// The shape and flavour of a <see cref="HookedTransformer"/>, after TransformerLens's HookedTransformerConfig.
/// ActFn: "gelu" (exact, erf), "gelu_new" (the tanh form GPT-2 uses), "relu". Normalization: "LN" (with affine w, b),
/// "LNPre" (centre and scale only), "none". PositionalEmbedding: "standard" (added to the residual stream) or
/// "shortformer" (added to the query and key inputs of every layer only, as TransformerLens's attn-only models).
/// As JSON (config.json) it has TransformerLens's key names: n_layers, d_model, ... (see <see cref="TransformerConfigJson"/>).
/// </summary>
[JsonConverter(typeof(TransformerConfigJson))]
public sealed record TransformerConfig
{
    public required int NLayers { get; init; }
    public required int DModel { get; init; }
    public required int NHeads { get; init; }
    public required int DHead { get; init; }
    /// <summary>Hidden width of the MLPs; 0 makes an attention-only model.</summary>
    public int DMlp { get; init; }
    public required int DVocab { get; init; }
    public required int NCtx { get; init; }
    public string ActFn { get; init; } = "gelu_new";
    public string Normalization { get; init; } = "LN";
    public string PositionalEmbedding { get; init; } = "standard";
    /// <summary>Logits use embed.W_Eᵀ instead of a separate unembed.W_U.</summary>
    public bool TiedUnembed { get; init; }
    public bool UseAttnBias { get; init; } = true;
    public bool UseUnembedBias { get; init; } = true;
    /// <summary>
    /// Offers hook_result, each head's output in the residual basis before they are summed, as use_attn_result; the
    /// per-head outputs are computed only while something hooks it (a cache, a patcher), else the heads' sum is one product.
    /// </summary>
    public bool UseAttnResult { get; init; } = true;
    public double Eps { get; init; } = 1e-5;
    public ulong Seed { get; init; }
    /// <summary>Std of the normal init of every weight matrix (biases start at 0, LN weights at 1); null = TransformerLens's default 0.8/√d_model.</summary>
    public double? InitRange { get; init; }
    public DType Dtype { get; init; } = DType.Float32;

    public bool AttnOnly => DMlp == 0;
    public bool HasNorm => Normalization != "none";
    public bool Shortformer => PositionalEmbedding == "shortformer";
    public double InitStd => InitRange ?? 0.8 / Math.Sqrt(DModel);

    static readonly string[] ActFns = ["gelu", "gelu_new", "relu"];
    static readonly string[] Norms = ["LN", "LNPre", "none"];
    static readonly string[] PosEmbeds = ["standard", "shortformer"];

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public void Validate()
    {
        Positive(nameof(NLayers), NLayers);
        Positive(nameof(DModel), DModel);
        Positive(nameof(NHeads), NHeads);
        Positive(nameof(DHead), DHead);
        Positive(nameof(DVocab), DVocab);
        Positive(nameof(NCtx), NCtx);
        if (DMlp < 0) throw Bad($"DMlp must be ≥ 0 (0 = attention-only), got {DMlp}");
        OneOf(nameof(ActFn), ActFn, ActFns);
        OneOf(nameof(Normalization), Normalization, Norms);
        OneOf(nameof(PositionalEmbedding), PositionalEmbedding, PosEmbeds);
        if (!(Eps > 0)) throw Bad($"Eps must be positive, got {Eps}");
        if (InitRange is double r && !(r >= 0 && double.IsFinite(r))) throw Bad($"InitRange must be a finite std ≥ 0, got {r}");
        if (!Dtype.IsFloatingPoint()) throw Bad($"Dtype must be a floating-point type, got {Dtype.Name()}");
    }

    static void Positive(string name, int v)
    {
        if (v <= 0) throw Bad($"{name} must be positive, got {v}");
    }

    static void OneOf(string name, string? v, string[] allowed)
    {
        if (v is null || !allowed.Contains(v))
            throw Bad($"{name} must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}, got \"{v}\"");
    }

    static ArgumentException Bad(string message) => new("transformer config: " + message);
}
