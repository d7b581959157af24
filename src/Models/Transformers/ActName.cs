namespace Interp.Transformers;

/// <summary>
/// TransformerLens's short activation names (<c>utils.get_act_name</c>): <c>ActName.Of("pattern", 0)</c> is
/// "blocks.0.attn.hook_pattern", <c>Of("resid_pre", 1)</c> "blocks.1.hook_resid_pre", <c>Of("post", 0)</c>
/// "blocks.0.mlp.hook_post", <c>Of("embed")</c> "hook_embed", <c>Of("scale", 1, "ln2")</c> "blocks.1.ln2.hook_scale".
/// A full name (one with a dot, or starting with hook_) is returned as it is.
/// </summary>
public static class ActName
{
    static readonly Dictionary<string, string> Aliases = new()
    {
        ["attn"] = "pattern", ["attn_logits"] = "attn_scores", ["key"] = "k", ["query"] = "q", ["value"] = "v",
        ["mlp_pre"] = "pre", ["mlp_mid"] = "mid", ["mlp_post"] = "post",
    };

    static readonly HashSet<string> AttentionNames = ["k", "v", "q", "z", "rot_k", "rot_q", "result", "pattern", "attn_scores"];
    static readonly HashSet<string> MlpNames = ["pre", "post", "mid", "pre_linear"];

    public static string Of(string name, int? layer = null, string? layerType = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('.') || name.StartsWith("hook_", StringComparison.Ordinal)) return name;
        name = name.ToLowerInvariant();
        name = Aliases.GetValueOrDefault(name, name);
        if (AttentionNames.Contains(name)) layerType = "attn";
        else if (MlpNames.Contains(name)) layerType = "mlp";
        else if (layerType is "a") layerType = "attn";
        else if (layerType is "m") layerType = "mlp";
        else if (layerType is "b" or "block") layerType = null;
        if (layer is null) return layerType is null ? $"hook_{name}" : $"{layerType}.hook_{name}";   // ln_final.hook_scale
        return layerType is null ? $"blocks.{layer}.hook_{name}" : $"blocks.{layer}.{layerType}.hook_{name}";
    }
}
