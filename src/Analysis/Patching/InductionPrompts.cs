namespace Interp.Analysis.Patching;

/// <summary>
/// Clean/corrupted prompt pairs for induction, the default prompts of <c>interp patch</c> and <c>interp attrib</c>.
/// Clean: [BOS] r₀ … r_{L−1} r₀ … r_{L−2} (a random sequence and its repeat, cut before the last token), so an
/// induction head predicts r_{L−1}. Corrupted: the first half replaced by another random sequence s (sᵢ ≠ rᵢ), so the
/// repeat has no earlier copy and an induction head would predict s_{L−1} instead. Answer r_{L−1}, wrong s_{L−1};
/// the prompts differ only at positions 1..L.
/// </summary>
public static class InductionPrompts
{
    public static (Tensor Clean, Tensor Corrupted, Tensor Answers, Tensor Wrong) Make(int vocab, int length, int batch, int bos = 0, ulong seed = 0)
    {
        if (length < 2) throw new ArgumentException($"induction_prompts: length must be at least 2, got {length}");
        if (batch <= 0) throw new ArgumentException($"induction_prompts: batch must be positive, got {batch}");
        if (bos < 0 || bos >= vocab) throw new ArgumentException($"induction_prompts: bos {bos} is outside the vocabulary [0, {vocab})");
        if (vocab < 3) throw new ArgumentException($"induction_prompts: a vocabulary of {vocab} is too small (need BOS and two other tokens)");
        var gen = new Generator(seed);
        int n = 2 * length;
        var (clean, corrupted) = (new int[batch * n], new int[batch * n]);
        var (answers, wrong) = (new int[batch], new int[batch]);
        int Draw(int avoid)
        {
            int t;
            do { t = gen.NextInt(vocab - 1); if (t >= bos) t++; } while (t == avoid);   // never BOS
            return t;
        }
        for (int b = 0; b < batch; b++)
        {
            var r = Enumerable.Range(0, length).Select(_ => Draw(-1)).ToArray();
            var s = r.Select(Draw).ToArray();
            var c = clean.AsSpan(b * n, n);
            var k = corrupted.AsSpan(b * n, n);
            c[0] = k[0] = bos;
            for (int i = 0; i < length; i++) (c[1 + i], k[1 + i]) = (r[i], s[i]);
            for (int i = 0; i < length - 1; i++) c[1 + length + i] = k[1 + length + i] = r[i];
            (answers[b], wrong[b]) = (r[^1], s[^1]);
        }
        return (Tensor.FromArray(clean, [batch, n]), Tensor.FromArray(corrupted, [batch, n]), Tensor.FromArray(answers), Tensor.FromArray(wrong));
    }
}
