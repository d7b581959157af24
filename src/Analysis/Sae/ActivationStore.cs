using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Sae;

/// <summary>
/// Activations of one hook point, for SAE training (SAELens's ActivationsStore): runs the model without grad on batches
/// from a token source, flattens the hook's activation [batch, pos, ..] to rows [batch·pos, d], keeps them in a buffer
/// shuffled by a seeded generator and hands out minibatches. Once the buffer is half used it is refilled with fresh
/// activations and reshuffled, so a minibatch mixes rows of many sequences.
/// </summary>
public sealed class ActivationStore
{
    readonly HookedTransformer model;
    readonly Func<Tensor> nextTokens;
    readonly Generator gen;
    Tensor? buffer;
    int cursor;

    /// <param name="nextTokens">the next token batch, int32 [batch, pos] (e.g. RepeatedTokens.Batch)</param>
    /// <param name="firstPosition">positions before it are skipped (1 drops a BOS token, whose activation is atypical)</param>
    public ActivationStore(HookedTransformer model, string hookName, Func<Tensor> nextTokens, int batchSize = 4096,
        int bufferRows = 65536, ulong seed = 0, int firstPosition = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(nextTokens);
        model.Hook(hookName);   // throws naming the model's hooks when absent
        if (batchSize <= 0) throw new ArgumentException($"activation_store: batch size must be positive, got {batchSize}");
        if (bufferRows < 2 * batchSize)
            throw new ArgumentException($"activation_store: the buffer ({bufferRows} rows) must hold at least two batches of {batchSize}");
        if (firstPosition < 0) throw new ArgumentException($"activation_store: first position must be >= 0, got {firstPosition}");
        (this.model, HookName, this.nextTokens, BatchSize, BufferRows, FirstPosition) = (model, hookName, nextTokens, batchSize, bufferRows, firstPosition);
        gen = new Generator(seed);
    }

    public string HookName { get; }
    public int BatchSize { get; }
    public int BufferRows { get; }
    public int FirstPosition { get; }

    /// <summary>Rows handed out so far (the number of training tokens seen).</summary>
    public long RowsServed { get; private set; }

    /// <summary>Width of a row (the product of the activation's dimensions after [batch, pos]).</summary>
    public int DIn => (buffer ??= Fill(null)).Size(1);

    /// <summary>The next minibatch [batch size, d] of shuffled activation rows.</summary>
    public Tensor NextBatch()
    {
        buffer ??= Fill(null);
        if (buffer.Size(0) - cursor < BufferRows / 2 || buffer.Size(0) - cursor < BatchSize)
            (buffer, cursor) = (Fill(buffer.Narrow(0, cursor, buffer.Size(0) - cursor)), 0);
        var batch = buffer.Narrow(0, cursor, BatchSize).Contiguous();
        cursor += BatchSize;
        RowsServed += BatchSize;
        return batch;
    }

    /// <summary>At least <paramref name="rows"/> fresh activation rows (whole token batches), not shuffled, for statistics.</summary>
    public Tensor Collect(int rows)
    {
        var parts = new List<Tensor>();
        int have = 0;
        while (have < rows)
        {
            var a = Rows(model, HookName, nextTokens(), FirstPosition);
            parts.Add(a);
            have += a.Size(0);
        }
        return Tensor.Cat(parts).Narrow(0, 0, rows).Contiguous();
    }

    /// <summary>The hook's activations on <paramref name="tokens"/> as rows [batch·(pos − firstPosition), d].</summary>
    public static Tensor Rows(HookedTransformer model, string hookName, Tensor tokens, int firstPosition = 0)
    {
        var (_, cache) = model.RunWithCache(tokens, n => n == hookName);
        var act = cache[hookName];
        if (act.Rank < 3) throw new ArgumentException($"activation_store: hook {hookName} gives {ShapeUtil.Format(act.ShapeArray)}, expected [batch, pos, ..]");
        // an attention pattern or score is [batch, head, query, key]: its dimension 1 is not the position
        if (hookName.EndsWith("hook_pattern", StringComparison.Ordinal) || hookName.EndsWith("hook_attn_scores", StringComparison.Ordinal)
            || act.Size(1) != tokens.Size(tokens.Rank - 1))
            throw new ArgumentException($"activation_store: hook {hookName} gives {ShapeUtil.Format(act.ShapeArray)}, not [batch, pos, ..] " +
                "(an attention pattern is [batch, head, query, key]); the rows are one per position, e.g. of a head's hook_z or a residual hook");
        if (firstPosition >= act.Size(1))
            throw new ArgumentException($"activation_store: first position {firstPosition} leaves no positions of {act.Size(1)}");
        act = act.Narrow(1, firstPosition, act.Size(1) - firstPosition);
        return act.Contiguous().Reshape(act.Size(0) * act.Size(1), -1);
    }

    Tensor Fill(Tensor? keep)
    {
        var parts = new List<Tensor>();
        int have = 0;
        if (keep is not null) { parts.Add(keep); have = keep.Size(0); }
        while (have < BufferRows)
        {
            var a = Rows(model, HookName, nextTokens(), FirstPosition);
            parts.Add(a);
            have += a.Size(0);
        }
        var all = Tensor.Cat(parts);
        return all.IndexSelect(0, Tensor.FromArray(Permutation(all.Size(0)), device: all.Device));
    }

    int[] Permutation(int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = gen.NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
