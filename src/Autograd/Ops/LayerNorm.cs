using Interp.Autograd;

namespace Interp;

/// <summary>Layer normalisation over the trailing dims (torch.nn.functional.layer_norm), fused forward and backward.</summary>
public static class LayerNormOps
{
    extension(Tensor x)
    {
        /// <summary>
        /// (x − mean) / √(var + eps) · weight + bias, with mean and biased var over the trailing dims given by
        /// <paramref name="normalizedShape"/>; weight and bias (of that shape) are optional.
        /// </summary>
        public Tensor LayerNorm(int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
        {
            const string name = "layer_norm";
            Check.Float(name, x);
            int k = normalizedShape.Length;
            if (k == 0 || k > x.Rank || !ShapeUtil.SameShape(x.shape.AsSpan(x.Rank - k), normalizedShape))
                throw new ArgumentException($"layer_norm: normalizedShape {ShapeUtil.Format(normalizedShape)} does not match the trailing dims of input shape {ShapeUtil.Format(x.shape)}");
            CheckAffine("weight", x, weight, normalizedShape);
            CheckAffine("bias", x, bias, normalizedShape);
            int n = ShapeUtil.Numel(normalizedShape);
            var (y, mean, rstd) = x.Backend.LayerNorm(x, n, weight, bias, eps);
            return Graph.Record(name, y, [x, weight, bias], g =>
            {
                bool affine = weight is { RequiresGrad: true } || bias is { RequiresGrad: true };
                var (dx, dw, db) = x.Backend.LayerNormBackward(g, x.Detach(), mean, rstd, weight?.Detach(), n, affine);
                return [Graph.FusedBackward(name, dx, g, x, weight),
                        weight is { RequiresGrad: true } ? dw!.Reshape(normalizedShape) : null,
                        bias is { RequiresGrad: true } ? db!.Reshape(normalizedShape) : null];
            });
        }
    }

    static void CheckAffine(string what, Tensor x, Tensor? p, int[] normalizedShape)
    {
        if (p is null) return;
        if (!ShapeUtil.SameShape(p.shape, normalizedShape))
            throw new ArgumentException($"layer_norm: {what} of shape {ShapeUtil.Format(p.shape)} does not match normalizedShape {ShapeUtil.Format(normalizedShape)} (input shape {ShapeUtil.Format(x.shape)})");
        Check.SameDevice("layer_norm", x, p);
        Check.SameDType("layer_norm", x, p);
    }
}
