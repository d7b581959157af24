using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// C[b] = A[b] · B[b] through the packed GEMM. A transposed view (stride 1 along rows) is passed as a transpose
    /// flag rather than copied; batch dims are passed as one stride when they collapse to one (0 when broadcast).
    /// Only operands that are neither are copied.
    /// </summary>
    public Tensor MatMul(Tensor a, Tensor b) => MatMul(a, b, null);

    /// <summary>bias + a·b: the GEMM adds the bias to each tile of C as it finishes it (its epilogue), so C is written once.</summary>
    public Tensor AddMatMul(Tensor bias, Tensor a, Tensor b)
    {
        CheckBias("addmm", bias, a, b);
        return MatMul(a, b, bias);
    }

    /// <summary>relu(bias + a·b): bias and ReLU both in the GEMM's epilogue.</summary>
    public Tensor AddMatMulRelu(Tensor bias, Tensor a, Tensor b)
    {
        CheckBias("addmm_relu", bias, a, b);
        return MatMul(a, b, bias, relu: true);
    }

    static void CheckBias(string op, Tensor bias, Tensor a, Tensor b)
    {
        if (bias.Rank != 1 || b.Rank < 1 || bias.shape[0] != b.shape[^1] || bias.DType != a.DType)
            throw new ArgumentException($"{op}: bias {ShapeUtil.Format(bias.shape)} ({bias.DType.Name()}) must be [{(b.Rank < 1 ? "n" : b.shape[^1])}] of the operands' dtype {a.DType.Name()}");
    }

    Tensor MatMul(Tensor a, Tensor b, Tensor? bias, bool relu = false)
    {
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"matmul: both operands need rank >= 2 here, got {ShapeUtil.Format(a.shape)} and {ShapeUtil.Format(b.shape)}");
        if (a.DType != b.DType || !a.DType.IsFloatingPoint())
            throw new ArgumentException($"matmul: operands must share a float dtype, got {a.DType.Name()} and {b.DType.Name()}");
        int m = a.shape[^2], k = a.shape[^1], n = b.shape[^1];
        if (b.shape[^2] != k)
            throw new ArgumentException($"matmul: shapes {ShapeUtil.Format(a.shape)} and {ShapeUtil.Format(b.shape)} do not match (inner dims {k} and {b.shape[^2]})");
        var batchShape = ShapeUtil.Broadcast("matmul", a.shape[..^2], b.shape[..^2]);
        int batch = ShapeUtil.Numel(batchShape);
        var o = Tensor.Empty([.. batchShape, m, n], a.DType, zeroed: false);
        if (o.Numel == 0) return o;
        var (ma, ta, lda, sa) = AsGemmOperand(a, batchShape);
        var (mb, tb, ldb, sb) = AsGemmOperand(b, batchShape);
        // B shared by every batch element and A's matrices stacked row after row: one GEMM with the batch folded
        // into the rows ([batch·m, k]·[k, n]) instead of many small ones; C's layout is the same either way.
        if (batch > 1 && sb == 0 && !ta && sa == (long)m * lda)
            (m, batch) = (m * batch, 1);
        var r = bias is null ? null : Dense(bias);
        using var alive = new KeepAlive(ma, mb, o, r);
        // k == 0 (an empty product): the GEMM writes C = 0 and runs the epilogue without reading A or B
        if (k == 0) (ta, tb, lda, ldb) = (false, false, 1, Math.Max(n, 1));
        if (a.DType == DType.Float32)
            Gemm.GemmBatchedWithEpilogue(ta, tb, m, n, k, 1f, Ptr<float>(ma) + ma.Offset, lda, sa, Ptr<float>(mb) + mb.Offset, ldb, sb, 0f, Ptr<float>(o), n, (long)m * n, batch,
                                         r is null ? null : Ptr<float>(r) + r.Offset, relu);
        else
            Gemm.GemmBatchedWithEpilogue(ta, tb, m, n, k, 1.0, Ptr<double>(ma) + ma.Offset, lda, sa, Ptr<double>(mb) + mb.Offset, ldb, sb, 0.0, Ptr<double>(o), n, (long)m * n, batch,
                                         r is null ? null : Ptr<double>(r) + r.Offset, relu);
        return o;
    }

    /// <summary>The operand as (tensor, transposed?, leading dim, batch stride) for the batched GEMM.</summary>
    (Tensor t, bool trans, int ld, long batchStride) AsGemmOperand(Tensor x, int[] batchShape)
    {
        int rows = x.shape[^2], cols = x.shape[^1];
        int rs = x.strides[^2], cs = x.strides[^1];
        bool trans = false;
        int ld = -1;   // -1: the matrix part cannot be handed to the GEMM as it is
        if (cs == 1 || cols == 1) { ld = rows == 1 ? cols : rs; if (ld < cols) ld = -1; }
        if (ld < 0 && (rs == 1 || rows == 1)) { trans = true; ld = cols == 1 ? rows : cs; if (ld < rows) ld = -1; }
        var bstr = ShapeUtil.BroadcastStrides("matmul", x.shape[..^2], x.strides[..^2], batchShape);
        long? batchStride = UniformStride(batchShape, bstr);
        if (ld > 0 && batchStride is long s) return (x, trans, ld, s);
        // fall back: a contiguous copy with the batch dims expanded
        var expanded = new Tensor(x.Storage, [.. batchShape, rows, cols], [.. bstr, rs, cs], x.Offset);
        var c = ToCpu(expanded);
        return (c, false, cols, (long)rows * cols);
    }

    /// <summary>The single stride that walks all batch elements in order, if there is one (0 when all are broadcast).</summary>
    static long? UniformStride(int[] shape, int[] strides)
    {
        long? stride = null;
        long expectedNext = 0;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == 1) continue;
            if (stride is null) { stride = strides[d]; expectedNext = (long)strides[d] * shape[d]; continue; }
            if (strides[d] != expectedNext) return null;
            expectedNext = (long)strides[d] * shape[d];
        }
        return stride ?? 0;
    }
}
