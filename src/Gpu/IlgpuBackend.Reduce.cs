using ILGPU;
using ILGPU.Runtime;
using Interp.Backends;

namespace Interp.Gpu;

/// <summary>
/// Reductions over rows: the reduced dims are moved innermost (one strided copy when that is not already contiguous),
/// then one thread group reduces one row (threads stride over it, then a group all-reduce), accumulating in double.
/// Long rows with few outputs (a full sum) are split in two stages so that the whole device shares them: partial
/// results per chunk (one thread each), then a reduction of the partials. Argmax/argmin use one thread per row.
/// </summary>
public sealed partial class IlgpuBackend
{
    const int SplitRowsBelow = 256, SplitLenFrom = 4096, ChunkLen = 1024;

    public Tensor Reduce(ReduceOp op, Tensor x, int[] dims, bool keepDim)
    {
        string name = op.ToString().ToLowerInvariant();
        StorageOf(name, x);
        var (outShape, rowLen) = ReducedShape(x, dims, keepDim);
        if (rowLen == 0 && op is ReduceOp.Max or ReduceOp.Min)
            throw new ArgumentException($"{name}: cannot reduce over a dim of size 0 (shape {ShapeUtil.Format(x.shape)}, dims {ShapeUtil.Format(dims)})");
        if (x.DType == DType.Int32)
        {
            if (op == ReduceOp.Mean) throw new ArgumentException($"mean: int32 input (shape {ShapeUtil.Format(x.shape)}); convert it with .To(DType.Float32) first");
            return ToDType(Reduce(op, ToDType(x, DType.Float64), dims, keepDim), DType.Int32);
        }
        var rows = AsRows(x, dims, out int rowCount);
        var o = New(outShape, x.DType);
        if (rowCount == 0) return o;
        if (x.DType == DType.Float32) ReduceTyped<float, F32>(op, rows, o, rowCount, rowLen);
        else ReduceTyped<double, F64>(op, rows, o, rowCount, rowLen);
        return o;
    }

    static (int[] outShape, int rowLen) ReducedShape(Tensor x, int[] dims, bool keepDim)
    {
        var outShape = new List<int>();
        int rowLen = 1;
        for (int d = 0; d < x.Rank; d++)
        {
            if (dims.Contains(d)) { rowLen *= x.shape[d]; if (keepDim) outShape.Add(1); }
            else outShape.Add(x.shape[d]);
        }
        return (outShape.ToArray(), rowLen);
    }

    /// <summary>x permuted to [kept dims..., reduced dims...], contiguous: row r holds what output element r reduces.</summary>
    Tensor AsRows(Tensor x, int[] dims, out int rowCount)
    {
        var order = Enumerable.Range(0, x.Rank).Where(d => !dims.Contains(d)).Concat(dims.Order()).ToArray();
        var view = new Tensor(x.Storage, order.Select(d => x.shape[d]).ToArray(), order.Select(d => x.strides[d]).ToArray(), x.Offset);
        rowCount = 1;
        for (int d = 0; d < x.Rank; d++) if (!dims.Contains(d)) rowCount *= x.shape[d];
        return Contig("reduce", view);
    }

    void ReduceTyped<T, E>(ReduceOp op, Tensor rows, Tensor o, int rowCount, int rowLen) where T : unmanaged where E : struct, IElem<T>
    {
        int sumOp = op is ReduceOp.Mean ? (int)ReduceOp.Sum : (int)op;
        double div = op is ReduceOp.Mean ? rowLen : 1;
        if (rowCount >= SplitRowsBelow || rowLen < SplitLenFrom)
        {
            ReduceRows<T, E, T, E>(Dense<T>(rows), rowCount, rowLen, Dense<T>(o), sumOp, div);
            return;
        }
        int chunks = Math.Min(1024, (rowLen + ChunkLen - 1) / ChunkLen);
        var partial = New([rowCount, chunks], DType.Float64);
        var k = Kernel($"reduce_partial/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, int, int, ArrayView<double>, int>(PartialKernel<T, E>));
        k(rowCount * chunks, Dense<T>(rows), rowLen, chunks, Dense<double>(partial), sumOp);
        ReduceRows<double, F64, T, E>(Dense<double>(partial), rowCount, chunks, Dense<T>(o), sumOp, div);
    }

    void ReduceRows<TI, EI, TO, EO>(ArrayView<TI> x, int rowCount, int rowLen, ArrayView<TO> o, int op, double div)
        where TI : unmanaged where EI : struct, IElem<TI> where TO : unmanaged where EO : struct, IElem<TO>
    {
        var k = Kernel($"reduce/{typeof(TI).Name}/{typeof(TO).Name}", a =>
            a.LoadStreamKernel<ArrayView<TI>, int, ArrayView<TO>, int, double>(ReduceKernel<TI, EI, TO, EO>));
        k(RowConfig(rowCount, rowLen), x, rowLen, o, op, div);
    }

    /// <summary>o[r] = (op over x[r·len .. r·len + len)) / div for the group's row r; max/min propagate NaN.</summary>
    static void ReduceKernel<TI, EI, TO, EO>(ArrayView<TI> x, int len, ArrayView<TO> o, int op, double div)
        where TI : unmanaged where EI : struct, IElem<TI> where TO : unmanaged where EO : struct, IElem<TO>
    {
        EI e = default;
        int r = Grid.IdxX, t0 = Group.IdxX, step = Group.DimX;
        long s0 = (long)r * len;
        double result;
        if (op == (int)ReduceOp.Sum)
        {
            double s = 0;
            for (int i = t0; i < len; i += step) s += e.Load(x[s0 + i]);
            result = GroupSum(s);
        }
        else
        {
            double sign = op == (int)ReduceOp.Max ? 1 : -1, best = double.NegativeInfinity, nan = 0;   // min(x) = −max(−x)
            for (int i = t0; i < len; i += step)
            {
                double v = sign * e.Load(x[s0 + i]);
                if (double.IsNaN(v)) nan = 1; else if (v > best) best = v;
            }
            result = GroupSum(nan) > 0 ? double.NaN : sign * GroupMax(best);
        }
        if (t0 == 0) o[r] = default(EO).Store(result / div);
    }

    /// <summary>Thread t reduces chunk t % chunks of row t / chunks into partial[t].</summary>
    static void PartialKernel<T, E>(Index1D t, ArrayView<T> x, int len, int chunks, ArrayView<double> partial, int op)
        where T : unmanaged where E : struct, IElem<T>
    {
        int r = t / chunks, c = t % chunks;
        long start = (long)r * len;
        partial[t] = ReduceRange<T, E>(x, start + (long)len * c / chunks, start + (long)len * (c + 1) / chunks, op);
    }

    static double ReduceRange<T, E>(ArrayView<T> x, long from, long to, int op) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        if (op == (int)ReduceOp.Sum)
        {
            double s = 0;
            for (long i = from; i < to; i++) s += e.Load(x[i]);
            return s;
        }
        bool max = op == (int)ReduceOp.Max;
        double best = e.Load(x[from]);
        for (long i = from + 1; i < to && !double.IsNaN(best); i++)
        {
            double v = e.Load(x[i]);
            if (double.IsNaN(v) || (max ? v > best : v < best)) best = v;
        }
        return best;
    }

    public Tensor ArgReduce(bool max, Tensor x, int dim, bool keepDim)
    {
        string name = max ? "argmax" : "argmin";
        StorageOf(name, x);
        if (x.shape[dim] == 0) throw new ArgumentException($"{name}: dim {dim} has size 0 (shape {ShapeUtil.Format(x.shape)})");
        var rows = AsRows(x, [dim], out int rowCount);
        var outShape = Enumerable.Range(0, x.Rank).Where(d => d != dim || keepDim).Select(d => d == dim ? 1 : x.shape[d]).ToArray();
        var o = New(outShape, DType.Int32);
        if (rowCount == 0) return o;
        switch (x.DType)
        {
            case DType.Float32: ArgTyped<float, F32>(rows, rowCount, x.shape[dim], o, max); break;
            case DType.Float64: ArgTyped<double, F64>(rows, rowCount, x.shape[dim], o, max); break;
            default: ArgTyped<int, I32>(rows, rowCount, x.shape[dim], o, max); break;
        }
        return o;
    }

    void ArgTyped<T, E>(Tensor rows, int rowCount, int len, Tensor o, bool max) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"argreduce/{typeof(T).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, int, ArrayView<int>, int>(ArgKernel<T, E>));
        k(rowCount, Dense<T>(rows), len, Dense<int>(o), max ? 1 : 0);
    }

    /// <summary>The first index of the max (min) of row r; the first NaN wins.</summary>
    static void ArgKernel<T, E>(Index1D r, ArrayView<T> x, int len, ArrayView<int> o, int max) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        long start = (long)r.X * len;
        int best = 0;
        double bv = e.Load(x[start]);
        for (int i = 1; i < len && !double.IsNaN(bv); i++)
        {
            double v = e.Load(x[start + i]);
            if (double.IsNaN(v) || (max != 0 ? v > bv : v < bv)) { best = i; bv = v; }
        }
        o[r] = best;
    }

    public Tensor Var(Tensor x, int[] dims, int correction, bool keepDim)
    {
        RequireFloat("var", x);
        StorageOf("var", x);
        var (outShape, rowLen) = ReducedShape(x, dims, keepDim);
        var rows = AsRows(x, dims, out int rowCount);
        var o = New(outShape, x.DType);
        if (rowCount == 0) return o;
        if (x.DType == DType.Float32) VarTyped<float, F32>(rows, rowCount, rowLen, o, correction);
        else VarTyped<double, F64>(rows, rowCount, rowLen, o, correction);
        return o;
    }

    void VarTyped<T, E>(Tensor rows, int rowCount, int len, Tensor o, int correction) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"var/{typeof(T).Name}", a =>
            a.LoadStreamKernel<ArrayView<T>, int, ArrayView<T>, double>(VarKernel<T, E>));
        k(RowConfig(rowCount, len), Dense<T>(rows), len, Dense<T>(o), Math.Max(0, len - correction));
    }

    /// <summary>Two passes: μ = Σx/n, then Σ(x − μ)²/dof.</summary>
    static void VarKernel<T, E>(ArrayView<T> x, int len, ArrayView<T> o, double dof) where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        int r = Grid.IdxX, t0 = Group.IdxX, step = Group.DimX;
        long start = (long)r * len;
        double mu = 0, ss = 0;
        for (int i = t0; i < len; i += step) mu += e.Load(x[start + i]);
        mu = GroupSum(mu) / len;
        for (int i = t0; i < len; i += step) { double d = e.Load(x[start + i]) - mu; ss += d * d; }
        ss = GroupSum(ss);
        if (t0 == 0) o[r] = e.Store(ss / dof);
    }
}
