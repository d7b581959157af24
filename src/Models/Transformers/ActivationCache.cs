namespace Interp.Transformers;

/// <summary>
/// Activations recorded by <see cref="HookedTransformer.RunWithCache"/>, by hook name, in the order they ran; with its
/// backwardFrom also their gradients, named as in TransformerLens: hook name + "_grad", in the order backward reached them.
/// </summary>
public sealed class ActivationCache(int nLayers)
{
    readonly Dictionary<string, Tensor> activations = [];
    readonly List<string> order = [];

    public int NLayers { get; } = nLayers;
    public IReadOnlyList<string> Names => order;
    public int Count => order.Count;
    public bool Contains(string name) => activations.ContainsKey(name);

    /// <summary>
    /// The bytes of the activations held (each tensor's elements × element size; a view of another's storage counts
    /// for its own elements): what keeping the cache costs beyond a forward pass.
    /// </summary>
    public long Bytes => activations.Values.Sum(t => (long)t.Numel * t.DType.ElementSize());

    public Tensor this[string name] => activations.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"activation cache: no activation named '{name}' (it holds {order.Count}: {string.Join(", ", order.Take(6))}{(order.Count > 6 ? ", ..." : "")})");

    /// <summary>
    /// TransformerLens's <c>cache["pattern", 0]</c>: a short name (<see cref="ActName.Of"/>) at a layer, negative layers
    /// counting from the last (<c>cache["resid_post", -1]</c>); <paramref name="layerType"/> as get_act_name's
    /// (<c>cache["scale", 0, "ln1"]</c>).
    /// </summary>
    public Tensor this[string name, int layer, string? layerType = null]
    {
        get
        {
            int l = layer < 0 ? layer + NLayers : layer;
            if (l < 0 || l >= NLayers)
                throw new ArgumentOutOfRangeException(nameof(layer), $"activation cache: layer {layer} is out of range for a model of {NLayers} layers");
            return this[ActName.Of(name, l, layerType)];
        }
    }

    internal void Add(string name, Tensor activation)
    {
        if (activations.TryAdd(name, activation)) order.Add(name);
        else activations[name] = activation;
    }

    public Tensor Embed => this["hook_embed"];
    public Tensor PosEmbed => this["hook_pos_embed"];
    public Tensor ResidPre(int layer) => this[Name(layer, "hook_resid_pre")];
    public Tensor ResidMid(int layer) => this[Name(layer, "hook_resid_mid")];
    public Tensor ResidPost(int layer) => this[Name(layer, "hook_resid_post")];
    public Tensor AttnOut(int layer) => this[Name(layer, "hook_attn_out")];
    public Tensor MlpOut(int layer) => this[Name(layer, "hook_mlp_out")];
    /// <summary>[batch, pos, head, d_head]</summary>
    public Tensor Q(int layer) => this[Name(layer, "attn.hook_q")];
    public Tensor K(int layer) => this[Name(layer, "attn.hook_k")];
    public Tensor V(int layer) => this[Name(layer, "attn.hook_v")];
    public Tensor Z(int layer) => this[Name(layer, "attn.hook_z")];
    /// <summary>[batch, head, query_pos, key_pos]</summary>
    public Tensor AttnScores(int layer) => this[Name(layer, "attn.hook_attn_scores")];
    public Tensor Pattern(int layer) => this[Name(layer, "attn.hook_pattern")];
    /// <summary>[batch, pos, head, d_model]</summary>
    public Tensor Result(int layer) => this[Name(layer, "attn.hook_result")];
    public Tensor MlpPre(int layer) => this[Name(layer, "mlp.hook_pre")];
    public Tensor MlpPost(int layer) => this[Name(layer, "mlp.hook_post")];

    string Name(int layer, string hook)
    {
        if (layer < 0 || layer >= NLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), $"activation cache: layer {layer} is out of range for a model of {NLayers} layers");
        return $"blocks.{layer}.{hook}";
    }
}
