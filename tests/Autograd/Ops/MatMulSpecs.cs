using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The specs of src/Autograd/Ops/MatMul.cs: matmul (batched, broadcast, transposed operands, vectors) and matmul with a bias.</summary>
[OpSpecs]
public static class MatMulSpecs
{
    static readonly Input[] AB = [new("a", Domain.Any), new("b", Domain.Any)];

    /// <summary>A leaf of shape [..batch, rows, cols], stored transposed (so the op sees a non-contiguous operand) when asked.</summary>
    static Leaf Matrix(int[] batch, int rows, int cols, bool transposed) =>
        transposed ? new Leaf([.. batch, cols, rows]).Transposed(-2, -1) : new Leaf([.. batch, rows, cols]);

    /// <summary>Batch dims that broadcast against each other (either side the larger), operands transposed or not.</summary>
    static Call Batched(TestData d)
    {
        int m = d.Int(1, 4), k = d.Int(1, 4), n = d.Int(1, 4);
        var batchA = d.Shape(0, 2, 3);
        var batchB = d.BroadcastPartner(batchA);
        if (d.Int(0, 1) == 1) (batchA, batchB) = (batchB, batchA);
        return On([Matrix(batchA, m, k, d.Int(0, 1) == 1), Matrix(batchB, k, n, d.Int(0, 1) == 1)]);
    }

    /// <summary>vector·vector, vector·batched matrix, matrix·vector.</summary>
    static Call Vectors(TestData d)
    {
        int k = d.Int(1, 5), n = d.Int(1, 4);
        return d.Int(0, 2) switch
        {
            0 => On([new Leaf(k), new Leaf(k)]),
            1 => On([new Leaf(k), new Leaf(2, k, n)]),
            _ => On([new Leaf(n, k), new Leaf(k)]),
        };
    }

    static Fixture Mm(string name, Leaf a, Leaf b, DType dtype = DType.Float64) => new(name, On([a, b]), dtype);

    public static readonly OpSpec MatMul = new("matmul", AB, a => a[0].MatMul(a[1]))
    {
        Torch = "torch.matmul", Sample = Batched,
        Fixtures =
        [
            Mm("matmul_2d", new(3, 4), new(4, 5)), Mm("matmul_batched_bcast", new(2, 1, 3, 4), new(5, 4, 6)),
            Mm("matmul_vec_mat", new(4), new(4, 5)), Mm("matmul_mat_vec", new(3, 4), new(4)), Mm("matmul_vec_vec", new(4), new(4)),
            Mm("matmul_batched_vec", new(2, 3, 4), new(4)), Mm("matmul_f32", new(3, 8), new(8, 5), DType.Float32),
            Mm("view_transpose_matmul", new Leaf(4, 3).Transposed(0, 1), new(4, 5)),
        ],
    };

    public static readonly OpSpec MatMulVectors = MatMul with { Name = "matmul_vectors", Sample = Vectors, Fixtures = [] };

    /// <summary>a·b + bias with the bias written by the GEMM (no PyTorch function: addmm takes 2-d operands only).</summary>
    public static readonly OpSpec MatMulBias = new("matmul_bias", [.. AB, new("bias", Domain.Any)], a => a[0].MatMul(a[1], a[2]))
    {
        ErrorName = "matmul",
        Sample = d =>
        {
            int m = d.Int(1, 4), k = d.Int(1, 4), n = d.Int(1, 4);
            var batchA = d.Shape(0, 2, 3);
            var batchB = d.Int(0, 1) == 1 ? [] : d.BroadcastPartner(batchA);
            return On([Matrix(batchA, m, k, d.Int(0, 1) == 1), new Leaf([.. batchB, k, n]), new Leaf(n)]);
        },
    };

    /// <summary>relu(a·b + bias) with bias and ReLU in the GEMM's epilogue and the fused ReLU/bias backward (torch: F.relu(a @ b + bias)).</summary>
    public static readonly OpSpec MatMulRelu = MatMulBias with { Name = "matmul_relu", Forward = a => a[0].MatMulRelu(a[1], a[2]) };

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("matmul with mismatched inner dims", Arg, () => F(2, 3).MatMul(F(4, 5)), "matmul", "[2, 3]", "[4, 5]"),
        new("matmul of vectors of different lengths", Arg, () => F(3).MatMul(F(4)), "matmul", "3", "4"),
        new("matmul with batch dims that do not broadcast", Arg, () => F(2, 3, 4).MatMul(F(5, 4, 6)), "matmul", "[2, 3, 4]", "[5, 4, 6]"),
        new("matmul of a rank-0 tensor", Arg, () => F().MatMul(F(3)), "matmul", "[]", "[3]"),
        new("matmul of float32 and float64", Arg, () => F32(2, 2).MatMul(F(2, 2)), "matmul", "float32", "float64"),
        new("matmul of tensors on different devices", Arg, () => F(2, 2).MatMul(F(2, 2).To(Device.IlgpuCpu)), "matmul", "cpu", "ilgpu-cpu"),
        new("matmul with a bias of the wrong size", Arg, () => F(2, 3).MatMul(F(3, 4), F(5)), "add", "[2, 4]", "[5]"),
        new("matmul_relu with a bias of the wrong size", Arg, () => F(2, 3).MatMulRelu(F(3, 4), F(5)), "add", "[2, 4]", "[5]"),
        new("matmul_relu with mismatched inner dims", Arg, () => F(2, 3).MatMulRelu(F(4, 5), F(5)), "matmul", "[2, 3]", "[4, 5]"),
        new("addmm_relu kernel with a bias of the wrong size", Arg, () => F(2, 3).Backend.AddMatMulRelu(F(5), F(2, 3), F(3, 4)), "addmm_relu", "[5]", "[4]"),
        new("relu_backward kernel with a gradient of another shape", Arg, () => F(2, 3).Backend.ReluBackwardWithBiasGrad(F(2, 3), F(3, 2)), "relu_backward", "[2, 3]", "[3, 2]"),
        new("relu_backward kernel with float32 and float64", Arg, () => F(2, 3).Backend.ReluBackwardWithBiasGrad(F32(2, 3), F(2, 3)), "relu_backward", "float32", "float64"),
        new("relu_backward kernel on the ILGPU CPU accelerator with another shape", Arg,
            () => F(2, 3).To(Device.IlgpuCpu).Backend.ReluBackwardWithBiasGrad(F(2, 3).To(Device.IlgpuCpu), F(2, 2).To(Device.IlgpuCpu)), "relu_backward", "[2, 3]", "[2, 2]"),
        new("relu_backward kernel with a second gradient part of another shape", Arg,
            () => F(2, 3).Backend.ReluBackwardWithBiasGrad(F(2, 3), F(3, 2), F(2, 3)), "relu_backward", "[3, 2]", "[2, 3]"),
        new("relu_backward kernel with a float32 second gradient part", Arg,
            () => F(2, 3).Backend.ReluBackwardWithBiasGrad(F(2, 3), F32(2, 3), F(2, 3)), "relu_backward", "float32", "float64"),
        new("relu_backward kernel on the ILGPU CPU accelerator with a second part of another shape", Arg,
            () => F(2, 3).To(Device.IlgpuCpu).Backend.ReluBackwardWithBiasGrad(F(2, 3).To(Device.IlgpuCpu), F(3, 2).To(Device.IlgpuCpu), F(2, 3).To(Device.IlgpuCpu)), "relu_backward", "[3, 2]", "[2, 3]"),
        new("relu_backward kernel with a sign scale that does not broadcast", Arg,
            () => F(2, 3).Backend.ReluBackwardOfSignScaled(null, F(3, 1), F(2, 3)), "relu_backward", "[3, 1]", "[2, 3]"),
        new("relu_backward kernel with a float32 sign scale", Arg,
            () => F(2, 3).Backend.ReluBackwardOfSignScaled(F(2, 3), F32(2, 1), F(2, 3)), "relu_backward", "float32", "float64"),
        new("relu_backward kernel with a sign scale and a gradient of another shape", Arg,
            () => F(2, 3).Backend.ReluBackwardOfSignScaled(F(3, 2), F(2, 1), F(2, 3)), "relu_backward", "[3, 2]", "[2, 3]"),
        new("relu_backward kernel with a sign scale on another device", Arg,
            () => F(2, 3).Backend.ReluBackwardOfSignScaled(null, F(2, 1).To(Device.IlgpuCpu), F(2, 3)), "relu_backward", "cpu", "ilgpu-cpu"),
        new("relu_backward kernel on the ILGPU CPU accelerator with a sign scale that does not broadcast", Arg,
            () => F(2, 3).To(Device.IlgpuCpu).Backend.ReluBackwardOfSignScaled(null, F(3, 1).To(Device.IlgpuCpu), F(2, 3).To(Device.IlgpuCpu)), "relu_backward", "[3, 1]", "[2, 3]"),
    ];
}
