using Interp.Autograd;

namespace Interp;

/// <summary>torch.diagonal: a strided view of the elements x[..., i, ..., i + offset, ...].</summary>
public static class DiagonalOps
{
    extension(Tensor x)
    {
        /// <summary>
        /// The diagonal over dims <paramref name="dim1"/> and <paramref name="dim2"/> (above the main one for a positive
        /// offset, below it for a negative one), both removed and the diagonal appended as the last dim. No copy: the new
        /// dim steps by stride1 + stride2. The backward writes the gradient into the diagonal of zeros.
        /// </summary>
        public Tensor Diagonal(int offset = 0, int dim1 = 0, int dim2 = 1)
        {
            if (x.Rank < 2) throw new ArgumentException($"diagonal: expects a tensor of rank >= 2, got {ShapeUtil.Format(x.shape)}");
            int d1 = ShapeUtil.NormalizeDim("diagonal", dim1, x.Rank), d2 = ShapeUtil.NormalizeDim("diagonal", dim2, x.Rank);
            if (d1 == d2) throw new ArgumentException($"diagonal: dim1 and dim2 are the same dim ({dim1}, {dim2}) of a tensor of shape {ShapeUtil.Format(x.shape)}");
            var r = DiagonalRaw(x, offset, d1, d2);
            var inShape = x.ShapeArray;
            var dtype = x.DType; var device = x.Device;
            return Graph.Record("diagonal", r, [x], g => [DiagonalBackward(g, inShape, dtype, device, offset, d1, d2)]);
        }
    }

    static Tensor DiagonalRaw(Tensor x, int offset, int d1, int d2)
    {
        int n1 = x.shape[d1], n2 = x.shape[d2];
        int len = Math.Max(0, offset >= 0 ? Math.Min(n1, n2 - offset) : Math.Min(n1 + offset, n2));
        int start = len == 0 ? x.Offset : x.Offset + (offset >= 0 ? offset * x.strides[d2] : -offset * x.strides[d1]);
        var keep = Enumerable.Range(0, x.Rank).Where(i => i != d1 && i != d2).ToArray();
        var shape = keep.Select(i => x.shape[i]).Append(len).ToArray();
        var strides = keep.Select(i => x.strides[i]).Append(x.strides[d1] + x.strides[d2]).ToArray();
        return x.ViewRaw(shape, strides, start);
    }

    /// <summary>Zeros of the input shape with g on the diagonal; itself differentiable (its backward is the diagonal again).</summary>
    static Tensor DiagonalBackward(Tensor g, int[] inShape, DType dtype, Device device, int offset, int d1, int d2)
    {
        var z = Tensor.Zeros(inShape, dtype, device);
        z.Backend.Copy(g, DiagonalRaw(z, offset, d1, d2));
        return Graph.Record("diagonal_backward", z, [g], gg => [gg.Diagonal(offset, d1, d2)]);
    }
}
