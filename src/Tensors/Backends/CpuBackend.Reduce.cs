using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;

using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    public Tensor Reduce(ReduceOp op, Tensor x, int[] dims, bool keepDim)
    {
        string name = op.ToString().ToLowerInvariant();
        var reduced = new bool[x.Rank];
        foreach (var d in dims) reduced[d] = true;
        var (outShape, rowLen) = ShapeUtil.ReducedShape(x.shape, reduced, keepDim);
        if (rowLen == 0 && op is ReduceOp.Max or ReduceOp.Min)
            throw new ArgumentException($"{name}: cannot reduce over a dim of size 0 (shape {ShapeUtil.Format(x.shape)}, dims {ShapeUtil.Format(dims)})");
        if (x.DType == DType.Int32)
        {
            if (op == ReduceOp.Mean) throw new ArgumentException($"mean: int32 input (shape {ShapeUtil.Format(x.shape)}); convert it with .To(DType.Float32) first");
            return ToDType(Reduce(op, ToDType(x, DType.Float64), dims, keepDim), DType.Int32);
        }
        if (op is ReduceOp.Sum or ReduceOp.Mean && AsColumns(x, reduced) is { } cols)
        {   // the reduced dims lead (a bias gradient: Σ over batch and positions): sum whole rows into the output
            var oc = Tensor.Empty(outShape, x.DType);
            int colCount = oc.Numel, colLen = colCount == 0 ? 0 : cols.Numel / colCount;
            if (x.DType == DType.Float32) SumColumns<float>(cols, oc, colLen, colCount, op == ReduceOp.Mean);
            else SumColumns<double>(cols, oc, colLen, colCount, op == ReduceOp.Mean);
            return oc;
        }
        if (op is ReduceOp.Sum or ReduceOp.Mean && AsPlanes(x, reduced) is var (outer, kept, inner) && kept > 0)
        {   // reduced dims lead and trail (a conv's bias gradient: Σ over batch and positions): no permuted copy
            var op3 = Tensor.Empty(outShape, x.DType);
            if (x.DType == DType.Float32) SumPlanes<float>(x, op3, outer, kept, inner, op == ReduceOp.Mean);
            else SumPlanes<double>(x, op3, outer, kept, inner, op == ReduceOp.Mean);
            return op3;
        }
        // rows: the reduced elements of one output element, laid out contiguously in [kept..., reduced...] order
        var rows = AsRows(x, reduced, out int rowCount);
        var o = Tensor.Empty(outShape, x.DType);
        if (x.DType == DType.Float32) ReduceRows<float>(op, rows, o, rowCount, rowLen);
        else ReduceRows<double>(op, rows, o, rowCount, rowLen);
        return o;
    }

    /// <summary>Σ|x| over dims in one pass over the rows of <see cref="AsRows"/> (no |x| written out).</summary>
    public Tensor AbsSum(Tensor x, int[] dims, bool keepDim)
    {
        if (!x.DType.IsFloatingPoint() || dims.Length == 0) return Reduce(ReduceOp.Sum, Unary(UnaryOp.Abs, x), dims, keepDim);
        var reduced = new bool[x.Rank];
        foreach (var d in dims) reduced[d] = true;
        var (outShape, rowLen) = ShapeUtil.ReducedShape(x.shape, reduced, keepDim);
        var rows = AsRows(x, reduced, out int rowCount);
        var o = Tensor.Empty(outShape, x.DType);
        if (x.DType == DType.Float32) AbsSumRows<float>(rows, o, rowCount, rowLen);
        else AbsSumRows<double>(rows, o, rowCount, rowLen);
        return o;
    }

    static void AbsSumRows<T>(Tensor rows, Tensor o, int rowCount, int rowLen) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* src = Ptr<T>(rows) + rows.Offset, dst = Ptr<T>(o);
        using var alive = new KeepAlive(rows, o);
        ForRows(rowCount, rowLen, r => dst[r] = AbsSumRow(src + (long)r * rowLen, rowLen));
    }

    /// <summary>Σ|p[i]|, summed as <see cref="SumRow"/> sums.</summary>
    static T AbsSumRow<T>(T* row, int n) where T : unmanaged, IFloatingPointIeee754<T> => SumRow<T, Magnitude>(row, n);

    /// <summary>
    /// A contiguous tensor whose row r holds the elements reduced into output element r: x itself when the reduced
    /// dims are already innermost and contiguous, otherwise a copy of x permuted to [kept dims..., reduced dims...].
    /// </summary>
    Tensor AsRows(Tensor x, bool[] reduced, out int rowCount)
    {
        var order = Enumerable.Range(0, x.Rank).Where(d => !reduced[d]).Concat(Enumerable.Range(0, x.Rank).Where(d => reduced[d])).ToArray();
        var permShape = order.Select(d => x.shape[d]).ToArray();
        var permStrides = order.Select(d => x.strides[d]).ToArray();
        var view = new Tensor(x.Storage, permShape, permStrides, x.Offset);
        rowCount = 1;
        for (int d = 0; d < x.Rank; d++) if (!reduced[d]) rowCount *= x.shape[d];
        return view.IsContiguous ? view : ToCpu(view);
    }

    /// <summary>x itself when it is contiguous and every reduced dim comes before every kept one, else null.</summary>
    static Tensor? AsColumns(Tensor x, bool[] reduced)
    {
        int firstKept = Array.IndexOf(reduced, false);
        if (firstKept <= 0 || !x.IsContiguous) return null;
        for (int d = firstKept; d < reduced.Length; d++) if (reduced[d]) return null;
        return x;
    }

    /// <summary>
    /// A contiguous x as [outer, kept, inner] when the reduced dims are the leading and the trailing ones (both some)
    /// and the kept ones one run between them; (0, 0, 0) otherwise.
    /// </summary>
    static (int Outer, int Kept, int Inner) AsPlanes(Tensor x, bool[] reduced)
    {
        int firstKept = Array.IndexOf(reduced, false), lastKept = Array.LastIndexOf(reduced, false);
        if (firstKept <= 0 || lastKept == reduced.Length - 1 || !x.IsContiguous) return (0, 0, 0);
        for (int d = firstKept; d <= lastKept; d++) if (reduced[d]) return (0, 0, 0);
        int Product(int from, int to) { int p = 1; for (int d = from; d < to; d++) p *= x.shape[d]; return p; }
        return (Product(0, firstKept), Product(firstKept, lastKept + 1), Product(lastKept + 1, reduced.Length));
    }

    /// <summary>o[j] = Σ_a Σ_i x[a, j, i] over a contiguous [outer, kept, inner] x (÷ outer·inner for the mean), in double per output; outputs split over the cores when large.</summary>
    static void SumPlanes<T>(Tensor x, Tensor o, int outer, int kept, int inner, bool mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* src = Ptr<T>(x) + x.Offset, dst = Ptr<T>(o);
        using var alive = new KeepAlive(x, o);
        void Output(int j)
        {
            double total = 0;
            for (int a = 0; a < outer; a++) total += double.CreateChecked(SumRow(src + ((long)a * kept + j) * inner, inner));
            dst[j] = T.CreateChecked(mean ? total / ((double)outer * inner) : total);
        }
        if ((long)outer * kept * inner < 1 << 16) for (int j = 0; j < kept; j++) Output(j);
        else CpuParallel.For(kept, Output);
    }

    /// <summary>
    /// o[j] = Σ_r x[r, j] over a contiguous [rows, cols] x (÷ rows for the mean): whole rows added with SIMD into float
    /// partial sums of up to 256 rows, which go into double totals (close to pairwise accuracy, as <see cref="SumRow"/>);
    /// columns split over the cores when large.
    /// </summary>
    static void SumColumns<T>(Tensor x, Tensor o, int rows, int cols, bool mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* src = Ptr<T>(x) + x.Offset, dst = Ptr<T>(o);
        using var alive = new KeepAlive(x, o);
        const int Block = 256;
        int chunks = (long)rows * cols < 1 << 16 ? 1 : Math.Clamp(cols / 64, 1, 4 * Environment.ProcessorCount);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // bias gradients: a training run's first steps ran it at tier 0
        void Chunk(int c)
        {
            int c0 = (int)((long)cols * c / chunks) & ~15, c1 = c == chunks - 1 ? cols : (int)((long)cols * (c + 1) / chunks) & ~15, n = c1 - c0;
            var partial = new T[n];
            var total = new double[n];
            int w = Vector256<T>.Count;
            fixed (T* part = partial)
            {
                for (int r0 = 0; r0 < rows; r0 += Block)
                {
                    int r1 = Math.Min(rows, r0 + Block), j = 0;
                    // four vectors of columns summed down the block in registers (a load per row, no store)
                    for (; j <= n - 4 * w; j += 4 * w)
                    {
                        var (s0, s1, s2, s3) = (Vector256<T>.Zero, Vector256<T>.Zero, Vector256<T>.Zero, Vector256<T>.Zero);
                        for (int r = r0; r < r1; r++)
                        {
                            T* row = src + (long)r * cols + c0 + j;
                            s0 += Vector256.Load(row); s1 += Vector256.Load(row + w); s2 += Vector256.Load(row + 2 * w); s3 += Vector256.Load(row + 3 * w);
                        }
                        s0.Store(part + j); s1.Store(part + j + w); s2.Store(part + j + 2 * w); s3.Store(part + j + 3 * w);
                    }
                    new Span<T>(part + j, n - j).Clear();
                    for (int r = r0; r < r1; r++)
                    {
                        T* row = src + (long)r * cols + c0;
                        int jj = j;
                        for (; jj <= n - w; jj += w) (Vector256.Load(part + jj) + Vector256.Load(row + jj)).Store(part + jj);
                        for (; jj < n; jj++) part[jj] += row[jj];
                    }
                    for (j = 0; j < n; j++) total[j] += double.CreateChecked(part[j]);
                }
            }
            double scale = mean ? 1.0 / rows : 1.0;
            for (int j = 0; j < n; j++) dst[c0 + j] = T.CreateChecked(total[j] * scale);
        }
        if (chunks == 1) Chunk(0); else CpuParallel.For(chunks, Chunk);
    }

    static void ReduceRows<T>(ReduceOp op, Tensor rows, Tensor o, int rowCount, int rowLen) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* src = Ptr<T>(rows) + rows.Offset, dst = Ptr<T>(o);
        using var alive = new KeepAlive(rows, o);
        void Body(int r)
        {
            T* row = src + (long)r * rowLen;
            dst[r] = op switch
            {
                ReduceOp.Sum => SumRow(row, rowLen),
                ReduceOp.Mean => SumRow(row, rowLen) / T.CreateChecked(rowLen),
                ReduceOp.Max => ExtremeRow(row, rowLen, max: true),
                _ => ExtremeRow(row, rowLen, max: false),
            };
        }
        if ((long)rowCount * rowLen < 1 << 15 || rowCount == 1) for (int r = 0; r < rowCount; r++) Body(r);
        else CpuParallel.For(rowCount, Body);
    }

    /// <summary>Σ row: four SIMD accumulators per block of 4096, blocks added in double (close to pairwise accuracy).</summary>
    internal static T SumRow<T>(T* row, int n) where T : unmanaged, IFloatingPointIeee754<T> => SumRow<T, Itself>(row, n);

    /// <summary>What a row sum adds up: each element itself, or its magnitude (Σ|x|). A struct, so the JIT compiles one loop per term.</summary>
    interface ISumTerm
    {
        static abstract Vector256<T> Of<T>(Vector256<T> v) where T : unmanaged, IFloatingPointIeee754<T>;
        static abstract T Of<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    readonly struct Itself : ISumTerm
    {
        public static Vector256<T> Of<T>(Vector256<T> v) where T : unmanaged, IFloatingPointIeee754<T> => v;
        public static T Of<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x;
    }

    readonly struct Magnitude : ISumTerm
    {
        public static Vector256<T> Of<T>(Vector256<T> v) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Abs(v);
        public static T Of<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Abs(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static T SumRow<T, TTerm>(T* row, int n) where T : unmanaged, IFloatingPointIeee754<T> where TTerm : struct, ISumTerm
    {
        double total = 0;
        for (int start = 0; start < n; start += 4096)
        {
            int len = Math.Min(4096, n - start);
            T* p = row + start;
            int i = 0, w = Vector256<T>.Count;
            var s0 = Vector256<T>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
            for (; i <= len - 4 * w; i += 4 * w)
            {
                s0 += TTerm.Of(Vector256.Load(p + i)); s1 += TTerm.Of(Vector256.Load(p + i + w));
                s2 += TTerm.Of(Vector256.Load(p + i + 2 * w)); s3 += TTerm.Of(Vector256.Load(p + i + 3 * w));
            }
            for (; i <= len - w; i += w) s0 += TTerm.Of(Vector256.Load(p + i));
            T block = Vector256.Sum((s0 + s1) + (s2 + s3));
            for (; i < len; i++) block += TTerm.Of(p[i]);
            total += double.CreateChecked(block);
        }
        return T.CreateChecked(total);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static T ExtremeRow<T>(T* row, int n, bool max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T best = row[0];
        for (int i = 1; i < n; i++)
        {
            T v = row[i];
            if (T.IsNaN(v)) return v;
            if (max ? v > best : v < best) best = v;
        }
        return best;
    }

    public Tensor ArgReduce(bool max, Tensor x, int dim, bool keepDim)
    {
        string name = max ? "argmax" : "argmin";
        if (x.shape[dim] == 0) throw new ArgumentException($"{name}: dim {dim} has size 0 (shape {ShapeUtil.Format(x.shape)})");
        var reduced = new bool[x.Rank];
        reduced[dim] = true;
        var src = ToDType(AsRows(x, reduced, out int rowCount), DType.Float64);
        var outShape = Enumerable.Range(0, x.Rank).Where(d => d != dim || keepDim).Select(d => d == dim ? 1 : x.shape[d]).ToArray();
        var o = Tensor.Empty(outShape, DType.Int32);
        double* p = Ptr<double>(src);
        int* q = Ptr<int>(o);
        using var alive = new KeepAlive(src, o);
        int len = x.shape[dim];
        for (int r = 0; r < rowCount; r++)
        {
            double* row = p + (long)r * len;
            int best = 0;
            for (int i = 1; i < len && !double.IsNaN(row[best]); i++)
                if (double.IsNaN(row[i]) || (max ? row[i] > row[best] : row[i] < row[best])) best = i;
            q[r] = best;
        }
        return o;
    }
}
