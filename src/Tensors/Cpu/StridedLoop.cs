namespace Interp.Cpu;

/// <summary>
/// Walks the elements of one shape through several strided operands at once. Adjacent dims that every operand
/// stores contiguously are merged first, so most ops end up with a long innermost run that a SIMD loop can take;
/// the outer rows are split over the cores when the tensor is large.
/// </summary>
internal sealed class StridedLoop
{
    public readonly int[] OuterShape;
    public readonly int[][] OuterStrides;   // per operand, for the outer dims
    public readonly int[] InnerStrides;     // per operand, for the innermost dim
    public readonly int Inner;              // length of the innermost run
    public readonly int Rows;               // number of innermost runs

    public StridedLoop(int[] shape, params int[][] strides)
    {
        var (s, st) = Coalesce(shape, strides);
        int rank = s.Length;
        Inner = rank == 0 ? 1 : s[rank - 1];
        OuterShape = rank == 0 ? [] : s[..^1];
        InnerStrides = new int[strides.Length];
        OuterStrides = new int[strides.Length][];
        for (int k = 0; k < strides.Length; k++)
        {
            InnerStrides[k] = rank == 0 ? 0 : st[k][rank - 1];
            OuterStrides[k] = rank == 0 ? [] : st[k][..^1];
        }
        long rows = 1;
        foreach (var d in OuterShape) rows *= d;
        Rows = Inner == 0 ? 0 : (int)rows;
    }

    /// <summary>Drops size-1 dims and merges dim i into i+1 where every operand has stride[i] == stride[i+1]·size[i+1].</summary>
    static (int[] shape, int[][] strides) Coalesce(int[] shape, int[][] strides)
    {
        var outShape = new List<int>();
        var outStrides = strides.Select(_ => new List<int>()).ToArray();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            int last = outShape.Count - 1;
            bool merge = last >= 0;
            for (int k = 0; k < strides.Length && merge; k++)
                merge = outStrides[k][last] == strides[k][d] * shape[d];
            if (merge)
            {
                outShape[last] *= shape[d];
                for (int k = 0; k < strides.Length; k++) outStrides[k][last] = strides[k][d];
            }
            else
            {
                outShape.Add(shape[d]);
                for (int k = 0; k < strides.Length; k++) outStrides[k].Add(strides[k][d]);
            }
        }
        if (shape.Contains(0)) return ([0], strides.Select(_ => new[] { 0 }).ToArray());
        return (outShape.ToArray(), outStrides.Select(l => l.ToArray()).ToArray());
    }

    /// <summary>
    /// Calls body(offsets, n, strides) for every innermost run, or for pieces of it; offsets[k] is operand k's element
    /// offset. Large work is split over the cores: by rows when there are enough of them, otherwise each row in pieces
    /// (a contiguous tensor coalesces into one row, which alone would keep one core busy).
    /// </summary>
    public void Run(int[] baseOffsets, RowBody body)
    {
        long work = (long)Rows * Inner;
        int target = Environment.ProcessorCount * 4;
        if (work < 1 << 15 || Rows == 0) { RunRows(0, Rows, baseOffsets, body); return; }
        if (Rows >= target)
        {
            CpuParallel.For(target, c =>
            {
                int start = (int)((long)Rows * c / target), end = (int)((long)Rows * (c + 1) / target);
                RunRows(start, end, baseOffsets, body);
            });
            return;
        }
        int pieces = (int)Math.Clamp(Inner / MinPiece, 1, (target + Rows - 1) / Rows);
        if (Rows == 1 && pieces == 1) { RunRows(0, 1, baseOffsets, body); return; }
        CpuParallel.For(Rows * pieces, c =>
        {
            int row = c / pieces, piece = c % pieces;
            // piece boundaries on multiples of 16 elements, so the SIMD loops see whole vectors
            int start = (int)((long)Inner * piece / pieces) & ~15, end = piece == pieces - 1 ? Inner : (int)((long)Inner * (piece + 1) / pieces) & ~15;
            Span<int> off = stackalloc int[baseOffsets.Length];
            RowOffsets(row, baseOffsets, off);
            for (int k = 0; k < off.Length; k++) off[k] += start * InnerStrides[k];
            body(off, end - start, InnerStrides);
        });
    }

    /// <summary>Elements a piece of a split row has at least.</summary>
    const int MinPiece = 8192;

    void RowOffsets(int row, int[] baseOffsets, Span<int> off)
    {
        int rank = OuterShape.Length;
        for (int k = 0; k < off.Length; k++) off[k] = baseOffsets[k];
        for (int d = rank - 1; d >= 0; d--)
        {
            int i = row % OuterShape[d];
            row /= OuterShape[d];
            for (int k = 0; k < off.Length; k++) off[k] += i * OuterStrides[k][d];
        }
    }

    public delegate void RowBody(ReadOnlySpan<int> offsets, int inner, ReadOnlySpan<int> innerStrides);

    void RunRows(int start, int end, int[] baseOffsets, RowBody body)
    {
        int nOps = baseOffsets.Length, rank = OuterShape.Length;
        Span<int> idx = stackalloc int[Math.Max(rank, 1)];
        Span<int> off = stackalloc int[nOps];
        int rem = start;
        for (int d = rank - 1; d >= 0; d--) { idx[d] = rem % OuterShape[d]; rem /= OuterShape[d]; }
        for (int k = 0; k < nOps; k++)
        {
            off[k] = baseOffsets[k];
            for (int d = 0; d < rank; d++) off[k] += idx[d] * OuterStrides[k][d];
        }
        for (int row = start; row < end; row++)
        {
            body(off, Inner, InnerStrides);
            for (int d = rank - 1; d >= 0; d--)   // odometer step
            {
                idx[d]++;
                for (int k = 0; k < nOps; k++) off[k] += OuterStrides[k][d];
                if (idx[d] < OuterShape[d]) break;
                for (int k = 0; k < nOps; k++) off[k] -= OuterStrides[k][d] * OuterShape[d];
                idx[d] = 0;
            }
        }
    }
}
