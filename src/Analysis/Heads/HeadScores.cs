using Interp.Autograd;

namespace Interp.Analysis.Heads;

/// <summary>
/// TransformerLens-style attention-head scores of one layer's pattern [batch, head, query, key] (rows sum to 1),
/// each a mean attention weight per head, [head]:
/// <list type="bullet">
/// <item>previous-token: attention from q to q−1, averaged over q ≥ 1;</item>
/// <item>duplicate-token: attention from q to the earlier positions k &lt; q holding the same token, averaged over the
/// queries that have such an earlier copy;</item>
/// <item>induction: attention from q to the positions k just after an earlier copy (tok[k−1] = tok[q], k &lt; q),
/// averaged over the queries that have one. On [BOS] + L random tokens repeated, that is the key L−1 behind q.</item>
/// </list>
/// The token scores count only queries from <c>firstQuery</c> on: on repeated random sequences pass the start of the
/// repeat, so chance repeats in the random half (frequent with a small vocabulary) do not dilute them.
/// </summary>
public static class HeadScores
{
    public static Tensor PreviousToken(Tensor pattern)
    {
        CheckPattern(pattern, null);
        if (pattern.Size(2) < 2) throw new ArgumentException($"previous-token score: needs at least 2 positions, got pattern {ShapeUtil.Format(pattern.ShapeArray)}");
        using var _ = GradMode.NoGrad();
        return pattern.Diagonal(-1, 2, 3).Mean([0, 2]);   // [batch, head, q−1]: pattern[b, h, i+1, i]
    }

    public static Tensor DuplicateToken(Tensor pattern, Tensor tokens, int firstQuery = 0) =>
        MaskedScore("duplicate-token", pattern, tokens, firstQuery, (t, q, k) => k < q && t[k] == t[q]);

    public static Tensor Induction(Tensor pattern, Tensor tokens, int firstQuery = 0) =>
        MaskedScore("induction", pattern, tokens, firstQuery, (t, q, k) => k >= 1 && k < q && t[k - 1] == t[q]);

    /// <summary>
    /// Σ_{b,q valid} Σ_k A[b,h,q,k]·M[b,q,k] / #valid, where M marks the keys the score counts and a query is valid
    /// when it has at least one such key.
    /// </summary>
    static Tensor MaskedScore(string name, Tensor pattern, Tensor tokens, int firstQuery, Func<int[], int, int, bool> counts)
    {
        CheckPattern(pattern, tokens);
        int batch = pattern.Size(0), pos = pattern.Size(2);
        if (firstQuery < 0 || firstQuery >= pos) throw new ArgumentOutOfRangeException(nameof(firstQuery), $"{name} score: first query {firstQuery} is outside the {pos} positions");
        var ids = tokens.ToIntArray();
        var mask = new float[batch * pos * pos];
        var valid = new float[batch * pos];
        var row = new int[pos];
        for (int b = 0; b < batch; b++)
        {
            Array.Copy(ids, b * pos, row, 0, pos);
            for (int q = firstQuery; q < pos; q++)
                for (int k = 0; k < pos; k++)
                    if (counts(row, q, k)) mask[(b * pos + q) * pos + k] = valid[b * pos + q] = 1;
        }
        double nValid = valid.Sum();
        if (nValid == 0) throw new ArgumentException($"{name} score: no query has a key to count (no repeated tokens in the sequences)");
        using var _ = GradMode.NoGrad();
        var m = Tensor.FromArray(mask, [batch, 1, pos, pos], pattern.Device).To(pattern.DType);
        var v = Tensor.FromArray(valid, [batch, 1, pos], pattern.Device).To(pattern.DType);
        return ((pattern * m).Sum(-1) * v).Sum([0, 2]) / nValid;
    }

    static void CheckPattern(Tensor pattern, Tensor? tokens)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.Rank != 4 || pattern.Size(2) != pattern.Size(3))
            throw new ArgumentException($"head scores: the pattern must be [batch, head, pos, pos], got {ShapeUtil.Format(pattern.ShapeArray)}");
        if (tokens is null) return;
        if (tokens.DType != DType.Int32 || tokens.Rank != 2 || tokens.Size(0) != pattern.Size(0) || tokens.Size(1) != pattern.Size(2))
            throw new ArgumentException($"head scores: tokens must be int32 [batch, pos] = [{pattern.Size(0)}, {pattern.Size(2)}] to match the pattern " +
                $"{ShapeUtil.Format(pattern.ShapeArray)}, got {tokens.DType.Name()} {ShapeUtil.Format(tokens.ShapeArray)}");
    }
}
