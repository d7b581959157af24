namespace Interp.Data.Tasks;

/// <summary>
/// The induction task: each sequence is [BOS] + L uniformly random tokens + the same L tokens again, so from position
/// (prefix + L) on, every next token is predictable by looking back one repeat (induction heads).
/// With <c>minLength</c> below L, each sequence instead repeats a block of its own random period m in [minLength, L]
/// to fill the same 2L positions. A model trained on one fixed period can cheat with a positional head that always
/// looks L - 1 back; varying the period leaves only the content-based mechanism, the induction head.
/// </summary>
public sealed class RepeatedTokens
{
    readonly Generator gen;

    /// <param name="bos">the beginning-of-sequence token, never drawn among the random ones; null for none</param>
    /// <param name="minLength">the shortest period when periods vary (null: always L)</param>
    public RepeatedTokens(int vocabSize, int length, int? bos = null, ulong seed = 0, int? minLength = null)
    {
        if (length <= 0) throw new ArgumentException($"repeated_tokens: length must be positive, got {length}");
        if (minLength is int m && (m <= 0 || m > length))
            throw new ArgumentException($"repeated_tokens: minLength must be in [1, {length}], got {m}");
        MinLength = minLength ?? length;
        if (bos is int b && (b < 0 || b >= vocabSize))
            throw new ArgumentException($"repeated_tokens: bos {b} is outside the vocabulary [0, {vocabSize})");
        if (vocabSize < (bos is null ? 1 : 2)) throw new ArgumentException($"repeated_tokens: vocabulary of {vocabSize} is too small");
        (VocabSize, Length, Bos, gen) = (vocabSize, length, bos, new Generator(seed));
    }

    /// <summary>The stream's generator: a checkpoint saves its state so a resumed run draws the same batches.</summary>
    public Generator Rng => gen;

    public int VocabSize { get; }
    public int Length { get; }
    public int? Bos { get; }
    public int MinLength { get; }

    /// <summary>Tokens per sequence: 2L, plus one for BOS.</summary>
    public int SequenceLength => 2 * Length + (Bos is null ? 0 : 1);

    /// <summary>Position of the first token of the repeat.</summary>
    public int RepeatStart => Length + (Bos is null ? 0 : 1);

    /// <summary>The next batch, int32 [batch, SequenceLength]; successive calls continue the seeded stream.</summary>
    public Tensor Batch(int batchSize)
    {
        if (batchSize <= 0) throw new ArgumentException($"repeated_tokens: batch size must be positive, got {batchSize}");
        int t = SequenceLength, prefix = Bos is null ? 0 : 1;
        var tokens = new int[batchSize * t];
        for (int b = 0; b < batchSize; b++)
        {
            var row = tokens.AsSpan(b * t, t);
            if (Bos is int bos) row[0] = bos;
            int period = MinLength == Length ? Length : MinLength + gen.NextInt(Length - MinLength + 1);
            for (int i = 0; i < period; i++)
            {
                int token = gen.NextInt(Bos is null ? VocabSize : VocabSize - 1);
                if (Bos is int bb && token >= bb) token++;   // skip the BOS id
                row[prefix + i] = token;
            }
            for (int i = period; i < 2 * Length; i++) row[prefix + i] = row[prefix + i - period];
        }
        return Tensor.FromArray(tokens, [batchSize, t]);
    }
}
