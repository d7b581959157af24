namespace Interp;

/// <summary>Shape arithmetic shared by every op: element counts, strides, broadcasting, dim normalisation.</summary>
public static class ShapeUtil
{
    public static int Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        if (n > int.MaxValue) throw new ArgumentException($"shape {Format(shape)} has {n} elements, more than {int.MaxValue}");
        return (int)n;
    }

    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= Math.Max(shape[i], 1); }
        return s;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>NumPy/PyTorch broadcasting: align from the right; each pair of sizes must be equal or one of them 1.</summary>
    public static int[] Broadcast(string op, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)];
            int db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast (dim {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Strides that read a tensor of shape/strides as if it had the (broadcast) shape <paramref name="target"/>.</summary>
    public static int[] BroadcastStrides(string op, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> target)
    {
        var r = new int[target.Length];
        int lead = target.Length - shape.Length;
        if (lead < 0) throw new ArgumentException($"{op}: cannot broadcast shape {Format(shape)} to {Format(target)}");
        for (int i = 0; i < shape.Length; i++)
        {
            int d = shape[i], t = target[lead + i];
            if (d == t) r[lead + i] = d == 1 ? 0 : strides[i];
            else if (d == 1) r[lead + i] = 0;
            else throw new ArgumentException($"{op}: cannot broadcast shape {Format(shape)} to {Format(target)}");
        }
        return r;
    }

    /// <summary>Turns a possibly negative dim into 0..rank-1, or throws naming the op.</summary>
    public static int NormalizeDim(string op, int dim, int rank) => NormalizeDim(op, dim, rank, $"rank {rank}");

    /// <summary>As NormalizeDim(op, dim, rank), naming the tensor's shape in the error.</summary>
    public static int NormalizeDim(string op, int dim, ReadOnlySpan<int> shape) => NormalizeDim(op, dim, shape.Length, $"shape {Format(shape)}");

    static int NormalizeDim(string op, int dim, int rank, string tensor)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dim {dim} is out of range for a tensor of {tensor} (expected {-r}..{r - 1})");
        return dim < 0 ? dim + r : dim;
    }

    public static int[] NormalizeDims(string op, ReadOnlySpan<int> dims, int rank) => NormalizeDims(op, dims, rank, $"rank {rank}");

    public static int[] NormalizeDims(string op, ReadOnlySpan<int> dims, ReadOnlySpan<int> shape) => NormalizeDims(op, dims, shape.Length, $"shape {Format(shape)}");

    static int[] NormalizeDims(string op, ReadOnlySpan<int> dims, int rank, string tensor)
    {
        var r = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            r[i] = NormalizeDim(op, dims[i], rank, tensor);
            for (int j = 0; j < i; j++)
                if (r[j] == r[i]) throw new ArgumentException($"{op}: dim {dims[i]} appears more than once in {Format(dims)} (tensor of {tensor})");
        }
        return r;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>A shape seen around one dim: (product of the dims before it, its size, product of the dims after it).</summary>
    public static (int outer, int n, int inner) AroundDim(int[] shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int d = 0; d < dim; d++) outer *= shape[d];
        for (int d = dim + 1; d < shape.Length; d++) inner *= shape[d];
        return (outer, shape[dim], inner);
    }

    /// <summary>The shape left after reducing <paramref name="reduced"/> dims (kept as 1s with keepDim), and the reduced element count.</summary>
    public static (int[] shape, int reducedCount) ReducedShape(int[] shape, bool[] reduced, bool keepDim)
    {
        var outShape = new List<int>();
        int count = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (reduced[d]) { count *= shape[d]; if (keepDim) outShape.Add(1); }
            else outShape.Add(shape[d]);
        }
        return (outShape.ToArray(), count);
    }
}
