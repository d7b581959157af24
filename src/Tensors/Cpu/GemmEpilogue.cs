using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Interp.Cpu;

/// <summary>
/// The optional last step of a GEMM, C[i, j] ← relu?(C[i, j] + bias[j]), run on each tile of C right after its last
/// K block left the registers, while the tile is still in L1: a linear layer's bias and ReLU then cost no extra pass
/// over C (for the SAE's [4096, 4096] pre-activations, two 64 MB passes). ReLU is x ≤ 0 ? 0 : x, so NaN stays NaN,
/// as the elementwise <c>UnaryOp.Relu</c>.
/// </summary>
internal static unsafe class GemmEpilogue<T> where T : unmanaged, INumber<T>
{
    /// <summary>The epilogue on the rows × cols block of C at c (row stride ldc); bias points at the block's first column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(T* c, nint ldc, int rows, int cols, T* bias, bool relu)
    {
        for (int i = 0; i < rows; i++, c += ldc)
        {
            int j = 0;
            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
                for (; j + Vector256<T>.Count <= cols; j += Vector256<T>.Count)
                {
                    var x = Vector256.Load(c + j);
                    if (bias != null) x += Vector256.Load(bias + j);
                    if (relu) x = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<T>.Zero), Vector256<T>.Zero, x);
                    Vector256.Store(x, c + j);
                }
            for (; j < cols; j++)
            {
                T x = bias != null ? c[j] + bias[j] : c[j];
                c[j] = relu && x <= T.Zero ? T.Zero : x;
            }
        }
    }

    /// <summary>The epilogue over the whole of C (the paths that do not tile: k = 0, alpha = 0, tiny problems).</summary>
    public static void ApplyAll(in GemmProblem<T> p)
    {
        if (p.HasEpilogue) Apply(p.C, p.Ldc, p.M, p.N, p.Bias, p.Relu);
    }
}
