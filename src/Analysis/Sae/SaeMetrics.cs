using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Sae;

/// <summary>
/// Reconstruction and sparsity of an SAE over a set of activation rows (SAELens's definitions).
/// </summary>
/// <param name="L0">mean number of active (f &gt; 0) features per row</param>
/// <param name="Mse">mean squared error per element (torch's mse_loss)</param>
/// <param name="MsePerRow">‖x − x̂‖² averaged over rows (SAELens's training mse_loss)</param>
/// <param name="ExplainedVariance">1 − E‖x − x̂‖² / E‖x − E x‖²: the residual's share of the total variance, pooled over dimensions</param>
/// <param name="DeadFraction">features that never fired on these rows</param>
/// <param name="DenseFraction">features firing on more than <paramref name="DenseThreshold"/> of the rows</param>
/// <param name="FeatureDensity">per feature, the fraction of rows on which it fired</param>
public sealed record SaeMetrics(int Rows, double L0, double Mse, double MsePerRow, double ExplainedVariance,
    double DeadFraction, double DenseFraction, double DenseThreshold, double[] FeatureDensity)
{
    /// <summary>Metrics over batches of rows [n, d_in]; nothing is kept but running sums.</summary>
    public static SaeMetrics Compute(SparseAutoencoder sae, IEnumerable<Tensor> batches, double denseThreshold = 0.1)
    {
        ArgumentNullException.ThrowIfNull(sae);
        if (!(denseThreshold >= 0 && denseThreshold <= 1)) throw new ArgumentException($"sae metrics: dense threshold must lie in [0, 1], got {denseThreshold}");
        using var _ = GradMode.NoGrad();
        var dt = sae.Config.DType;
        Tensor fired = Tensor.Zeros([sae.DSae], dt, sae.Device), sum = Tensor.Zeros([sae.DIn], dt, sae.Device);
        double active = 0, residSquares = 0, squares = 0;
        int rows = 0;
        foreach (var batch in batches)
        {
            var x = batch.To(dt).To(sae.Device);
            if (x.Rank != 2) throw new ArgumentException($"sae metrics: batches must be rows [n, {sae.DIn}], got {ShapeUtil.Format(x.ShapeArray)}");
            var f = sae.Encode(x);
            var xHat = sae.Decode(f);
            var on = f.Gt(0).To(dt);
            active += on.Sum().Item();
            fired = fired + on.Sum(0);
            residSquares += (x - xHat).Square().Sum().Item();
            squares += x.Square().Sum().Item();
            sum = sum + x.Sum(0);
            rows += x.Size(0);
        }
        if (rows == 0) throw new ArgumentException("sae metrics: no rows");
        // E‖x − E x‖² = E‖x‖² − ‖E x‖²
        double meanSquares = squares / rows, meanNormSquared = (sum / rows).Square().Sum().Item();
        double totalVariance = meanSquares - meanNormSquared;
        double residual = residSquares / rows;
        var density = fired.ToDoubleArray().Select(c => c / rows).ToArray();
        return new SaeMetrics(rows, active / rows, residSquares / ((double)rows * sae.DIn), residual,
            1 - residual / totalVariance,
            density.Count(d => d == 0) / (double)sae.DSae, density.Count(d => d > denseThreshold) / (double)sae.DSae,
            denseThreshold, density);
    }
}

/// <summary>
/// Next-token cross-entropy of the model clean, with the SAE's reconstruction spliced in at the hook, and with the hook
/// zero-ablated; <see cref="Recovered"/> = (CE_zero − CE_spliced) / (CE_zero − CE_clean), SAELens's ce_loss_score.
/// </summary>
public sealed record CeLossRecovered(double Clean, double Spliced, double ZeroAblation)
{
    public double Recovered => (ZeroAblation - Spliced) / (ZeroAblation - Clean);

    /// <param name="firstPosition">positions before it keep their activation in both splices (as the activation store skips them)</param>
    public static CeLossRecovered Compute(HookedTransformer model, SparseAutoencoder sae, string hookName, IEnumerable<Tensor> tokenBatches, int firstPosition = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        model.Hook(hookName);
        using var _ = GradMode.NoGrad();
        double clean = 0, spliced = 0, zero = 0;
        int batches = 0;
        foreach (var tokens in tokenBatches)
        {
            clean += Loss(model, tokens, null);
            spliced += Loss(model, tokens, (act, _) => Splice(act, firstPosition, a => Reconstruct(sae, a)));
            zero += Loss(model, tokens, (act, _) => Splice(act, firstPosition, Tensor.ZerosLike));
            batches++;
        }
        if (batches == 0) throw new ArgumentException("ce_loss_recovered: no token batches");
        return new CeLossRecovered(clean / batches, spliced / batches, zero / batches);

        double Loss(HookedTransformer m, Tensor tokens, ForwardHook? hook)
        {
            var hooks = hook is null ? null : new[] { ((HookFilter)hookName, hook) };
            var logits = m.RunWithHooks(tokens, hooks);
            return NextTokenCrossEntropy(logits, tokens);
        }
    }

    /// <summary>The SAE's reconstruction of an activation [batch, pos, ..] (trailing dimensions flattened to d_in), in its shape.</summary>
    public static Tensor Reconstruct(SparseAutoencoder sae, Tensor activation)
    {
        var shape = activation.ShapeArray;
        var rows = activation.Contiguous().Reshape(shape[0] * shape[1], -1);
        if (rows.Size(1) != sae.DIn)
            throw new ArgumentException($"sae splice: the hook's activation {ShapeUtil.Format(shape)} has {rows.Size(1)} features per position, the SAE's d_in is {sae.DIn}");
        return sae.Forward(rows.To(sae.Config.DType).To(sae.Device)).To(activation.DType).To(activation.Device).Reshape(shape);
    }

    static Tensor Splice(Tensor act, int firstPosition, Func<Tensor, Tensor> replace)
    {
        if (firstPosition <= 0) return replace(act);
        int pos = act.Size(1);
        if (firstPosition >= pos) return act;
        var kept = act.Narrow(1, 0, firstPosition);
        var replaced = replace(act.Narrow(1, firstPosition, pos - firstPosition).Contiguous());
        return Tensor.Cat([kept, replaced], 1);
    }

    /// <summary>Mean cross-entropy of predicting token t+1 from the logits at t, over every position but the last.</summary>
    public static double NextTokenCrossEntropy(Tensor logits, Tensor tokens)
    {
        if (tokens.Rank == 1) tokens = tokens.Unsqueeze(0);
        int pos = tokens.Size(1), vocab = logits.Size(-1);
        if (pos < 2) throw new ArgumentException($"ce_loss: needs at least 2 positions, got {pos}");
        var predictions = logits.Reshape(tokens.Size(0), pos, vocab).Narrow(1, 0, pos - 1).Contiguous().Reshape(-1, vocab);
        return predictions.CrossEntropy(tokens.Narrow(1, 1, pos - 1).Contiguous().Reshape(-1)).Item();
    }
}
