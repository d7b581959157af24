using Interp.Nn;

namespace Interp.Tests.Analysis.Neurons;

/// <summary>
/// A hand-set MLP 784 → 6 → 2 with a known mechanism. With d = (ink of the top half − ink of the bottom half) / 392:
/// hidden unit 0 = relu(d), unit 1 = relu(2d) (fire together), unit 2 = relu(−d) (never with 0 and 1), unit 3 dead
/// (bias −1), unit 4 always on (bias 1, read by nothing), unit 5 dead (all zero). logit 1 − logit 0 =
/// 10·(u0 + u1 − u2), so the label is 1 exactly when the top half holds more ink.
/// </summary>
public static class PlantedMlp
{
    public const int Pixels = 784, Hidden = 6;

    public static Mlp Build()
    {
        var mlp = new Mlp([Pixels, Hidden, 2]);
        var w1 = new float[Hidden * Pixels];
        var b1 = new float[Hidden];
        for (int p = 0; p < Pixels; p++)
        {
            float d = (p < Pixels / 2 ? 1f : -1f) / (Pixels / 2);
            w1[0 * Pixels + p] = d;
            w1[1 * Pixels + p] = 2 * d;
            w1[2 * Pixels + p] = -d;
        }
        b1[3] = -1;
        b1[4] = 1;
        var w2 = new float[2 * Hidden];
        w2[Hidden + 0] = 10;
        w2[Hidden + 1] = 10;
        w2[Hidden + 2] = -10;
        mlp.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["layers.0.weight"] = Tensor.FromArray(w1, [Hidden, Pixels]), ["layers.0.bias"] = Tensor.FromArray(b1),
            ["layers.1.weight"] = Tensor.FromArray(w2, [2, Hidden]), ["layers.1.bias"] = Tensor.Zeros([2]),
        });
        return mlp;
    }

    /// <summary>The planted label: 1 when the top half of the image holds more ink than the bottom half.</summary>
    public static int Label(float[] pixels) => pixels.Take(Pixels / 2).Sum() > pixels.Skip(Pixels / 2).Sum() ? 1 : 0;
}
