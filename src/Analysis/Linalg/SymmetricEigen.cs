namespace Interp.Analysis.Linalg;

/// <summary>
/// Eigen decomposition of a real symmetric matrix by the cyclic Jacobi method: A = V·diag(λ)·Vᵀ with V orthogonal.
/// Each rotation zeroes one off-diagonal pair (p, q); sweeps over all pairs until the off-diagonal mass is below
/// tolerance·‖A‖_F. Quadratic convergence, exact orthogonality of V up to rounding; fine for d ≲ a few hundred.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>Eigenvalues in descending order and the matching unit eigenvectors as the columns of Vectors [n, n].</summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] matrix, double tolerance = 1e-14, int maxSweeps = 100)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int n = matrix.GetLength(0);
        if (n != matrix.GetLength(1))
            throw new ArgumentException($"eigh: expected a square matrix, got [{n}, {matrix.GetLength(1)}]");
        CheckSymmetric(matrix);
        var a = (double[,])matrix.Clone();
        var v = Identity(n);
        double scale = Math.Sqrt(SumOfSquares(a, offDiagonalOnly: false));
        for (int sweep = 0; sweep < maxSweeps && n > 1; sweep++)
        {
            if (Math.Sqrt(SumOfSquares(a, offDiagonalOnly: true)) <= tolerance * Math.Max(scale, double.Epsilon)) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                    Rotate(a, v, p, q);
        }
        return Sorted(a, v);
    }

    /// <summary>The same for a square float tensor [n, n]: eigenvalues [n] (descending) and eigenvectors [n, n] as columns, float64.</summary>
    public static (Tensor Values, Tensor Vectors) Decompose(Tensor matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.Rank != 2 || matrix.Size(0) != matrix.Size(1))
            throw new ArgumentException($"eigh: expected a square matrix [n, n], got {ShapeUtil.Format(matrix.ShapeArray)}");
        int n = matrix.Size(0);
        var flat = matrix.To(DType.Float64).ToCpuContiguous().ToDoubleArray();
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) m[i, j] = flat[i * n + j];
        var (values, vectors) = Decompose(m);
        return (Tensor.FromArray(values), Tensor.FromArray(vectors));
    }

    // Rotation in the (p, q) plane that zeroes a[p, q] (Golub & Van Loan, Algorithm 8.4.2):
    // θ = (a_qq − a_pp) / (2 a_pq), t = sign(θ) / (|θ| + √(θ² + 1)), c = 1/√(t² + 1), s = t·c; A ← JᵀAJ, V ← VJ.
    static void Rotate(double[,] a, double[,] v, int p, int q)
    {
        double apq = a[p, q];
        if (apq == 0) return;
        double theta = (a[q, q] - a[p, p]) / (2 * apq);
        double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        int n = a.GetLength(0);
        for (int k = 0; k < n; k++)
        {
            double akp = a[k, p], akq = a[k, q];
            a[k, p] = c * akp - s * akq;
            a[k, q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++)
        {
            double apk = a[p, k], aqk = a[q, k];
            a[p, k] = c * apk - s * aqk;
            a[q, k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; k++)
        {
            double vkp = v[k, p], vkq = v[k, q];
            v[k, p] = c * vkp - s * vkq;
            v[k, q] = s * vkp + c * vkq;
        }
    }

    static (double[] Values, double[,] Vectors) Sorted(double[,] a, double[,] v)
    {
        int n = a.GetLength(0);
        var order = Enumerable.Range(0, n).OrderByDescending(i => a[i, i]).ToArray();
        var values = order.Select(i => a[i, i]).ToArray();
        var vectors = new double[n, n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) vectors[i, j] = v[i, order[j]];
        return (values, vectors);
    }

    static void CheckSymmetric(double[,] m)
    {
        int n = m.GetLength(0);
        double scale = 0;
        foreach (var x in m)
        {
            if (!double.IsFinite(x)) throw new ArgumentException("eigh: the matrix holds a NaN or infinite entry");
            scale = Math.Max(scale, Math.Abs(x));
        }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (Math.Abs(m[i, j] - m[j, i]) > 1e-6 * Math.Max(scale, 1e-300))
                    throw new ArgumentException($"eigh: the matrix is not symmetric: [{i}, {j}] = {m[i, j]} but [{j}, {i}] = {m[j, i]}");
    }

    static double SumOfSquares(double[,] a, bool offDiagonalOnly)
    {
        int n = a.GetLength(0);
        double s = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (!offDiagonalOnly || i != j) s += a[i, j] * a[i, j];
        return s;
    }

    static double[,] Identity(int n)
    {
        var m = new double[n, n];
        for (int i = 0; i < n; i++) m[i, i] = 1;
        return m;
    }
}
