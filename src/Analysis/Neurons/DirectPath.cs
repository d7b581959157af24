using Interp.Nn;

namespace Interp.Analysis.Neurons;

/// <summary>
/// How a hook's units reach the logits directly, as one linear map per logit: logit k gets
/// Σ_j Σ_e a[i, j, e]·<see cref="Row"/>(k)[j·Width + e] / s[i] + <see cref="Bias"/>(k) from the units, where a[i, j, e]
/// is unit j's activation (a vector of <see cref="Width"/> numbers: 1 for a neuron, d_head for an attention head's z)
/// and s[i] the input's value at <see cref="ScaleHook"/> (a final LayerNorm's scale; 1 when null).
/// For a linear layer read straight into the logits this is W[k] and b[k] exactly; for a transformer the rest of the
/// residual stream adds to it, and <see cref="Through"/> says what the path passes.
/// </summary>
public sealed record DirectPath(string Through, int Width, Func<int, double[]> Row, Func<int, double> Bias, string? ScaleHook = null)
{
    /// <summary>Whether the units and <see cref="Bias"/> make up the logit alone (a linear readout), not with other terms.</summary>
    public bool Complete { get; init; } = true;

    /// <summary>A linear layer W [out, hidden] that reads the hook straight into the logits.</summary>
    public static DirectPath Of(Linear readout, string name)
    {
        var w = readout.Weight.To(DType.Float64).ToCpuContiguous().ToDoubleArray();
        var b = readout.Bias?.To(DType.Float64).ToCpuContiguous().ToDoubleArray();
        int hidden = readout.InFeatures;
        return new DirectPath(name, 1, k => w.AsSpan(k * hidden, hidden).ToArray(), k => b?[k] ?? 0);
    }
}
