using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Residual;

/// <summary>
/// The residual-norm analysis (as done for GPT-2): the mean L2 norm of the residual stream entering each block
/// (resid_pre 0..n−1) and leaving the last (resid_post n−1), i.e. n+1 points at "layer" 0..n, with an exponential fit
/// norm ≈ A·G^layer, and the size of what each layer writes: per head ‖W_V[h]·W_O[h]‖ (the OV circuit) and per MLP
/// ‖W_out‖, Frobenius and spectral.
/// </summary>
public sealed record ResidualNorms(
    string ModelName,
    IReadOnlyList<double> ResidNorm,
    ExponentialFit Fit,
    double[,] OvFrobenius,
    double[,] OvSpectral,
    IReadOnlyList<double>? WOutFrobenius,
    IReadOnlyList<double>? WOutSpectral,
    bool ExcludedBos)
{
    public int NLayers => OvFrobenius.GetLength(0);
    public int NHeads => OvFrobenius.GetLength(1);

    /// <summary>
    /// Measures a model on <paramref name="tokens"/> [batch, pos]; <paramref name="excludeBos"/> leaves position 0 out
    /// of the mean (its residual is typically far larger and would dominate it).
    /// </summary>
    public static ResidualNorms Measure(HookedTransformer model, Tensor tokens, bool excludeBos = true, string modelName = "model")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        int n = model.Config.NLayers;
        var (_, cache) = model.RunWithCache(tokens, name => name.EndsWith("hook_resid_pre") || name == $"blocks.{n - 1}.hook_resid_post");
        var norms = new double[n + 1];
        for (int l = 0; l <= n; l++) norms[l] = MeanNorm(l < n ? cache.ResidPre(l) : cache.ResidPost(n - 1), excludeBos);
        var (ovF, ovS) = OvNorms(model);
        var (outF, outS) = model.Config.AttnOnly ? (null, null) : WOutNorms(model);
        return new ResidualNorms(modelName, norms, ExponentialFit.Fit(norms), ovF, ovS, outF, outS, excludeBos);
    }

    /// <summary>Mean over batch and positions (from 1 with excludeBos) of ‖resid[b, p, :]‖₂.</summary>
    public static double MeanNorm(Tensor resid, bool excludeBos)
    {
        if (resid.Rank != 3) throw new ArgumentException($"residual norm: expected [batch, pos, d_model], got {ShapeUtil.Format(resid.ShapeArray)}");
        if (excludeBos)
        {
            if (resid.Size(1) < 2) throw new ArgumentException($"residual norm: excluding position 0 leaves nothing of {resid.Size(1)} position(s)");
            resid = resid.Narrow(1, 1, resid.Size(1) - 1);
        }
        using var _ = GradMode.NoGrad();
        return resid.To(DType.Float64).Square().Sum(-1).Sqrt().Mean().Item();
    }

    /// <summary>Per layer and head, ‖W_V[h]·W_O[h]‖ (Frobenius and spectral), [n_layers, n_heads] each.</summary>
    public static (double[,] Frobenius, double[,] Spectral) OvNorms(HookedTransformer model)
    {
        int n = model.Config.NLayers, h = model.Config.NHeads;
        var f = new double[n, h];
        var s = new double[n, h];
        using var _ = GradMode.NoGrad();
        for (int l = 0; l < n; l++)
        {
            var attn = model.Blocks[l].Attn;
            var wv = attn.W_V.To(DType.Float64);   // [head, d_model, d_head]
            var wo = attn.W_O.To(DType.Float64);   // [head, d_head, d_model]
            var frob = MatrixNorms.Frobenius(wv.MatMul(wo)).ToDoubleArray();
            var spec = MatrixNorms.SpectralOfProduct(wv, wo).ToDoubleArray();
            for (int i = 0; i < h; i++) (f[l, i], s[l, i]) = (frob[i], spec[i]);
        }
        return (f, s);
    }

    /// <summary>Per layer ‖W_out‖ (Frobenius and spectral) of the MLPs.</summary>
    public static (double[] Frobenius, double[] Spectral) WOutNorms(HookedTransformer model)
    {
        int n = model.Config.NLayers;
        if (model.Config.AttnOnly) throw new ArgumentException("w_out norms: the model is attention-only (no MLPs)");
        var f = new double[n];
        var s = new double[n];
        for (int l = 0; l < n; l++)
        {
            var w = model.Blocks[l].Mlp!.W_out;
            f[l] = MatrixNorms.Frobenius(w).Item();
            s[l] = MatrixNorms.Spectral(w).Item();
        }
        return (f, s);
    }

    /// <summary>Mean over the heads of a layer of an [n_layers, n_heads] table.</summary>
    public static double[] LayerMean(double[,] perHead) =>
        Enumerable.Range(0, perHead.GetLength(0)).Select(l => Enumerable.Range(0, perHead.GetLength(1)).Average(h => perHead[l, h])).ToArray();

    /// <summary>Largest over the heads of a layer of an [n_layers, n_heads] table.</summary>
    public static double[] LayerMax(double[,] perHead) =>
        Enumerable.Range(0, perHead.GetLength(0)).Select(l => Enumerable.Range(0, perHead.GetLength(1)).Max(h => perHead[l, h])).ToArray();
}
