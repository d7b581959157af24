using Interp.Analysis.Cases;
using Interp.Analysis.Linalg;
using Xunit;

namespace Interp.Tests.Analysis.Linalg;

public class LinalgTests
{
    // H = I − 2vvᵀ/(vᵀv) is symmetric and orthogonal, so A = H·diag(λ)·H has eigenvalues λ and eigenvectors H's columns
    static (double[,] A, double[,] H) KnownMatrix(double[] lambda, double[] v)
    {
        int n = lambda.Length;
        double vv = v.Sum(x => x * x);
        var h = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) h[i, j] = (i == j ? 1 : 0) - 2 * v[i] * v[j] / vv;
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < n; k++) a[i, j] += h[i, k] * lambda[k] * h[j, k];
        return (a, h);
    }

    [Fact]
    public void JacobiRecoversAKnownDecomposition()
    {
        double[] lambda = [5, -3, 2, 0.5, 1e-3];
        var (a, h) = KnownMatrix(lambda, [1, -2, 0.5, 3, 1]);
        var (values, vectors) = SymmetricEigen.Decompose(a);
        Assert.Equal(lambda.OrderByDescending(x => x).ToArray(), values, (x, y) => Math.Abs(x - y) < 1e-12);
        var order = lambda.Select((l, i) => (l, i)).OrderByDescending(t => t.l).Select(t => t.i).ToArray();
        for (int c = 0; c < 5; c++)
        {
            // same vector up to sign: |⟨v_c, h_col⟩| = 1
            double dot = Enumerable.Range(0, 5).Sum(i => vectors[i, c] * h[i, order[c]]);
            Assert.Equal(1.0, Math.Abs(dot), 12);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(40)]
    public void RandomSymmetricMatricesAreDiagonalisedByAnOrthogonalBasis(int n)
    {
        var gen = new Generator((ulong)n);
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i, j] = a[j, i] = gen.NextNormal();
        var (values, v) = SymmetricEigen.Decompose(a);
        for (int i = 0; i + 1 < n; i++) Assert.True(values[i] >= values[i + 1]);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double vtv = 0, av = 0;
                for (int k = 0; k < n; k++) { vtv += v[k, i] * v[k, j]; av += a[i, k] * v[k, j]; }
                Assert.Equal(i == j ? 1 : 0, vtv, 10);                 // VᵀV = I
                Assert.Equal(values[j] * v[i, j], av, 9);              // A·V = V·Λ
            }
        Assert.Equal(Enumerable.Range(0, n).Sum(i => a[i, i]), values.Sum(), 9);
    }

    [Fact]
    public void BadMatricesAreRefusedByName()
    {
        var e1 = Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[2, 3]));
        Assert.Contains("square", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[,] { { 1, 2 }, { 0, 1 } }));
        Assert.Contains("not symmetric", e2.Message);
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[,] { { double.NaN } }));
    }

    [Fact]
    public void PcaFindsTheAxesOfAKnownCovariance()
    {
        // rows ±a_i·q_i (plus a mean): the sample covariance is exactly Σ_i 2a_i² q_i q_iᵀ / (n − 1), n = 6
        double[] amp = [3, 2, 0.5];
        var (_, q) = KnownMatrix([1, 1, 1], [1, 2, -1]);              // columns q_i orthonormal
        double[] mean = [10, -4, 1];
        var rows = new List<double>();
        for (int i = 0; i < 3; i++)
            foreach (int sign in new[] { 1, -1 })
                for (int d = 0; d < 3; d++) rows.Add(mean[d] + sign * amp[i] * q[d, i]);
        var x = Tensor.FromArray(rows.ToArray(), [6, 3]);
        var pca = Pca.Fit(x, 3);
        Assert.Equal(mean, pca.Mean.ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(2 * amp[i] * amp[i] / 5, pca.Variances[i], 10);
            double dot = Enumerable.Range(0, 3).Sum(d => pca.Components.GetValue(i, d) * q[d, i]);
            Assert.Equal(1.0, Math.Abs(dot), 10);
        }
        double total = amp.Sum(a => a * a);
        Assert.Equal(amp[0] * amp[0] / total, pca.ExplainedRatio[0], 10);
        // the projection of the first row is (±a_0, 0, 0)
        var first = pca.Project(x.Narrow(0, 0, 1)).ToDoubleArray();
        Assert.Equal(amp[0], Math.Abs(first[0]), 10);
        Assert.Equal(0, first[1], 10);
        Assert.Equal(0, first[2], 10);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(113)]
    public void FourierBasisIsOrthonormalAndFindsAPureFrequency(int p)
    {
        var (basis, names, _) = CyclicFourierBasis.Of(p);
        var gram = basis.MatMul(basis.T).ToDoubleArray();
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) Assert.Equal(i == j ? 1 : 0, gram[i * p + j], 10);
        Assert.Equal("cos 1", names[1]);
        // a table whose columns are cos(2π·3x/p) and sin(2π·3x/p + 1) lives in frequency 3 only
        var table = new double[p * 2];
        for (int x = 0; x < p; x++) (table[2 * x], table[2 * x + 1]) = (Math.Cos(2 * Math.PI * 3 * x / p), Math.Sin(2 * Math.PI * 3 * x / p + 1));
        var norms = CyclicFourierBasis.FrequencyNorms(Tensor.FromArray(table, [p, 2]));
        Assert.Equal(p / 2 + 1, norms.Length);
        double fro = Math.Sqrt(table.Sum(v => v * v));
        for (int k = 0; k < norms.Length; k++) Assert.Equal(k == 3 ? fro : 0, norms[k], 9);
    }
}
