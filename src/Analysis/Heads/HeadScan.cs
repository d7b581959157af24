using System.Globalization;
using System.Text;
using Interp.Data.Tasks;
using Interp.Transformers;

namespace Interp.Analysis.Heads;

/// <summary>Which head score to rank by.</summary>
public enum HeadScoreKind { PreviousToken, DuplicateToken, Induction }

/// <summary>One head's score, for the ranked tables.</summary>
public readonly record struct RankedHead(int Layer, int Head, double Score)
{
    public string Label => $"L{Layer}H{Head}";
}

/// <summary>
/// The three head scores of every head of a model on one batch of tokens: each [n_layers, n_heads] (float64),
/// with the patterns they came from ([batch, head, pos, pos] per layer) for drawing.
/// </summary>
public sealed record HeadScan(Tensor PreviousToken, Tensor DuplicateToken, Tensor Induction, Tensor Tokens, IReadOnlyList<Tensor> Patterns)
{
    public int NLayers => PreviousToken.Size(0);
    public int NHeads => PreviousToken.Size(1);

    /// <summary>
    /// Runs <paramref name="tokens"/> [batch, pos] and scores every head; the duplicate and induction scores count the
    /// queries from <paramref name="firstQuery"/> on (the start of the repeat for repeated sequences).
    /// </summary>
    public static HeadScan Run(HookedTransformer model, Tensor tokens, int firstQuery = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Rank == 1) tokens = tokens.Unsqueeze(0);
        var (_, cache) = model.RunWithCache(tokens, name => name.EndsWith("attn.hook_pattern"));
        var patterns = Enumerable.Range(0, model.Config.NLayers).Select(cache.Pattern).ToList();
        Tensor Stack(Func<Tensor, Tensor> score) => Tensor.Stack(patterns.Select(p => score(p).To(DType.Float64).To(Device.Cpu)).ToList());
        return new HeadScan(
            Stack(HeadScores.PreviousToken),
            Stack(p => HeadScores.DuplicateToken(p, tokens, firstQuery)),
            Stack(p => HeadScores.Induction(p, tokens, firstQuery)),
            tokens, patterns);
    }

    /// <summary>
    /// Scores on <paramref name="batch"/> sequences of [bos] + <paramref name="length"/> uniformly random tokens + the
    /// same tokens again (the standard induction test).
    /// </summary>
    public static HeadScan OnRepeatedRandomTokens(HookedTransformer model, int length, int batch = 16, int? bos = null, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        var task = new RepeatedTokens(model.Config.DVocab, length, bos, seed);
        if (task.SequenceLength > model.Config.NCtx)
            throw new ArgumentException($"head scan: {task.SequenceLength} tokens ({(bos is null ? "" : "BOS + ")}2 × {length}) exceed the model's context n_ctx = {model.Config.NCtx}");
        return Run(model, task.Batch(batch), task.RepeatStart);
    }

    public Tensor Scores(HeadScoreKind kind) => kind switch
    {
        HeadScoreKind.PreviousToken => PreviousToken,
        HeadScoreKind.DuplicateToken => DuplicateToken,
        HeadScoreKind.Induction => Induction,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Every head by its <paramref name="kind"/> score, highest first.</summary>
    public IReadOnlyList<RankedHead> Ranked(HeadScoreKind kind)
    {
        var s = Scores(kind).ToDoubleArray();
        return Enumerable.Range(0, s.Length).Select(i => new RankedHead(i / NHeads, i % NHeads, s[i]))
            .OrderByDescending(r => r.Score).ThenBy(r => r.Layer).ThenBy(r => r.Head).ToList();
    }

    /// <summary>CSV: one row per head with its three scores and its rank by each (1 = highest).</summary>
    public string ToCsv()
    {
        var kinds = Enum.GetValues<HeadScoreKind>();
        var ranks = kinds.Select(k => Ranked(k).Select((r, i) => (r.Layer, r.Head, Rank: i + 1)).ToDictionary(x => (x.Layer, x.Head), x => x.Rank)).ToArray();
        var values = kinds.Select(k => Scores(k).ToDoubleArray()).ToArray();
        var sb = new StringBuilder("layer,head,previous_token,duplicate_token,induction,rank_previous_token,rank_duplicate_token,rank_induction\n");
        for (int l = 0; l < NLayers; l++)
            for (int h = 0; h < NHeads; h++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{l},{h}");
                foreach (var v in values) sb.Append(CultureInfo.InvariantCulture, $",{v[l * NHeads + h]:G6}");
                foreach (var r in ranks) sb.Append(CultureInfo.InvariantCulture, $",{r[(l, h)]}");
                sb.Append('\n');
            }
        return sb.ToString();
    }
}
