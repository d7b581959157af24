namespace Interp.Analysis.Linalg;

/// <summary>Solves A·x = b for a symmetric positive definite A (row-major n×n) by A = L·Lᵀ and two triangular solves.</summary>
public static class Cholesky
{
    public static double[] Solve(double[] a, double[] b, int n)
    {
        var l = new double[n * n];
        for (int j = 0; j < n; j++)
        {
            double diag = a[j * n + j];
            for (int k = 0; k < j; k++) diag -= l[j * n + k] * l[j * n + k];
            if (!(diag > 0)) throw new ArgumentException("cholesky: the matrix is not positive definite");
            l[j * n + j] = Math.Sqrt(diag);
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = s / l[j * n + j];
            }
        }
        var z = new double[n];   // L z = b
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i * n + k] * z[k];
            z[i] = s / l[i * n + i];
        }
        var x = new double[n];   // Lᵀ x = z
        for (int i = n - 1; i >= 0; i--)
        {
            double s = z[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
            x[i] = s / l[i * n + i];
        }
        return x;
    }
}
