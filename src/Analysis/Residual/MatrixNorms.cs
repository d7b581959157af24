using Interp.Autograd;

namespace Interp.Analysis.Residual;

/// <summary>Frobenius and spectral (largest singular value) norms of a batch of matrices, with Tensor ops only.</summary>
public static class MatrixNorms
{
    /// <summary>‖M‖_F = √Σ m_ij² for each matrix of [..., rows, cols] → [...].</summary>
    public static Tensor Frobenius(Tensor m)
    {
        CheckMatrices("frobenius", m);
        using var _ = GradMode.NoGrad();
        return m.Square().Sum([-2, -1]).Sqrt();
    }

    /// <summary>
    /// ‖M‖_2 = σ_max for each matrix of [..., rows, cols] → [...], by power iteration on MᵀM from a fixed start,
    /// in float64, until the estimate changes by less than <paramref name="tolerance"/> (relative) or after
    /// <paramref name="maxIterations"/>. For a product A·B pass it as <see cref="SpectralOfProduct"/> to stay rank-small.
    /// </summary>
    public static Tensor Spectral(Tensor m, int maxIterations = 500, double tolerance = 1e-10) =>
        SpectralOfProduct(m, null, maxIterations, tolerance);

    /// <summary>‖A·B‖_2 for [..., r, k]·[..., k, c] without forming the product (cheap when k is small, as W_V·W_O).</summary>
    public static Tensor SpectralOfProduct(Tensor a, Tensor? b, int maxIterations = 500, double tolerance = 1e-10)
    {
        CheckMatrices("spectral", a);
        if (b is not null)
        {
            CheckMatrices("spectral", b);
            if (a.Size(-1) != b.Size(-2) || !a.ShapeArray[..^2].SequenceEqual(b.ShapeArray[..^2]))
                throw new ArgumentException($"spectral: cannot multiply {ShapeUtil.Format(a.ShapeArray)} by {ShapeUtil.Format(b.ShapeArray)}");
        }
        using var _ = GradMode.NoGrad();
        a = a.To(DType.Float64);
        b = b?.To(DType.Float64);
        Tensor Apply(Tensor v) => b is null ? a.MatMul(v) : a.MatMul(b.MatMul(v));                 // M v
        Tensor ApplyT(Tensor u) => b is null ? a.MT.MatMul(u) : b.MT.MatMul(a.MT.MatMul(u));       // Mᵀ u
        int cols = (b ?? a).Size(-1);
        var batch = a.ShapeArray[..^2];
        // a fixed, generic start vector (not orthogonal to the top singular vector for any but a measure-zero set)
        var start = Tensor.Randn([.. batch, cols, 1], new Generator(0x5eed), DType.Float64, a.Device);
        var v = start / start.Square().Sum(-2, keepDim: true).Sqrt();
        var sigma = Tensor.Zeros(batch, DType.Float64, a.Device);
        for (int i = 0; i < maxIterations; i++)
        {
            var w = ApplyT(Apply(v));                                     // MᵀM v
            var norm = w.Square().Sum(-2, keepDim: true).Sqrt();          // ≈ σ² ‖v‖
            var next = norm.Squeeze(-1).Squeeze(-1).Sqrt();
            v = w / norm.Clamp(min: 1e-300);
            double change = (next - sigma).Abs().Max().Item() / Math.Max(next.Max().Item(), 1e-300);
            sigma = next;
            if (change < tolerance) break;
        }
        return sigma;
    }

    static void CheckMatrices(string op, Tensor m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.Rank < 2) throw new ArgumentException($"{op}: needs matrices [..., rows, cols], got {ShapeUtil.Format(m.ShapeArray)}");
        if (!m.DType.IsFloatingPoint()) throw new ArgumentException($"{op}: needs a floating-point tensor, got {m.DType.Name()}");
    }
}
