using Interp.Autograd;

namespace Interp;

/// <summary>Inverted dropout (torch.nn.functional.dropout).</summary>
public static class DropoutOps
{
    extension(Tensor x)
    {
        /// <summary>
        /// Zeros each element with probability p and scales the rest by 1/(1 − p), so the expectation is unchanged;
        /// the identity when not training or p = 0. The backward multiplies by the same mask (it is the product x·mask).
        /// </summary>
        public Tensor Dropout(double p = 0.5, bool training = true, Generator? gen = null)
        {
            if (p is < 0 or > 1 || double.IsNaN(p))
                throw new ArgumentException($"dropout: probability p must be in [0, 1], got {p}");
            Check.Float("dropout", x);
            if (!training || p == 0) return x;
            var g = gen ?? Generator.Default;
            double keepScale = p == 1 ? 0 : 1 / (1 - p);
            var mask = new double[x.Numel];
            for (int i = 0; i < mask.Length; i++) mask[i] = g.NextDouble() < p ? 0 : keepScale;
            return x * Tensor.FromDoubles(mask, x.ShapeArray, x.DType, x.Device);
        }
    }
}
