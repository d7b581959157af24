using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Interp.Cpu;

namespace Interp.Backends;

/// <summary>
/// Causal attention over short contexts in float32 on AVX-512, one (batch, head) at a time with no GEMM calls: the head's
/// keys are transposed once into a [d_head, keys] buffer; then per group of 4 queries
///   S = scale·q·kᵀ over the keys the group may see (4 queries × 32 keys in 8 accumulators, q broadcast, kᵀ rows loaded),
///   each row softmaxed while it is in L1 (max, e^(s − max) and Σ in 512-bit lanes) into the pattern's row,
///   z = P·v with v's rows read where they lie (4 queries × 32 dims in 8 accumulators).
/// At GPT-2's 128 positions the GEMM-based kernel (CpuBackend.Attention.cs) ran 5-8x below the GEMM's rate: it packed
/// Kᵀ and V again for each block of 32 queries, and its softmax went through the library exp at a call per vector.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Whether float32 attention may take this kernel; tests switch it off to reach the GEMM-based one.</summary>
    internal static bool ShortAttention { get; set; } = true;

    /// <summary>Up to this many keys the head's transposed keys (d_head × keys floats, 128 KB at d_head 64) stay in L2.</summary>
    const int ShortAttentionMaxKeys = 512;

    const int GroupRows = 4, KeyTile = 32;

    static bool ShortAttentionApplies(Tensor q, Tensor k) =>
        ShortAttention && q.DType == DType.Float32 && Vector512.IsHardwareAccelerated && Avx.IsSupported && k.shape[1] is > 0 and <= ShortAttentionMaxKeys;

    /// <summary>
    /// z [b, tq, h, dv] and the pattern [b, h, tq, tk] (row i softmaxed over keys 0 … i + offset, 0 after); with scores
    /// not null also the scaled scores, keys after i + offset set to mask. q, k, v are [b, pos, h, d] with d contiguous.
    /// </summary>
    static void ShortAttentionForward(Tensor q, Tensor k, Tensor v, Tensor z, Tensor pattern, Tensor? scores, float scale, int offset, float mask)
    {
        var problem = new ShortAttentionProblem(q, k, v, z, pattern, scores, scale, offset, mask);
        using var alive = new KeepAlive(q, k, v, z, pattern, scores);
        ForRows(q.shape[0] * q.shape[2], q.shape[1] * k.shape[1] * (q.shape[3] + v.shape[3]), problem.Head);
    }

    /// <summary>The operands' addresses, shapes and strides, and the one method that does a (batch, head).</summary>
    sealed class ShortAttentionProblem(Tensor q, Tensor k, Tensor v, Tensor z, Tensor pattern, Tensor? scores, float scale, int offset, float mask)
    {
        readonly float* pq = Ptr<float>(q) + q.Offset, pk = Ptr<float>(k) + k.Offset, pv = Ptr<float>(v) + v.Offset;
        readonly float* pz = Ptr<float>(z), pp = Ptr<float>(pattern), ps = scores is null ? null : Ptr<float>(scores);
        readonly int h = q.shape[2], tq = q.shape[1], e = q.shape[3], tk = k.shape[1], dv = v.shape[3];
        readonly int[] qs = q.strides, ks = k.strides, vs = v.strides;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Head(int bh)
        {
            int h = this.h, bi = bh / h, hi = bh % h, tq = this.tq, tk = this.tk, e = this.e, dv = this.dv;
            // rows of kᵀ (and of the scores) one vector longer than the keys: 2^n-float strides map them to few L1 sets
            int tkPad = RoundUp(tk, KeyTile) + 16, dvPad = RoundUp(dv, 16);
            float* qb = pq + (long)bi * qs[0] + (long)hi * qs[2], kb = pk + (long)bi * ks[0] + (long)hi * ks[2];
            float* vb = pv + (long)bi * vs[0] + (long)hi * vs[2], pBase = pp + (long)bh * tq * tk, sBase = ps == null ? null : ps + (long)bh * tq * tk;
            var buffer = ArrayPool<float>.Shared.Rent(e * tkPad + GroupRows * (tkPad + dvPad) + tk * dvPad);
            fixed (float* kt = buffer)
            {
                float* s = kt + e * tkPad, zs = s + GroupRows * tkPad, vp = zs + GroupRows * dvPad;
                TransposeKeys(kb, ks[1], e, tk, tkPad, kt);
                // v's rows copied together: in place they lie 3·h·d_head floats apart (a fused QKV's view), and at
                // GPT-2's 9 KB stride they fall in a sixteenth of L1's sets
                PadRows(vb, vs[1], tk, dv, dvPad, vp);
                var head = new ShortHead(qb, qs[1], kt, tkPad, e, vp, dvPad, dvPad, s, scale);
                // z's rows are written in place when they hold whole vectors, else through zs
                float* zBase = pz + ((long)bi * tq * h + hi) * dv;
                for (int r0 = 0; r0 < tq; r0 += GroupRows)
                {
                    int rows = Math.Min(GroupRows, tq - r0);
                    bool direct = dv == dvPad && rows == GroupRows;
                    head.Group(r0, rows, VisibleKeys(r0 + rows, offset, tk), offset, tk, pBase, direct ? zBase + (long)r0 * h * dv : zs,
                        direct ? (long)h * dv : dvPad, sBase, mask);
                    if (!direct)
                        for (int r = 0; r < rows; r++) new Span<float>(zs + r * dvPad, dv).CopyTo(new Span<float>(zBase + (long)(r0 + r) * h * dv, dv));
                }
            }
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>kt[d·tkPad + j] = k[j·kRow + d], keys tk … tkPad − 1 zero; 8 × 8 blocks transposed in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void TransposeKeys(float* k, int kRow, int e, int tk, int tkPad, float* kt)
    {
        int j8 = tk & ~7, d8 = e & ~7;
        for (int j = 0; j < j8; j += 8)
            for (int d = 0; d < d8; d += 8) Transpose8x8(k + (long)j * kRow + d, kRow, kt + d * tkPad + j, tkPad);
        for (int j = 0; j < tk; j++)
        {
            float* row = k + (long)j * kRow;
            for (int d = j < j8 ? d8 : 0; d < e; d++) kt[d * tkPad + j] = row[d];
        }
        for (int d = 0; d < e; d++) new Span<float>(kt + d * tkPad + tk, tkPad - tk).Clear();
    }

    /// <summary>dst[c·dstRow + r] = src[r·srcRow + c] for r, c &lt; 8: unpack pairs, shuffle quads, swap 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, int srcRow, float* dst, int dstRow)
    {
        var r0 = Vector256.Load(src); var r1 = Vector256.Load(src + srcRow);
        var r2 = Vector256.Load(src + 2L * srcRow); var r3 = Vector256.Load(src + 3L * srcRow);
        var r4 = Vector256.Load(src + 4L * srcRow); var r5 = Vector256.Load(src + 5L * srcRow);
        var r6 = Vector256.Load(src + 6L * srcRow); var r7 = Vector256.Load(src + 7L * srcRow);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).Store(dst); Avx.Permute2x128(u1, u5, 0x20).Store(dst + dstRow);
        Avx.Permute2x128(u2, u6, 0x20).Store(dst + 2 * dstRow); Avx.Permute2x128(u3, u7, 0x20).Store(dst + 3 * dstRow);
        Avx.Permute2x128(u0, u4, 0x31).Store(dst + 4 * dstRow); Avx.Permute2x128(u1, u5, 0x31).Store(dst + 5 * dstRow);
        Avx.Permute2x128(u2, u6, 0x31).Store(dst + 6 * dstRow); Avx.Permute2x128(u3, u7, 0x31).Store(dst + 7 * dstRow);
    }

    /// <summary>Rows of v (n wide) copied to rows of width nPad (a multiple of 16), zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PadRows(float* v, int vRow, int rows, int n, int nPad, float* dst)
    {
        int n16 = n & ~15;
        for (int j = 0; j < rows; j++, v += vRow, dst += nPad)
        {
            for (int c = 0; c < n16; c += 16) Vector512.Load(v + c).Store(dst + c);
            if (n16 < nPad)
            {
                Vector512<float>.Zero.Store(dst + n16);
                for (int c = n16; c < n; c++) dst[c] = v[c];
            }
        }
    }

    /// <summary>One head's operands and scratch: s holds a group's score rows (then its pattern rows).</summary>
    readonly struct ShortHead(float* q, int qRow, float* kt, int tkPad, int e, float* v, int vRow, int dvPad, float* s, float scale)
    {
        readonly float* q = q, kt = kt, v = v, s = s;
        readonly int qRow = qRow, tkPad = tkPad, e = e, vRow = vRow, dvPad = dvPad;
        readonly float scale = scale;

        /// <summary>
        /// Scores, softmax and z for queries r0 … r0 + rows − 1 (rows ≤ 4), over keys 0 … vis − 1: the pattern's rows go
        /// to pattern (this head's [tq, tk]), z's to z (rows zStep apart, all 4 written); with scores not null (this head's
        /// [tq, tk]) the scaled scores go there first, keys after i + offset set to mask.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Group(int r0, int rows, int vis, int offset, int tk, float* pattern, float* z, long zStep, float* scores, float mask)
        {
            float* q0 = q + (long)r0 * qRow, kt = this.kt, v = this.v, s = this.s;
            int tkPad = this.tkPad, e = this.e, vRow = this.vRow, dvPad = this.dvPad;
            float scale = this.scale;
            long step1 = rows > 1 ? qRow : 0, step2 = rows > 2 ? 2L * qRow : step1, step3 = rows > 3 ? 3L * qRow : step2;
            for (int j0 = 0; j0 < vis; j0 += KeyTile) Tile4x32(q0, q0 + step1, q0 + step2, q0 + step3, e, kt + j0, tkPad, s + j0, tkPad, scale);
            for (int r = 0; r < rows; r++)
            {
                int visible = Math.Min(tk, r0 + r + offset + 1);
                if (scores != null) KeepScoresRow(s + r * tkPad, scores + (long)(r0 + r) * tk, visible, tk, mask);
                SoftmaxRow512(s + r * tkPad, visible, vis, pattern + (long)(r0 + r) * tk, tk);
            }
            int c0 = 0;
            for (; c0 + 32 <= dvPad; c0 += 32) Tile4x32(s, s + tkPad, s + 2 * tkPad, s + 3 * tkPad, vis, v + c0, vRow, z + c0, zStep, 1f);
            if (c0 < dvPad) ValueTile16(s, tkPad, vis, v + c0, vRow, z + c0, zStep);
        }

        /// <summary>
        /// o[r, 0 … 31] = scale·Σ_i a_r[i]·b[i·bRow + 0 … 31] for the 4 rows a_r, i &lt; n (o's rows oRow apart): the scores
        /// (a = q's rows, b = kᵀ from key j0, n = d_head) and z (a = the pattern's rows, b = v from dim c0, n = visible keys, scale 1).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Tile4x32(float* a0, float* a1, float* a2, float* a3, int n, float* b, long bRow, float* o, long oRow, float scale)
        {
            var (c00, c01, c10, c11, c20, c21, c30, c31) = (Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero,
                Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero);
            for (float* end = a0 + n; a0 < end; a0++, a1++, a2++, a3++, b += bRow)
            {
                var (b0, b1) = (Vector512.Load(b), Vector512.Load(b + 16));
                var x = Vector512.Create(*a0);
                (c00, c01) = (Vector512.FusedMultiplyAdd(x, b0, c00), Vector512.FusedMultiplyAdd(x, b1, c01));
                x = Vector512.Create(*a1);
                (c10, c11) = (Vector512.FusedMultiplyAdd(x, b0, c10), Vector512.FusedMultiplyAdd(x, b1, c11));
                x = Vector512.Create(*a2);
                (c20, c21) = (Vector512.FusedMultiplyAdd(x, b0, c20), Vector512.FusedMultiplyAdd(x, b1, c21));
                x = Vector512.Create(*a3);
                (c30, c31) = (Vector512.FusedMultiplyAdd(x, b0, c30), Vector512.FusedMultiplyAdd(x, b1, c31));
            }
            var c = Vector512.Create(scale);
            (c00 * c).Store(o); (c01 * c).Store(o + 16);
            (c10 * c).Store(o + oRow); (c11 * c).Store(o + oRow + 16);
            (c20 * c).Store(o + 2 * oRow); (c21 * c).Store(o + 2 * oRow + 16);
            (c30 * c).Store(o + 3 * oRow); (c31 * c).Store(o + 3 * oRow + 16);
        }

        /// <summary>The last 16 dims of z when dv is an odd multiple of 16.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void ValueTile16(float* s, int tkPad, int vis, float* vr, int vRow, float* o, long zStep)
        {
            var (a0, a1, a2, a3) = (Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero);
            for (int j = 0; j < vis; j++, vr += vRow)
            {
                var x = Vector512.Load(vr);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(s[j]), x, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(s[tkPad + j]), x, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2 * tkPad + j]), x, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(s[3 * tkPad + j]), x, a3);
            }
            a0.Store(o); a1.Store(o + zStep); a2.Store(o + 2 * zStep); a3.Store(o + 3 * zStep);
        }

        /// <summary>
        /// Row i of scores in place → its pattern row, also written to pattern (tk long): keys from visible to the next
        /// multiple of 16 count as −∞ (e^−∞ = 0), y = e^(s − m)/Σ with m the max, and the keys after those are 0 up to
        /// vis in the scores (what P·v reads) and up to tk in pattern.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void SoftmaxRow512(float* row, int visible, int vis, float* pattern, int tk)
        {
            int whole = RoundUp(visible, 16), last = whole - 16;
            var hidden = Vector512.GreaterThanOrEqual(Vector512.CreateSequence(last, 1), Vector512.Create(visible));
            Vector512.ConditionalSelect(hidden.AsSingle(), Vector512.Create(float.NegativeInfinity), Vector512.Load(row + last)).Store(row + last);
            var m = Vector512.Load(row);
            for (int i = 16; i < whole; i += 16) m = Vector512.MaxNative(m, Vector512.Load(row + i));
            var m8 = Vector256.MaxNative(m.GetLower(), m.GetUpper());   // a NaN may be dropped here: its own e^(s − m) is NaN all the same
            var m4 = Vector128.MaxNative(m8.GetLower(), m8.GetUpper());
            var vm = Vector512.Create(MathF.Max(MathF.Max(m4[0], m4[1]), MathF.Max(m4[2], m4[3])));
            var sum = Vector512<float>.Zero;
            for (int i = 0; i < whole; i += 16)
            {
                var t = VMath512.ExpOfNonPositive(Vector512.Load(row + i) - vm);
                t.Store(row + i);
                sum += t;
            }
            var inv = Vector512.Create(1f / Vector512.Sum(sum));
            int i2 = 0;
            for (; i2 < whole; i2 += 16)
            {
                var y = Vector512.Load(row + i2) * inv;
                y.Store(row + i2);
                if (i2 + 16 <= tk) y.Store(pattern + i2);
                else for (int t = i2; t < tk; t++) pattern[t] = row[t];
            }
            for (; i2 < vis; i2 += 16) Vector512<float>.Zero.Store(row + i2);   // within the row's tkPad: vis ≤ tk, tkPad ≥ tk + 16
            for (int t = whole; t < tk; t += 16)
                if (t + 16 <= tk) Vector512<float>.Zero.Store(pattern + t);
                else new Span<float>(pattern + t, tk - t).Clear();
        }
    }
}
