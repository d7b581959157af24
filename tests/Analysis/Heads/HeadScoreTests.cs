using Interp.Analysis.Heads;
using Xunit;

namespace Interp.Tests.Analysis.Heads;

public class HeadScoreTests
{
    // [BOS] 5 6 7 5 6 7: the repeat starts at 4, L = 3
    static readonly int[] Repeated = [0, 5, 6, 7, 5, 6, 7];

    /// <summary>One [1, head, pos, pos] pattern, head i attending from q to keyOf[i](q) only.</summary>
    static Tensor OneHot(int pos, params Func<int, int>[] keyOf)
    {
        var a = new double[keyOf.Length * pos * pos];
        for (int h = 0; h < keyOf.Length; h++)
            for (int q = 0; q < pos; q++) a[(h * pos + q) * pos + keyOf[h](q)] = 1;
        return Tensor.FromArray(a, [1, keyOf.Length, pos, pos]);
    }

    static Tensor Uniform(int pos)
    {
        var a = new double[pos * pos];
        for (int q = 0; q < pos; q++)
            for (int k = 0; k <= q; k++) a[q * pos + k] = 1.0 / (q + 1);
        return Tensor.FromArray(a, [1, 1, pos, pos]);
    }

    static Tensor Tokens(params int[] ids) => Tensor.FromArray(ids, [1, ids.Length]);

    [Fact]
    public void HandBuiltPatternsScoreOneOnTheirOwnKindOnly()
    {
        var pattern = OneHot(7,
            q => Math.Max(q - 1, 0),          // previous token
            q => q >= 4 ? q - 2 : 0,          // induction: the token after the earlier copy (L − 1 back), else BOS
            q => q >= 4 ? q - 3 : 0);         // duplicate: the earlier copy (L back), else BOS
        var tokens = Tokens(Repeated);
        Assert.Equal([1.0, 1.0 / 6, 1.0 / 6], HeadScores.PreviousToken(pattern).ToDoubleArray());   // q = 1 attends BOS = q − 1
        Assert.Equal([0.0, 1.0, 0.0], HeadScores.Induction(pattern, tokens).ToDoubleArray());
        Assert.Equal([0.0, 0.0, 1.0], HeadScores.DuplicateToken(pattern, tokens).ToDoubleArray());
    }

    [Fact]
    public void UniformCausalAttentionScoresItsShareOfTheCountedKeys()
    {
        var u = Uniform(7);
        var tokens = Tokens(Repeated);
        double prev = Enumerable.Range(1, 6).Average(q => 1.0 / (q + 1));
        Assert.Equal(prev, HeadScores.PreviousToken(u).Item(), 12);
        Assert.Equal((1.0 / 5 + 1.0 / 6 + 1.0 / 7) / 3, HeadScores.DuplicateToken(u, tokens).Item(), 12);
        Assert.Equal((1.0 / 5 + 1.0 / 6 + 1.0 / 7) / 3, HeadScores.Induction(u, tokens).Item(), 12);

        // chance repeats: 1 2 1 1. Duplicates of q=2: {0}; of q=3: {0, 2}. After-copy keys of q=2: {1}; of q=3: {1}
        var t = Tokens(1, 2, 1, 1);
        Assert.Equal((1.0 / 3 + 2.0 / 4) / 2, HeadScores.DuplicateToken(Uniform(4), t).Item(), 12);
        Assert.Equal((1.0 / 3 + 1.0 / 4) / 2, HeadScores.Induction(Uniform(4), t).Item(), 12);
    }

    [Fact]
    public void BadShapesAreNamed()
    {
        Assert.Contains("[batch, head, pos, pos]", Assert.Throws<ArgumentException>(() => HeadScores.PreviousToken(Tensor.Zeros([1, 2, 3]))).Message);
        Assert.Contains("tokens must be int32", Assert.Throws<ArgumentException>(() => HeadScores.Induction(Uniform(4), Tokens(1, 2, 3))).Message);
        Assert.Contains("no query", Assert.Throws<ArgumentException>(() => HeadScores.Induction(Uniform(3), Tokens(1, 2, 3))).Message);
    }
}
