using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Interp.Gpu;

/// <summary>
/// The float32 GEMM for large shapes, register-tiled: a group of 16×16 threads computes a 128×128 block of C, each
/// thread an 8×8 sub-block held in 64 registers (rows 4·ty + i and 64 + 4·ty + i, columns 4·tx + j and 64 + 4·tx + j,
/// i, j &lt; 4). K is walked in slabs of 8: the 128×8 slabs of A and B are stored k-major in shared memory (A transposed;
/// rows padded to 132 floats so the transposing stores do not conflict), double-buffered, so each thread fetches the
/// next slab from global memory into registers while it multiplies the current one, with one barrier per slab. Each k
/// of a slab gives every thread its fragments as 2 + 2 128-bit shared loads (the 16 threads of a half-warp read 16
/// neighbouring float4s of B, A's is a broadcast: no bank conflicts) and 64 multiply-adds. Operands are read through
/// their strides (every transpose combination, strided and broadcast batches through Layout, as the simple kernel).
/// Global loads are 128-bit where the strides and alignment allow (<see cref="SlabMode"/>, chosen on the host), else
/// scalar, coalesced along whichever of the operand's two dims is contiguous; C is stored 128-bit when N is a multiple
/// of 4. Edge blocks load zeros outside the matrices and store only inside them.
/// </summary>
public sealed partial class IlgpuBackend
{
    internal const int SgemmBlock = 128, SgemmSlab = 8, SgemmThreads = 16, SgemmLd = SgemmBlock + 4;
    const int SgemmBuffer = SgemmSlab * SgemmLd;   // one slab of one operand in shared memory, in floats (a multiple of 4)

    /// <summary>
    /// How a thread loads its 4 elements of a 128×8 slab of an operand read as (outer, k): scalar along contiguous k or
    /// contiguous outer, or one float4 of 4 neighbouring k's or 4 neighbouring outers (needs 16-byte-aligned rows).
    /// </summary>
    internal enum SlabMode { ScalarK, ScalarOuter, VectorK, VectorOuter }

    /// <summary>
    /// The slab mode of an operand with strides (so, sk) over (outer, k): a float4 needs the contiguous dim's length and
    /// the other stride, the view's offset and every batch stride to be multiples of 4 floats (device buffers start
    /// 256-byte aligned), so each float4 lies 16-byte aligned and wholly inside or outside the matrix.
    /// </summary>
    internal static SlabMode ChooseSlabMode(int so, int sk, int outer, int k, Layout batch)
    {
        bool aligned = batch.Offset % 4 == 0 && batch.T0 % 4 == 0 && batch.T1 % 4 == 0 && batch.T2 % 4 == 0 && batch.T3 % 4 == 0
            && batch.T4 % 4 == 0 && batch.T5 % 4 == 0 && batch.T6 % 4 == 0 && batch.T7 % 4 == 0;
        if (sk == 1) return aligned && k % 4 == 0 && so % 4 == 0 ? SlabMode.VectorK : SlabMode.ScalarK;
        return aligned && so == 1 && outer % 4 == 0 && sk % 4 == 0 ? SlabMode.VectorOuter : SlabMode.ScalarOuter;
    }

    void Sgemm(Tensor a, Layout la, Tensor b, Layout lb, Tensor c, GemmShape s, int batch)
    {
        // A is read as (row, k) with strides (RsA, CsA), B as (col, k) with strides (CsB, RsB)
        s.ModeA = (int)ChooseSlabMode(s.RsA, s.CsA, s.M, s.K, la);
        s.ModeB = (int)ChooseSlabMode(s.CsB, s.RsB, s.N, s.K, lb);
        var k = Kernel("sgemm128", acc =>
            acc.LoadStreamKernel<ArrayView<float>, Layout, ArrayView<float>, Layout, ArrayView<float>, GemmShape>(SgemmKernel));
        var config = new KernelConfig(new Index2D(s.TilesM * s.TilesN * batch, 1), new Index2D(SgemmThreads, SgemmThreads));
        k(config, Raw<float>(a), la, Raw<float>(b), lb, Dense<float>(c), s);
    }

    /// <summary>C[bt] block (tile row, tile col) = this group's 128×128 of A[bt]·B[bt]; s.TilesM/TilesN count 128-blocks.</summary>
    static void SgemmKernel(ArrayView<float> a, Layout la, ArrayView<float> b, Layout lb, ArrayView<float> c, GemmShape s)
    {
        var sa = SharedMemory.Allocate<float>(2 * SgemmBuffer);   // ILGPU aligns shared arrays to 16 bytes
        var sb = SharedMemory.Allocate<float>(2 * SgemmBuffer);
        int tx = Group.IdxX, ty = Group.IdxY, t = ty * SgemmThreads + tx;
        int g = Grid.IdxX, perBatch = s.TilesM * s.TilesN;
        int bt = g / perBatch, rest = g % perBatch;
        int row0 = rest / s.TilesN * SgemmBlock, col0 = rest % s.TilesN * SgemmBlock;
        int offA = la.At(bt), offB = lb.At(bt);
        var nextA = LoadSlab(a, offA, s.RsA, s.CsA, row0, s.M, 0, s.K, t, s.ModeA);
        var nextB = LoadSlab(b, offB, s.CsB, s.RsB, col0, s.N, 0, s.K, t, s.ModeB);
        StoreSlab(sa, 0, nextA, t, s.ModeA);
        StoreSlab(sb, 0, nextB, t, s.ModeB);
        Group.Barrier();
        var sa4 = sa.Cast<Frag4>();
        var sb4 = sb.Cast<Frag4>();
        var acc = default(Block8x8);
        for (int k0 = 0, cur = 0; k0 < s.K; k0 += SgemmSlab, cur ^= SgemmBuffer)
        {
            bool more = k0 + SgemmSlab < s.K;   // the same for the whole group
            if (more)
            {
                nextA = LoadSlab(a, offA, s.RsA, s.CsA, row0, s.M, k0 + SgemmSlab, s.K, t, s.ModeA);
                nextB = LoadSlab(b, offB, s.CsB, s.RsB, col0, s.N, k0 + SgemmSlab, s.K, t, s.ModeB);
            }
            // the 8 steps of the slab unrolled by hand (ILGPU keeps a loop): shared addresses become constant offsets
            const int Row4 = SgemmLd / 4;   // one k-row of a slab in float4s
            int at = cur / 4;
            acc = Step(acc, sa4, sb4, at, ty, tx); acc = Step(acc, sa4, sb4, at + Row4, ty, tx);
            acc = Step(acc, sa4, sb4, at + 2 * Row4, ty, tx); acc = Step(acc, sa4, sb4, at + 3 * Row4, ty, tx);
            acc = Step(acc, sa4, sb4, at + 4 * Row4, ty, tx); acc = Step(acc, sa4, sb4, at + 5 * Row4, ty, tx);
            acc = Step(acc, sa4, sb4, at + 6 * Row4, ty, tx); acc = Step(acc, sa4, sb4, at + 7 * Row4, ty, tx);
            if (more)
            {
                StoreSlab(sa, cur ^ SgemmBuffer, nextA, t, s.ModeA);
                StoreSlab(sb, cur ^ SgemmBuffer, nextB, t, s.ModeB);
            }
            Group.Barrier();   // this slab read by all before it is overwritten, the next one written before it is read
        }
        long cBase = (long)bt * s.M * s.N;
        int r = row0 + 4 * ty, col = col0 + 4 * tx;
        bool vectorC = s.N % 4 == 0;   // then every row of C starts 16-byte aligned, and a float4 is all in or all out
        StoreRow(c, cBase, r, col, s, acc.R0, vectorC); StoreRow(c, cBase, r + 1, col, s, acc.R1, vectorC);
        StoreRow(c, cBase, r + 2, col, s, acc.R2, vectorC); StoreRow(c, cBase, r + 3, col, s, acc.R3, vectorC);
        StoreRow(c, cBase, r + 64, col, s, acc.R4, vectorC); StoreRow(c, cBase, r + 65, col, s, acc.R5, vectorC);
        StoreRow(c, cBase, r + 66, col, s, acc.R6, vectorC); StoreRow(c, cBase, r + 67, col, s, acc.R7, vectorC);
    }

    /// <summary>One k of the slab (<paramref name="at"/> in float4s): the outer product of this thread's A fragment (rows) and B fragment (columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Block8x8 Step(Block8x8 acc, ArrayView<Frag4> sa, ArrayView<Frag4> sb, int at, int ty, int tx) =>
        acc.MulAdd(Frag8.Load(sa, at + ty), Frag8.Load(sb, at + tx));

    /// <summary>Element (o, k) of an operand read as (outer, k), or 0 outside it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Element(ArrayView<float> v, int off, int so, int sk, int o, int limit, int k, int kEnd) =>
        o < limit && k < kEnd ? v[off + o * so + k * sk] : 0f;

    /// <summary>
    /// This thread's 4 of the 128×8 slab (outer0.., k0..), by <paramref name="mode"/> (the same for the whole group):
    /// ScalarK: runs of 8 threads read 8 neighbouring k's of one row (rows t/8 + 32·r); ScalarOuter: 128 threads read
    /// 128 neighbouring rows of one k (k = t/128 + 2·r); VectorK: a float4 of k's 4·(t%2).. of row t/2; VectorOuter:
    /// a float4 of rows 4·(t%32).. at k = t/32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Frag4 LoadSlab(ArrayView<float> v, int off, int so, int sk, int outer0, int limit, int k0, int kEnd, int t, int mode)
    {
        Frag4 f = default;
        if (mode == (int)SlabMode.VectorK)
        {
            int o = outer0 + (t >> 1), k = k0 + (t & 1) * 4;
            if (o < limit && k < kEnd) f = v.Cast<Frag4>()[(off + o * so + k) >> 2];
        }
        else if (mode == (int)SlabMode.VectorOuter)
        {
            int o = outer0 + (t & 31) * 4, k = k0 + (t >> 5);
            if (o < limit && k < kEnd) f = v.Cast<Frag4>()[(off + o + k * sk) >> 2];
        }
        else if (mode == (int)SlabMode.ScalarK)
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

    /// <summary>
    /// Stores what <see cref="LoadSlab"/> loaded into the k-major shared slab at <paramref name="at"/> (same mapping).
    /// The transposing stores of the k-contiguous modes hit 32 distinct banks per warp (row pitch 132 ≡ 4 mod 32);
    /// VectorOuter stores one float4 per thread, a warp 512 contiguous bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreSlab(ArrayView<float> shared, int at, Frag4 f, int t, int mode)
    {
        if (mode == (int)SlabMode.VectorK)
        {
            int i = at + (t & 1) * 4 * SgemmLd + (t >> 1);
            shared[i] = f.V0; shared[i + SgemmLd] = f.V1; shared[i + 2 * SgemmLd] = f.V2; shared[i + 3 * SgemmLd] = f.V3;
        }
        else if (mode == (int)SlabMode.VectorOuter)
            shared.Cast<Frag4>()[(at + (t >> 5) * SgemmLd) / 4 + (t & 31)] = f;
        else if (mode == (int)SlabMode.ScalarK)
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

    /// <summary>One row of this thread's sub-block: C[row, col + j] and C[row, col + 64 + j] (j &lt; 4), inside C only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRow(ArrayView<float> c, long cBase, int row, int col, GemmShape s, Frag8 f, bool vector)
    {
        if (row >= s.M) return;
        long at = cBase + (long)row * s.N + col;
        int left = s.N - col;
        if (vector)
        {
            var c4 = c.Cast<Frag4>();
            if (left > 0) c4[at >> 2] = new Frag4 { V0 = f.V0, V1 = f.V1, V2 = f.V2, V3 = f.V3 };
            if (left > 64) c4[(at + 64) >> 2] = new Frag4 { V0 = f.V4, V1 = f.V5, V2 = f.V6, V3 = f.V7 };
            return;
        }
        if (left > 0) c[at] = f.V0;
        if (left > 1) c[at + 1] = f.V1;
        if (left > 2) c[at + 2] = f.V2;
        if (left > 3) c[at + 3] = f.V3;
        if (left > 64) c[at + 64] = f.V4;
        if (left > 65) c[at + 65] = f.V5;
        if (left > 66) c[at + 66] = f.V6;
        if (left > 67) c[at + 67] = f.V7;
    }
}

/// <summary>Four floats in registers (a thread's share of one slab in flight); loaded and stored as one 128-bit access.</summary>
public struct Frag4
{
    public float V0, V1, V2, V3;
}

/// <summary>Eight floats in registers: a fragment of A or B (elements 0-3 and 64-67 from its start), or one row of a thread's C sub-block.</summary>
public struct Frag8
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Frag8 Load(ArrayView<Frag4> shared, int at)
    {
        Frag4 lo = shared[at], hi = shared[at + 16];   // two float4s, 64 floats apart
        return new() { V0 = lo.V0, V1 = lo.V1, V2 = lo.V2, V3 = lo.V3, V4 = hi.V0, V5 = hi.V1, V6 = hi.V2, V7 = hi.V3 };
    }

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
