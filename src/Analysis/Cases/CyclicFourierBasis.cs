namespace Interp.Analysis.Cases;

/// <summary>
/// The real Fourier basis of Z_p as orthonormal rows [p, p]: the constant 1/√p, then for each frequency
/// k = 1..⌊(p−1)/2⌋ the pair √(2/p)·cos(2πkx/p), √(2/p)·sin(2πkx/p), and for even p the alternating cos(πx)/√p.
/// Projecting a table indexed by x ∈ Z_p (an embedding W_E[:p]) on it shows which frequencies the table uses.
/// </summary>
public static class CyclicFourierBasis
{
    /// <summary>Basis rows [p, p] (float64) and each row's name ("const", "cos 1", "sin 1", ...).</summary>
    public static (Tensor Basis, string[] Names, int[] Frequency) Of(int p)
    {
        if (p < 2) throw new ArgumentException($"fourier basis: p must be at least 2, got {p}");
        var rows = new double[p * p];
        var names = new string[p];
        var freq = new int[p];
        for (int x = 0; x < p; x++) rows[x] = 1 / Math.Sqrt(p);
        names[0] = "const";
        int r = 1;
        for (int k = 1; 2 * k < p; k++, r += 2)
        {
            for (int x = 0; x < p; x++)
            {
                double angle = 2 * Math.PI * k * x / p;
                rows[r * p + x] = Math.Sqrt(2.0 / p) * Math.Cos(angle);
                rows[(r + 1) * p + x] = Math.Sqrt(2.0 / p) * Math.Sin(angle);
            }
            (names[r], names[r + 1], freq[r], freq[r + 1]) = ($"cos {k}", $"sin {k}", k, k);
        }
        if (p % 2 == 0)
        {
            for (int x = 0; x < p; x++) rows[r * p + x] = (x % 2 == 0 ? 1 : -1) / Math.Sqrt(p);
            (names[r], freq[r]) = ($"cos {p / 2}", p / 2);
        }
        return (Tensor.FromArray(rows, [p, p]), names, freq);
    }

    /// <summary>
    /// Norm of each frequency's component of a table [p, d] (rows indexed by x): ‖F_k·table‖ over the cos and sin rows
    /// of frequency k, for k = 0..⌊p/2⌋. Their squares sum to ‖table‖²_F (the basis is orthonormal).
    /// </summary>
    public static double[] FrequencyNorms(Tensor table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Rank != 2) throw new ArgumentException($"fourier norms: expected a table [p, d], got {ShapeUtil.Format(table.ShapeArray)}");
        int p = table.Size(0);
        var (basis, _, freq) = Of(p);
        var rowNorms = basis.MatMul(table.To(DType.Float64)).Norm(2, 1).ToDoubleArray();
        var sq = new double[p / 2 + 1];
        for (int i = 0; i < p; i++) sq[freq[i]] += rowNorms[i] * rowNorms[i];
        return sq.Select(Math.Sqrt).ToArray();
    }
}
