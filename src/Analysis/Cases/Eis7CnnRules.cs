namespace Interp.Analysis.Cases;

/// <summary>A candidate labelling rule for <see cref="Eis7Cnn.TestRule(Func{float[,], int, bool})"/>: true = label 1.</summary>
public sealed record LabellingRule(string Name, string Description, Func<float[,], int, bool> Rule);

/// <summary>Example rules to test against the challenge CNN (baselines and illustrations, not the secret rule).</summary>
public static class Eis7CnnRules
{
    /// <summary>Labels every digit 1: its agreement is the fraction the model labels 1.</summary>
    public static readonly LabellingRule AlwaysOne = new("always 1", "every digit is labelled 1", (_, _) => true);

    /// <summary>Label 1 for the MNIST classes 0 and 1 (the two classes the model labels 1 most often).</summary>
    public static readonly LabellingRule ZeroOrOne = new("class 0 or 1", "the digit's MNIST class is 0 or 1", (_, digit) => digit <= 1);

    /// <summary>An image-only rule: most of the ink lies in the central columns 10..17 (a stroke like a 1).</summary>
    public static readonly LabellingRule CentralInk = new("central ink", "more than 60 % of the ink lies in the 8 central columns (10..17)",
        (img, _) => CentralShare(img) > 0.6);

    public static IReadOnlyList<LabellingRule> Examples => [AlwaysOne, ZeroOrOne, CentralInk];

    /// <summary>Share of the image's ink (sum of pixels) in columns 10..17.</summary>
    public static double CentralShare(float[,] img)
    {
        double all = 0, centre = 0;
        for (int r = 0; r < img.GetLength(0); r++)
            for (int c = 0; c < img.GetLength(1); c++)
            {
                all += img[r, c];
                if (c is >= 10 and <= 17) centre += img[r, c];
            }
        return all > 0 ? centre / all : 0;
    }
}
