using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Interp.Gpu;

/// <summary>
/// The float32 GEMM for large shapes, register-tiled: a group of 16×16 threads computes a 128×128 block of C, each
/// thread an 8×8 sub-block held in 64 registers (rows ty + 16·i, columns tx + 16·j: neighbouring threads read
/// neighbouring shared-memory words, so fragment reads are free of bank conflicts without vector loads). K is walked in
/// slabs of 8: the 128×8 slabs of A and B are stored k-major in shared memory (rows padded to 132 floats so the
/// transposing stores do not conflict either), double-buffered, so each thread fetches the next slab from global memory
/// into registers while it multiplies the current one, with one barrier per slab. Each slab gives every thread 8
/// fragments of 8 + 8 floats and 8·64 multiply-adds. Operands are read through their strides (every transpose
/// combination, strided and broadcast batches through Layout, as the simple kernel); global loads are scalar, coalesced
/// along whichever of the operand's two dims is contiguous. Edge blocks load zeros outside the matrices and store only
/// inside them.
/// </summary>
public sealed partial class IlgpuBackend
{
    internal const int SgemmBlock = 128, SgemmSlab = 8, SgemmThreads = 16, SgemmLd = SgemmBlock + 4;
    const int SgemmBuffer = SgemmSlab * SgemmLd;   // one slab of one operand in shared memory, in floats

    void Sgemm(Tensor a, Layout la, Tensor b, Layout lb, Tensor c, GemmShape s, int batch)
    {
        var k = Kernel("sgemm128", acc =>
            acc.LoadStreamKernel<ArrayView<float>, Layout, ArrayView<float>, Layout, ArrayView<float>, GemmShape>(SgemmKernel));
        var config = new KernelConfig(new Index2D(s.TilesM * s.TilesN * batch, 1), new Index2D(SgemmThreads, SgemmThreads));
        k(config, Raw<float>(a), la, Raw<float>(b), lb, Dense<float>(c), s);
    }

    /// <summary>C[bt] block (tile row, tile col) = this group's 128×128 of A[bt]·B[bt]; s.TilesM/TilesN count 128-blocks.</summary>
    static void SgemmKernel(ArrayView<float> a, Layout la, ArrayView<float> b, Layout lb, ArrayView<float> c, GemmShape s)
    {
        var sa = SharedMemory.Allocate<float>(2 * SgemmBuffer);
        var sb = SharedMemory.Allocate<float>(2 * SgemmBuffer);
        int tx = Group.IdxX, ty = Group.IdxY, t = ty * SgemmThreads + tx;
        int g = Grid.IdxX, perBatch = s.TilesM * s.TilesN;
        int bt = g / perBatch, rest = g % perBatch;
        int row0 = rest / s.TilesN * SgemmBlock, col0 = rest % s.TilesN * SgemmBlock;
        int offA = la.At(bt), offB = lb.At(bt);
        // A is read as (row, k) with strides (RsA, CsA), B as (col, k) with strides (CsB, RsB): the same slab loader for both
        var nextA = LoadSlab(a, offA, s.RsA, s.CsA, row0, s.M, 0, s.K, t);
        var nextB = LoadSlab(b, offB, s.CsB, s.RsB, col0, s.N, 0, s.K, t);
        StoreSlab(sa, 0, nextA, t, s.CsA == 1);
        StoreSlab(sb, 0, nextB, t, s.RsB == 1);
        Group.Barrier();
        var acc = default(Block8x8);
        for (int k0 = 0, cur = 0; k0 < s.K; k0 += SgemmSlab, cur ^= SgemmBuffer)
        {
            bool more = k0 + SgemmSlab < s.K;   // the same for the whole group
            if (more)
            {
                nextA = LoadSlab(a, offA, s.RsA, s.CsA, row0, s.M, k0 + SgemmSlab, s.K, t);
                nextB = LoadSlab(b, offB, s.CsB, s.RsB, col0, s.N, k0 + SgemmSlab, s.K, t);
            }
            // the 8 steps of the slab unrolled by hand (ILGPU keeps a loop): shared addresses become constant offsets
            acc = Step(acc, sa, sb, cur, ty, tx); acc = Step(acc, sa, sb, cur + SgemmLd, ty, tx);
            acc = Step(acc, sa, sb, cur + 2 * SgemmLd, ty, tx); acc = Step(acc, sa, sb, cur + 3 * SgemmLd, ty, tx);
            acc = Step(acc, sa, sb, cur + 4 * SgemmLd, ty, tx); acc = Step(acc, sa, sb, cur + 5 * SgemmLd, ty, tx);
            acc = Step(acc, sa, sb, cur + 6 * SgemmLd, ty, tx); acc = Step(acc, sa, sb, cur + 7 * SgemmLd, ty, tx);
            if (more)
            {
                StoreSlab(sa, cur ^ SgemmBuffer, nextA, t, s.CsA == 1);
                StoreSlab(sb, cur ^ SgemmBuffer, nextB, t, s.RsB == 1);
            }
            Group.Barrier();   // this slab read by all before it is overwritten, the next one written before it is read
        }
        long cBase = (long)bt * s.M * s.N;
        int r = row0 + ty, col = col0 + tx;
        StoreRow(c, cBase, r, col, s, acc.R0); StoreRow(c, cBase, r + 16, col, s, acc.R1);
        StoreRow(c, cBase, r + 32, col, s, acc.R2); StoreRow(c, cBase, r + 48, col, s, acc.R3);
        StoreRow(c, cBase, r + 64, col, s, acc.R4); StoreRow(c, cBase, r + 80, col, s, acc.R5);
        StoreRow(c, cBase, r + 96, col, s, acc.R6); StoreRow(c, cBase, r + 112, col, s, acc.R7);
    }

    /// <summary>One k of the slab: the outer product of this thread's A fragment (column of 8) and B fragment (row of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Block8x8 Step(Block8x8 acc, ArrayView<float> sa, ArrayView<float> sb, int at, int ty, int tx) =>
        acc.MulAdd(Frag8.Load(sa, at + ty), Frag8.Load(sb, at + tx));

    /// <summary>Element (o, k) of an operand read as (outer, k), or 0 outside it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Element(ArrayView<float> v, int off, int so, int sk, int o, int limit, int k, int kEnd) =>
        o < limit && k < kEnd ? v[off + o * so + k * sk] : 0f;

    /// <summary>
    /// This thread's 4 of the 128×8 slab (outer0.., k0..). When k is contiguous, runs of 8 threads read 8 neighbouring
    /// k's of one row (rows t/8 + 32·r); otherwise 128 threads read 128 neighbouring rows of one k (k = t/128 + 2·r).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Frag4 LoadSlab(ArrayView<float> v, int off, int so, int sk, int outer0, int limit, int k0, int kEnd, int t)
    {
        Frag4 f;
        if (sk == 1)
        {
            int o = outer0 + (t >> 3), k = k0 + (t & 7);
            f.V0 = Element(v, off, so, sk, o, limit, k, kEnd);
            f.V1 = Element(v, off, so, sk, o + 32, limit, k, kEnd);
            f.V2 = Element(v, off, so, sk, o + 64, limit, k, kEnd);
            f.V3 = Element(v, off, so, sk, o + 96, limit, k, kEnd);
        }
        else
        {
            int o = outer0 + (t & 127), k = k0 + (t >> 7);
            f.V0 = Element(v, off, so, sk, o, limit, k, kEnd);
            f.V1 = Element(v, off, so, sk, o, limit, k + 2, kEnd);
            f.V2 = Element(v, off, so, sk, o, limit, k + 4, kEnd);
            f.V3 = Element(v, off, so, sk, o, limit, k + 6, kEnd);
        }
        return f;
    }

    /// <summary>Stores what <see cref="LoadSlab"/> loaded into the k-major shared slab at <paramref name="at"/> (same mapping).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreSlab(ArrayView<float> shared, int at, Frag4 f, int t, bool kContiguous)
    {
        if (kContiguous)
        {
            int i = at + (t & 7) * SgemmLd + (t >> 3);
            shared[i] = f.V0; shared[i + 32] = f.V1; shared[i + 64] = f.V2; shared[i + 96] = f.V3;
        }
        else
        {
            int i = at + (t >> 7) * SgemmLd + (t & 127);
            shared[i] = f.V0; shared[i + 2 * SgemmLd] = f.V1; shared[i + 4 * SgemmLd] = f.V2; shared[i + 6 * SgemmLd] = f.V3;
        }
    }

    /// <summary>One row of this thread's sub-block: C[row, col + 16·j], inside C only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRow(ArrayView<float> c, long cBase, int row, int col, GemmShape s, Frag8 f)
    {
        if (row >= s.M) return;
        long at = cBase + (long)row * s.N + col;
        int left = s.N - col;
        if (left > 0) c[at] = f.V0;
        if (left > 16) c[at + 16] = f.V1;
        if (left > 32) c[at + 32] = f.V2;
        if (left > 48) c[at + 48] = f.V3;
        if (left > 64) c[at + 64] = f.V4;
        if (left > 80) c[at + 80] = f.V5;
        if (left > 96) c[at + 96] = f.V6;
        if (left > 112) c[at + 112] = f.V7;
    }
}

/// <summary>Four floats in registers (a thread's share of one slab in flight).</summary>
public struct Frag4
{
    public float V0, V1, V2, V3;
}

/// <summary>Eight floats in registers: a fragment of A or B (stride-16 elements), or one row of a thread's C sub-block.</summary>
public struct Frag8
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Frag8 Load(ArrayView<float> shared, int at) => new()
    {
        V0 = shared[at], V1 = shared[at + 16], V2 = shared[at + 32], V3 = shared[at + 48],
        V4 = shared[at + 64], V5 = shared[at + 80], V6 = shared[at + 96], V7 = shared[at + 112],
    };

    /// <summary>this + x·b, element by element (ptxas contracts each multiply-add into one FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Frag8 MulAdd(float x, Frag8 b) => new()
    {
        V0 = V0 + x * b.V0, V1 = V1 + x * b.V1, V2 = V2 + x * b.V2, V3 = V3 + x * b.V3,
        V4 = V4 + x * b.V4, V5 = V5 + x * b.V5, V6 = V6 + x * b.V6, V7 = V7 + x * b.V7,
    };
}

/// <summary>A thread's 8×8 sub-block of C in registers, as named fields (an array would live in local memory).</summary>
public struct Block8x8
{
    public Frag8 R0, R1, R2, R3, R4, R5, R6, R7;

    /// <summary>The outer product a·bᵀ added: row i += a_i·b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Block8x8 MulAdd(Frag8 a, Frag8 b) => new()
    {
        R0 = R0.MulAdd(a.V0, b), R1 = R1.MulAdd(a.V1, b), R2 = R2.MulAdd(a.V2, b), R3 = R3.MulAdd(a.V3, b),
        R4 = R4.MulAdd(a.V4, b), R5 = R5.MulAdd(a.V5, b), R6 = R6.MulAdd(a.V6, b), R7 = R7.MulAdd(a.V7, b),
    };
}
