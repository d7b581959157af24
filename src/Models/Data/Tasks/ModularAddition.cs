namespace Interp.Data.Tasks;

/// <summary>
/// Modular addition as in the grokking work: every pair (a, b) with 0 ≤ a, b &lt; p as the tokens <c>a b =</c>
/// (<c>=</c> is token p, so the vocabulary has p + 1 tokens) labelled (a + b) mod p, split into train and test by a
/// seeded shuffle of the p² pairs.
/// </summary>
public sealed class ModularAddition
{
    public ModularAddition(int p = 113, double trainFraction = 0.3, ulong seed = 0)
    {
        if (p < 2) throw new ArgumentException($"modular_addition: modulus must be at least 2, got {p}");
        if (!(trainFraction > 0 && trainFraction < 1)) throw new ArgumentException($"modular_addition: train fraction must be in (0, 1), got {trainFraction}");
        P = p;
        var order = Interp.Training.Trainer.Permutation(p * p, new Generator(seed));
        int nTrain = (int)Math.Round(trainFraction * p * p);
        TrainPairs = order[..nTrain];
        TestPairs = order[nTrain..];
    }

    public int P { get; }
    public int EqualsToken => P;
    public int VocabSize => P + 1;

    /// <summary>Pair indices a·p + b of the training and the test split (disjoint, together every pair once).</summary>
    public int[] TrainPairs { get; }
    public int[] TestPairs { get; }

    public (Tensor Tokens, Tensor Labels) Train => Encode(TrainPairs);
    public (Tensor Tokens, Tensor Labels) Test => Encode(TestPairs);

    /// <summary>Tokens int32 [n, 3] (a, b, =) and labels int32 [n] for the given pair indices.</summary>
    public (Tensor Tokens, Tensor Labels) Encode(int[] pairs)
    {
        var tokens = new int[pairs.Length * 3];
        var labels = new int[pairs.Length];
        for (int i = 0; i < pairs.Length; i++)
        {
            int a = pairs[i] / P, b = pairs[i] % P;
            (tokens[3 * i], tokens[3 * i + 1], tokens[3 * i + 2]) = (a, b, EqualsToken);
            labels[i] = (a + b) % P;
        }
        return (Tensor.FromArray(tokens, [pairs.Length, 3]), Tensor.FromArray(labels));
    }
}
