using Interp.Nn;

namespace Interp.Transformers;

/// <summary>
/// A GPT-style decoder-only transformer whose every intermediate activation passes through a named
/// <see cref="HookPoint"/> — TransformerLens's HookedTransformer, with the same parameter and hook names:
/// embed.W_E, pos_embed.W_pos, blocks.{l}.(ln1|attn|ln2|mlp).*, ln_final.*, unembed.W_U/b_U; hook_embed,
/// blocks.{l}.attn.hook_pattern, ... Tokens are int32 [batch, pos] (or [pos] for a batch of one).
/// </summary>
public sealed partial class HookedTransformer : HookedModule
{
    readonly HookPoint hookEmbed, hookPosEmbed;
    readonly Dictionary<string, HookPoint> hookPoints;

    public TransformerConfig Config { get; }
    public Embed Embed { get; }
    public PosEmbed PosEmbed { get; }
    public ModuleList<TransformerBlock> Blocks { get; }
    public TransformerNorm? LnFinal { get; }
    public Unembed Unembed { get; }

    public HookedTransformer(TransformerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var gen = new Generator(config.Seed);
        Embed = RegisterModule("embed", new Embed(config, gen));
        hookEmbed = AddHook("hook_embed");
        PosEmbed = RegisterModule("pos_embed", new PosEmbed(config, gen));
        hookPosEmbed = AddHook("hook_pos_embed");
        Blocks = RegisterModule("blocks", new ModuleList<TransformerBlock>(
            Enumerable.Range(0, config.NLayers).Select(_ => new TransformerBlock(config, gen))));
        if (config.HasNorm) LnFinal = RegisterModule("ln_final", new TransformerNorm(config));
        Unembed = RegisterModule("unembed", new Unembed(config, gen));
        hookPoints = NameHooks(this).ToDictionary(h => h.Name);
    }

    /// <summary>Every hook point by its full name, in the order they were built.</summary>
    public IReadOnlyDictionary<string, HookPoint> HookPoints => hookPoints;

    public HookPoint Hook(string name) => hookPoints.TryGetValue(name, out var h) ? h
        : throw new KeyNotFoundException($"transformer: no hook point named '{name}' (this model has {hookPoints.Count}, e.g. {string.Join(", ", hookPoints.Keys.Take(4))}, ...)");

    /// <summary>Removes every forward and backward hook from every hook point.</summary>
    public void ResetHooks()
    {
        foreach (var h in hookPoints.Values) h.RemoveHooks();
    }

    /// <summary>tokens int32 [batch, pos] (or [pos]) → logits [batch, pos, d_vocab]. With a cache, the tokens continue its sequences.</summary>
    public Tensor Forward(Tensor tokens, KeyValueCache? cache = null)
    {
        tokens = CheckTokens(tokens, cache);
        int batch = tokens.Size(0), pos = tokens.Size(1), offset = cache?.Length ?? 0;
        var embed = hookEmbed.Run(Embed.Forward(tokens));
        var posEmbed = hookPosEmbed.Run(PosEmbed.Forward(batch, pos, offset));
        var resid = Config.Shortformer ? embed : embed + posEmbed;
        var shortformerPos = Config.Shortformer ? posEmbed : null;
        for (int l = 0; l < Blocks.Count; l++) resid = Blocks[l].Forward(resid, shortformerPos, cache?[l]);
        if (LnFinal is not null) resid = LnFinal.Forward(resid);
        return Unembed.Forward(resid, Embed);
    }

    Tensor CheckTokens(Tensor tokens, KeyValueCache? cache)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.DType != DType.Int32)
            throw new ArgumentException($"transformer: tokens must be int32 [batch, pos], got {tokens.DType.Name()} {ShapeUtil.Format(tokens.ShapeArray)}");
        if (tokens.Rank == 1) tokens = tokens.Unsqueeze(0);
        if (tokens.Rank != 2 || tokens.Numel == 0)
            throw new ArgumentException($"transformer: tokens must be a non-empty [batch, pos] (or [pos]) tensor, got {ShapeUtil.Format(tokens.ShapeArray)}");
        int offset = cache?.Length ?? 0, pos = tokens.Size(1);
        if (offset + pos > Config.NCtx)
            throw new ArgumentException(offset == 0
                ? $"transformer: sequence of {pos} tokens is longer than the context n_ctx = {Config.NCtx}"
                : $"transformer: {pos} new tokens after {offset} cached ones exceed the context n_ctx = {Config.NCtx}");
        if (cache is not null && cache.NLayers != Config.NLayers)
            throw new ArgumentException($"transformer: the key-value cache has {cache.NLayers} layers, the model {Config.NLayers}");
        if (cache?.Batch is int b && b != tokens.Size(0))
            throw new ArgumentException($"transformer: batch of {tokens.Size(0)} does not match the key-value cache's batch of {b}");
        if (tokens.ValuesKnownWithin(0, Config.DVocab)) return tokens;   // uploaded to a device: no copy back
        var ids = tokens.ToIntArray();
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)Config.DVocab)
                throw new ArgumentException($"transformer: token id {ids[i]} at [{i / pos}, {i % pos}] is outside the vocabulary [0, {Config.DVocab})");
        return tokens;
    }
}
