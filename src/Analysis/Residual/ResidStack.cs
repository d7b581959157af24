namespace Interp.Analysis.Residual;

/// <summary>
/// A stack of residual-stream vectors, one per component (TransformerLens's <c>return_labels=True</c>):
/// <see cref="Values"/> is [component, batch, pos, d_model] ([component, batch, d_model] after a position was picked),
/// <see cref="Labels"/> names each component ("0_pre", "L1H3", "embed", ...).
/// </summary>
public sealed record ResidStack(Tensor Values, IReadOnlyList<string> Labels)
{
    public int Count => Labels.Count;

    /// <summary>The component named <paramref name="label"/>, [batch, pos, d_model].</summary>
    public Tensor this[string label]
    {
        get
        {
            int i = Labels.ToList().IndexOf(label);
            if (i < 0) throw new KeyNotFoundException($"resid stack: no component '{label}' (it has {string.Join(", ", Labels.Take(8))}{(Count > 8 ? ", ..." : "")})");
            return Values.Select(0, i);
        }
    }

    /// <summary>The sum over components, the residual stream they decompose.</summary>
    public Tensor Sum() => Values.Sum(0);
}
