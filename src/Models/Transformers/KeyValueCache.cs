namespace Interp.Transformers;

/// <summary>
/// Past keys and values of every layer ([batch, past, head, d_head] each), so generation feeds only the new tokens
/// (TransformerLens's HookedTransformerKeyValueCache). Positions of new tokens start at <see cref="Length"/>.
/// </summary>
public sealed class KeyValueCache
{
    readonly KeyValueCacheEntry[] entries;

    public KeyValueCache(int nLayers) => entries = Enumerable.Range(0, nLayers).Select(_ => new KeyValueCacheEntry()).ToArray();

    public KeyValueCacheEntry this[int layer] => entries[layer];
    public int NLayers => entries.Length;

    /// <summary>Number of positions already cached (the offset of the next token).</summary>
    public int Length => entries[0].Length;

    /// <summary>Batch size of the cached sequences, or null while empty.</summary>
    public int? Batch => entries[0].Keys?.Size(0);
}

/// <summary>One layer's past keys and values.</summary>
public sealed class KeyValueCacheEntry
{
    public Tensor? Keys { get; private set; }
    public Tensor? Values { get; private set; }
    public int Length => Keys?.Size(1) ?? 0;

    /// <summary>
    /// Appends this step's [batch, new, head, d_head] keys/values and returns all of them; the stored past is detached,
    /// the returned new part keeps its graph.
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(Tensor keys, Tensor values)
    {
        var allKeys = Keys is null ? keys : Tensor.Cat([Keys, keys], 1);
        var allValues = Values is null ? values : Tensor.Cat([Values, values], 1);
        (Keys, Values) = (allKeys.Detach(), allValues.Detach());
        return (allKeys, allValues);
    }
}
