using Interp.Autograd;
using Interp.Optim;

namespace Interp.Analysis.Sae;

/// <summary>
/// Resampling of dead features after Anthropic's "Towards Monosemanticity" (2023): each dead feature gets the direction
/// of an input drawn with probability ∝ (its reconstruction loss)², so features move toward what the SAE explains worst.
/// Decoder row ← the unit vector of (x − b_dec); encoder column ← the same vector × 0.2 × the mean encoder-column norm of
/// the live features; encoder bias ← 0; and Adam's moments of those entries are reset to zero.
/// </summary>
public sealed class DeadFeatureResampler(SparseAutoencoder sae, Optimizer optimizer, Generator gen)
{
    const double EncoderScale = 0.2;

    /// <param name="dead">[d_sae], nonzero where a feature is dead</param>
    /// <param name="rows">inputs [n, d_in] to draw the new directions from</param>
    /// <returns>the number of features resampled</returns>
    public int Resample(Tensor dead, Tensor rows)
    {
        var deadIds = Indices(dead);
        if (deadIds.Length == 0) return 0;
        using var _ = GradMode.NoGrad();
        rows = rows.To(sae.Config.DType).To(sae.Device);
        var chosen = Choose(LossPerRow(rows), deadIds.Length);
        var index = Tensor.FromArray(deadIds, device: rows.Device);
        var directions = rows.IndexSelect(0, Tensor.FromArray(chosen, device: rows.Device)) - sae.b_dec.Detach();
        directions = directions / directions.Norm(2, 1, keepDim: true).Clamp(min: 1e-12);

        var deadMask = dead.Ne(0).To(sae.Config.DType);
        var alive = 1.0 - deadMask;
        var encoderNorms = sae.W_enc.Detach().Norm(2, 0);
        double aliveCount = alive.Sum().Item();
        double meanAliveNorm = aliveCount > 0 ? (encoderNorms * alive).Sum().Item() / aliveCount : 1.0;

        var newDecoderRows = Tensor.Zeros([sae.DSae, sae.DIn], sae.Config.DType, sae.Device).IndexAdd(0, index, directions);
        sae.Assign(
            ("W_dec", sae.W_dec.Detach() * alive.Unsqueeze(1) + newDecoderRows),
            ("W_enc", sae.W_enc.Detach() * alive + newDecoderRows.Transpose(0, 1) * (EncoderScale * meanAliveNorm)),
            ("b_enc", sae.b_enc.Detach() * alive));
        ResetAdamState(alive);
        return deadIds.Length;
    }

    /// <summary>‖x − x̂‖² of every row (the MSE term of the loss, per input).</summary>
    Tensor LossPerRow(Tensor rows) => (sae.Forward(rows) - rows).Square().Sum(1);

    /// <summary>n row indices drawn with replacement with probability ∝ loss² (uniform if every loss is 0).</summary>
    int[] Choose(Tensor losses, int n)
    {
        var w = losses.ToDoubleArray().Select(l => l * l).ToArray();
        double total = w.Sum();
        var cumulative = new double[w.Length];
        double acc = 0;
        for (int i = 0; i < w.Length; i++) cumulative[i] = acc += total > 0 ? w[i] : 1;
        var picks = new int[n];
        for (int j = 0; j < n; j++)
        {
            int i = Array.BinarySearch(cumulative, gen.NextDouble() * acc);
            picks[j] = Math.Min(i < 0 ? ~i : i, w.Length - 1);
        }
        return picks;
    }

    /// <summary>Zeroes Adam's moments of W_enc's columns, W_dec's rows and b_enc's entries of the resampled features.</summary>
    void ResetAdamState(Tensor alive)
    {
        var parameters = optimizer.Parameters;
        var state = optimizer.ExportState();
        foreach (var name in state.Keys.ToList())
        {
            var parts = name.Split('.', 3);
            if (parts[2] == "step") continue;
            var p = parameters[int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)];
            var t = state[name];
            if (ReferenceEquals(p, sae.W_enc) || ReferenceEquals(p, sae.b_enc)) state[name] = t * alive;
            else if (ReferenceEquals(p, sae.W_dec)) state[name] = t * alive.Unsqueeze(1);
        }
        optimizer.ImportState(state);
    }

    static int[] Indices(Tensor mask)
    {
        var m = mask.ToDoubleArray();
        return Enumerable.Range(0, m.Length).Where(i => m[i] != 0).ToArray();
    }
}
