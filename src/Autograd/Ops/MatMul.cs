using Interp.Autograd;

namespace Interp;

public static class MatMulOps
{
    extension(Tensor a)
    {
        /// <summary>
        /// torch.matmul: 1-d operands are promoted to a row (left) or column (right) and the added dim removed after;
        /// leading batch dims broadcast. d/dA = G·Bᵀ, d/dB = Aᵀ·G, each summed over the batch dims it was broadcast along.
        /// </summary>
        public Tensor MatMul(Tensor b)
        {
            Check.SameDevice("matmul", a, b);
            Check.SameDType("matmul", a, b);
            Check.Float("matmul", a);
            if (a.Rank == 0 || b.Rank == 0)
                throw new ArgumentException($"matmul: both operands need at least one dim, got {ShapeUtil.Format(a.shape)} and {ShapeUtil.Format(b.shape)}");
            if (a.Rank == 1 && b.Rank == 1) return a.Unsqueeze(0).MatMul(b.Unsqueeze(1)).Reshape();
            if (a.Rank == 1) return a.Unsqueeze(0).MatMul(b).Squeeze(-2);
            if (b.Rank == 1) return a.MatMul(b.Unsqueeze(-1)).Squeeze(-1);
            CheckMatrices(a, b);
            var y = a.Backend.MatMul(a, b);
            var product = Backward(b.RequiresGrad ? a : null, a.RequiresGrad ? b : null, a.ShapeArray, b.ShapeArray, IsTransposedMatrix(b));
            return Graph.Record("matmul", y, [a, b], g => product(g, RowSums.Wanted(0), null));
        }
    }

    extension(Tensor a)
    {
        /// <summary>
        /// a·b + bias (torch.addmm, batched as <see cref="MatMul(Tensor, Tensor)"/>), bias [n] added to every row of the
        /// product. The GEMM adds the bias to each tile of the product as it finishes it (its epilogue), so the product is not read again.
        /// d/dbias = G summed over every dim but the last.
        /// </summary>
        public Tensor MatMul(Tensor b, Tensor bias)
        {
            if (!TakesRowBias(a, b, bias))
                return a.MatMul(b) + bias;   // the general broadcasting add (and its errors)
            CheckBiasedMatrices(a, b, bias);
            var y = a.Backend.AddMatMul(bias, a, b);
            var product = Backward(b.RequiresGrad ? a : null, a.RequiresGrad ? b : null, a.ShapeArray, b.ShapeArray, IsTransposedMatrix(b));
            var (biasShape, biasGrad) = (bias.ShapeArray, bias.RequiresGrad);   // the bias itself is not saved
            return Graph.Record("addmm", y, [a, b, bias], g =>
            {
                var db = biasGrad ? Graph.SumToShape(g, biasShape) : null;   // G's row sum (the bias is a row)
                var grads = product(g, RowSums.Wanted(0), db);
                return [grads[0], grads[1], db];
            });
        }
    }

    extension(Tensor a)
    {
        /// <summary>
        /// relu(a·b + bias), a linear layer with its ReLU (F.relu(F.linear(..)) in torch; a SAE's encoder): bias and ReLU
        /// are applied to each tile of the product as the GEMM finishes it, so the [.., n] result is written once and
        /// nothing else is materialised. The backward is d = G·1[y &gt; 0] (y the output) with the bias gradient Σ d in the
        /// same pass, then d/dA = d·Bᵀ and d/dB = Aᵀ·d as for <see cref="MatMul(Tensor, Tensor)"/>. When y is read by two
        /// ops, G = G1 + G2 is added inside that same pass rather than written out first; a part given as s·sign(y) (an
        /// L1 penalty Σ|y|, <see cref="SignScaled"/>) is read there as s, one value per row, instead of a [.., n] tensor.
        /// </summary>
        public Tensor MatMulRelu(Tensor b, Tensor bias)
        {
            if (!TakesRowBias(a, b, bias))
                return a.MatMul(b, bias).Relu();   // the general path (and its errors)
            CheckBiasedMatrices(a, b, bias);
            var y = a.Backend.AddMatMulRelu(bias, a, b);
            var product = Backward(b.RequiresGrad ? a : null, a.RequiresGrad ? b : null, a.ShapeArray, b.ShapeArray, IsTransposedMatrix(b));
            var (biasShape, biasGrad) = (bias.ShapeArray, bias.RequiresGrad);
            return Graph.RecordSavingOutput("addmm_relu", y, [a, b, bias], (ySaved, g) =>
            {
                Tensor d;
                Tensor? db = null;
                if (GradMode.IsEnabled && g.RequiresGrad)
                {   // the backward itself is recorded (a second derivative): the composition the fused kernel stands for
                    d = g * ySaved.Detach().Sign();
                    if (biasGrad) db = Graph.SumToShape(d, biasShape);
                }
                else if (biasGrad)
                    (d, db) = g.Backend.ReluBackwardWithBiasGrad(g, ySaved.Detach());
                else
                    d = g.Backend.Binary(Backends.BinaryOp.MulSign, g, ySaved.Detach());
                var grads = product(d, RowSums.Wanted(0), db);
                return [grads[0], grads[1], db];
            }, (ySaved, g1, g2) =>
            {   // y read by two ops (an SAE's decoder and its L1 penalty): (g1 + g2)·sign(y) and its bias sum in one pass
                var (d, db) = biasGrad
                    ? g1.Backend.ReluBackwardWithBiasGrad(g1, g2, ySaved)
                    : (g1.Backend.Binary(Backends.BinaryOp.MulSign, g1.Backend.Binary(Backends.BinaryOp.Add, g1, g2), ySaved), null);
                var grads = product(d, RowSums.Wanted(0), db);
                return [grads[0], grads[1], db];
            }, (ySaved, g, s) =>
            {   // a part given as s·sign(y) (Σ|y|'s gradient, SignScaled): (g + s·sign(y))·sign(y) and its bias sum in one pass
                var (d, rowSum) = s.Backend.ReluBackwardOfSignScaled(g, s, ySaved);
                var grads = product(d, RowSums.Wanted(0), rowSum);
                return [grads[0], grads[1], biasGrad ? rowSum : null];
            });
        }
    }

    static void CheckMatrices(Tensor a, Tensor b)
    {
        if (a.shape[^1] != b.shape[^2])
            throw new ArgumentException($"matmul: shapes {ShapeUtil.Format(a.shape)} and {ShapeUtil.Format(b.shape)} cannot be multiplied ({a.shape[^1]} != {b.shape[^2]})");
        for (int i = 1; i <= Math.Min(a.Rank, b.Rank) - 2; i++)
            if (a.shape[^(i + 2)] != b.shape[^(i + 2)] && a.shape[^(i + 2)] != 1 && b.shape[^(i + 2)] != 1)
                throw new ArgumentException($"matmul: batch dims of {ShapeUtil.Format(a.shape)} and {ShapeUtil.Format(b.shape)} cannot be broadcast ({a.shape[^(i + 2)]} vs {b.shape[^(i + 2)]})");
    }

    // dA = G·Bᵀ, dB = Aᵀ·G: each operand is saved only when the other one needs its gradient. With aRowSum (the engine
    // wants only dA's row sum, RowSums) and a matrix B: Σ_rows(G·Bᵀ) = (Σ_rows G)·Bᵀ, a vector-matrix product instead
    // of a GEMM; gRowSum is Σ_rows G where the caller has it already (a bias gradient), else null.
    static Func<Tensor, bool, Tensor?, Tensor?[]> Backward(Tensor? aForB, Tensor? bForA, int[] aShape, int[] bShape, bool bTransposed) =>
        (g, aRowSum, gRowSum) =>
        [bForA is null ? null
            : aRowSum && bForA.Rank == 2 ? (gRowSum ?? RowSums.Of(g)).MatMul(bForA.MT)
            : Graph.SumToShape(g.MatMul(bForA.MT), aShape),
         aForB is null ? null : WeightGrad(aForB, bShape, g, bTransposed)];

    // Aᵀ·G for B broadcast over A's batch dims. For a matrix B (a weight applied to [batch..., k] inputs) fold the
    // batch into the rows: one [k, rows]·[rows, n] product instead of a [batch, k, n] stack summed afterwards. When B
    // is the transpose of a stored matrix (Linear's Wᵀ) the gradient is made as (Gᵀ·A)ᵀ, laid out like B: the
    // transpose's backward then hands W a contiguous gradient instead of a transposing copy of [k, n].
    static Tensor WeightGrad(Tensor a, int[] bShape, Tensor g, bool bTransposed)
    {
        if (bShape.Length != 2) return Graph.SumToShape(a.MT.MatMul(g), bShape);
        if (a.Rank > 2)
        {
            int rows = a.shape[..^1].Aggregate(1, (acc, s) => acc * s);   // not −1: it cannot be inferred when k = 0
            (a, g) = (a.Reshape(rows, a.shape[^1]), g.Reshape(rows, g.shape[^1]));
        }
        return bTransposed ? g.MT.MatMul(a).MT : a.MT.MatMul(g);
    }

    /// <summary>A matrix whose transpose is contiguous (a weight used as Wᵀ), so its gradient is best made transposed too.</summary>
    static bool IsTransposedMatrix(Tensor b) => b.Rank == 2 && !b.IsContiguous && b.MT.IsContiguous;

    /// <summary>A bias the GEMM's epilogue can add: one float value per output column, in the product's dtype.</summary>
    static bool TakesRowBias(Tensor a, Tensor b, Tensor bias) =>
        a.Rank >= 2 && b.Rank >= 2 && bias.Rank == 1 && bias.shape[0] == b.shape[^1] && bias.DType.IsFloatingPoint() && bias.DType == a.DType;

    static void CheckBiasedMatrices(Tensor a, Tensor b, Tensor bias)
    {
        Check.SameDevice("matmul", a, b, bias);
        Check.SameDType("matmul", a, b);
        Check.Float("matmul", a);
        CheckMatrices(a, b);
    }
}
