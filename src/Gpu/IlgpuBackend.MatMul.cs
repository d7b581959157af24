using ILGPU;
using ILGPU.Runtime;

namespace Interp.Gpu;

/// <summary>The GEMM problem of one MatMul: C[b] (M×N, contiguous) = A[b] (M×K) · B[b] (K×N), A and B by row/col strides.</summary>
public struct GemmShape
{
    public int M, N, K, RsA, CsA, RsB, CsB, TilesM, TilesN;
    public int ModeA, ModeB;   // the register-tiled kernel's SlabMode per operand
}

/// <summary>
/// Batched matmul. Large float32 products run the register-tiled <see cref="SgemmKernel"/> (IlgpuBackend.Sgemm.cs);
/// the rest (float64, small or thin shapes) this simple tiled shared-memory GEMM: each group of 16×16 threads computes one 16×16 tile of C, stepping
/// through K one 16-wide slab at a time (A and B slabs staged in shared memory, one barrier each side). Operands are
/// read through their row and column strides, so every transpose combination runs without a copy, and through a
/// batch Layout, so strided and broadcast batch dims do too.
/// </summary>
public sealed partial class IlgpuBackend
{
    const int Tile = 16;

    /// <summary>The GEMM kernels; <see cref="ChooseGemm"/> picks one by dtype and shape.</summary>
    internal enum GemmKernelKind { Simple16, Sgemm128 }

    public Tensor MatMul(Tensor a, Tensor b) => MatMul(a, b, null);

    /// <summary>
    /// The one place the kernel is chosen: the 128×128 register-tiled kernel for float32 when both output dims reach
    /// a block (smaller ones would idle most of its threads) and the 128-blocks are enough to spread over half the
    /// multiprocessors (fewer leave the GPU idle, where the simple kernel's many small tiles fill it).
    /// </summary>
    internal static GemmKernelKind ChooseGemm(DType dtype, int m, int n, int batch, int multiprocessors)
    {
        if (dtype != DType.Float32 || m < SgemmBlock || n < SgemmBlock) return GemmKernelKind.Simple16;
        long blocks = (long)((m + SgemmBlock - 1) / SgemmBlock) * ((n + SgemmBlock - 1) / SgemmBlock) * batch;
        return blocks * 2 >= multiprocessors ? GemmKernelKind.Sgemm128 : GemmKernelKind.Simple16;
    }

    /// <summary>MatMul with the kernel forced (<paramref name="kernel"/> non-null; tests and benchmarks) or chosen by shape.</summary>
    internal Tensor MatMul(Tensor a, Tensor b, GemmKernelKind? kernel)
    {
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"matmul: both operands need rank >= 2 here, got {ShapeUtil.Format(a.shape)} and {ShapeUtil.Format(b.shape)}");
        if (a.DType != b.DType || !a.DType.IsFloatingPoint())
            throw new ArgumentException($"matmul: operands must share a float dtype, got {a.DType.Name()} and {b.DType.Name()}");
        StorageOf("matmul", a); StorageOf("matmul", b);
        int m = a.shape[^2], k = a.shape[^1], n = b.shape[^1];
        if (b.shape[^2] != k)
            throw new ArgumentException($"matmul: shapes {ShapeUtil.Format(a.shape)} and {ShapeUtil.Format(b.shape)} do not match (inner dims {k} and {b.shape[^2]})");
        var batchShape = ShapeUtil.Broadcast("matmul", a.shape[..^2], b.shape[..^2]);
        int batch = ShapeUtil.Numel(batchShape);
        var o = New([.. batchShape, m, n], a.DType, zeroed: k == 0);
        if (o.Numel == 0 || k == 0) return o;
        var kind = kernel ?? ChooseGemm(a.DType, m, n, batch, accelerator.NumMultiprocessors);
        if (kind == GemmKernelKind.Sgemm128 && a.DType != DType.Float32)
            throw new ArgumentException($"matmul: the register-tiled kernel is float32 only, got {a.DType.Name()}");
        int tile = kind == GemmKernelKind.Sgemm128 ? SgemmBlock : Tile;
        var s = new GemmShape
        {
            M = m, N = n, K = k,
            RsA = a.strides[^2], CsA = a.strides[^1], RsB = b.strides[^2], CsB = b.strides[^1],
            TilesM = (m + tile - 1) / tile, TilesN = (n + tile - 1) / tile,
        };
        var la = Layout.Of(batchShape, ShapeUtil.BroadcastStrides("matmul", a.shape[..^2], a.strides[..^2], batchShape), a.Offset);
        var lb = Layout.Of(batchShape, ShapeUtil.BroadcastStrides("matmul", b.shape[..^2], b.strides[..^2], batchShape), b.Offset);
        if (kind == GemmKernelKind.Sgemm128) { Sgemm(a, la, b, lb, o, s, batch); return o; }
        var config = new KernelConfig(new Index2D(s.TilesM * s.TilesN * batch, 1), new Index2D(Tile, Tile));
        if (a.DType == DType.Float32) Gemm<float, F32>(config, a, la, b, lb, o, s);
        else Gemm<double, F64>(config, a, la, b, lb, o, s);
        return o;
    }

    void Gemm<T, E>(KernelConfig config, Tensor a, Layout la, Tensor b, Layout lb, Tensor c, GemmShape s) where T : unmanaged where E : struct, IElem<T>
    {
        var k = Kernel($"gemm/{typeof(T).Name}", acc =>
            acc.LoadStreamKernel<ArrayView<T>, Layout, ArrayView<T>, Layout, ArrayView<T>, GemmShape>(GemmKernel<T, E>));
        k(config, Raw<T>(a), la, Raw<T>(b), lb, Dense<T>(c), s);
    }

    /// <summary>C[bt, i, j] = Σ_p A[bt, i, p]·B[bt, p, j] for the tile (bt, tile row, tile col) = this group.</summary>
    static void GemmKernel<T, E>(ArrayView<T> a, Layout la, ArrayView<T> b, Layout lb, ArrayView<T> c, GemmShape s)
        where T : unmanaged where E : struct, IElem<T>
    {
        E e = default;
        var tileA = SharedMemory.Allocate<T>(Tile * Tile);
        var tileB = SharedMemory.Allocate<T>(Tile * Tile);
        int tx = Group.IdxX, ty = Group.IdxY;
        int g = Grid.IdxX, perBatch = s.TilesM * s.TilesN;
        int bt = g / perBatch, rest = g % perBatch;
        int row = rest / s.TilesN * Tile + ty, col = rest % s.TilesN * Tile + tx;
        int offA = la.At(bt), offB = lb.At(bt);
        T zero = e.Store(0), acc = zero;
        for (int k0 = 0; k0 < s.K; k0 += Tile)
        {
            int ka = k0 + tx, kb = k0 + ty;
            tileA[ty * Tile + tx] = row < s.M && ka < s.K ? a[offA + row * s.RsA + ka * s.CsA] : zero;
            tileB[ty * Tile + tx] = kb < s.K && col < s.N ? b[offB + kb * s.RsB + col * s.CsB] : zero;
            Group.Barrier();
            for (int p = 0; p < Tile; p++) acc = e.MulAdd(tileA[ty * Tile + p], tileB[p * Tile + tx], acc);
            Group.Barrier();
        }
        if (row < s.M && col < s.N) c[(long)bt * s.M * s.N + (long)row * s.N + col] = acc;
    }
}
