using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using Interp.Cpu;

namespace Interp.Backends;

/// <summary>
/// 3×3, stride-1 convolutions (and their input gradient, itself such a convolution) by Winograd's minimal filtering
/// F(4×4, 3×3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 4×4 block of output
/// ("tile") comes from a 6×6 patch of input. The patch d and the kernel g are transformed, V = Bᵀ d B and U = G g Gᵀ
/// (6×6 each); the 36 positions ξ of the transformed tile are then 36 independent GEMMs, M[ξ] [tiles, O] =
/// V[ξ] [tiles, C] · U[ξ] [C, O], 36 multiply-adds a (tile, C, O) instead of im2col's 144; and Aᵀ M A gives the
/// 4×4 block back. The side-by-side CNN's second conv (32 → 64 channels on 26×26) does a quarter of the
/// multiply-adds this way. The transforms add and scale by 2, 4, 5 and 1/6, 1/12, 1/24 only, so float32 stays within
/// a few units in the last place of the output's magnitude.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Fewest input and output channels for which a 3×3 conv takes the Winograd path (tests lower it).</summary>
    internal static int WinogradMinChannels { get; set; } = 8;

    /// <summary>About this many tiles are transformed and multiplied at once on one thread (the weight gradient's chunks).</summary>
    const int WinogradChunkTiles = 192;

    /// <summary>A 3×3 window, stride 1, no dilation, padding at most 2 (so the input gradient's padding 2 − p is one too), enough channels.</summary>
    static bool UsesWinograd(Window2d w, int channelsIn, int channelsOut) =>
        w is { KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PH: >= 0 and <= 2, PW: >= 0 and <= 2 }
        && channelsIn >= WinogradMinChannels && channelsOut >= WinogradMinChannels;

    /// <summary>Width in bits of the vectors of the Winograd transforms and the direct convs: 0 chooses, 256 or 512 force one (tests).</summary>
    internal static int ConvLaneBits { get; set; }

    /// <summary>
    /// 512-bit vectors for the transforms where AVX-512 runs them and the channels, rounded up to whole vectors, are
    /// no more than with 256-bit ones (the GEMMs run over the rounded-up channels).
    /// </summary>
    static bool WideLanes<T>(int c, int o) where T : unmanaged
    {
        if (ConvLaneBits != 0) return ConvLaneBits == 512;
        int narrow = Vector256<T>.Count, wide = Vector512<T>.Count;
        static int Round(int n, int lanes) => (n + lanes - 1) / lanes * lanes;
        return Vector512.IsHardwareAccelerated && Round(c, wide) == Round(c, narrow) && Round(o, wide) == Round(o, narrow);
    }

    /// <summary>The sizes of one Winograd convolution: in [N, C, H, W] with a zero border (PH, PW) → out [N, O, OH, OW].</summary>
    readonly struct WinogradPlan
    {
        public readonly int N, C, H, W, O, OH, OW, PH, PW, TilesY, TilesX, PerImage, Images;

        public WinogradPlan(int n, int c, int h, int w, int o, int ph, int pw)
        {
            (N, C, H, W, O, PH, PW) = (n, c, h, w, o, ph, pw);
            (OH, OW) = (h + 2 * ph - 2, w + 2 * pw - 2);
            (TilesY, TilesX) = ((OH + 3) / 4, (OW + 3) / 4);
            PerImage = TilesY * TilesX;
            Images = Math.Clamp(WinogradChunkTiles / PerImage, 1, Math.Max(1, n));
        }

        public int Chunks => (N + Images - 1) / Images;
        /// <summary>The zero-bordered input that holds every tile's 6×6 patch: the image at (PH, PW) of (4·TilesY + 2) × (4·TilesX + 2).</summary>
        public int PatchRows => 4 * TilesY + 2;
        public int PatchCols => 4 * TilesX + 2;
    }

    /// <summary>
    /// out[n, o] = Σ_c in[n, c] ⋆ k(o, c) (+ bias[o]), a 3×3 cross-correlation over the zero-bordered input, where
    /// k(o, c, i, j) is weight[o, c, i, j]; or, when <paramref name="flipped"/>, weight[c, o, 2 − i, 2 − j] (weight
    /// [C', O', 3, 3] of the forward conv whose input gradient this is).
    /// </summary>
    static void WinogradConv<T>(in WinogradPlan plan, T* input, T* weight, bool flipped, T* bias, T* output) where T : unmanaged, INumber<T>
    {
        switch (Gemm.ActivePath)
        {
            case GemmPath.Avx512: WinogradConv<T, Avx512Kernel<T>>(plan, input, weight, flipped, bias, output); break;
            case GemmPath.Avx2: WinogradConv<T, Avx2Kernel<T>>(plan, input, weight, flipped, bias, output); break;
            default: WinogradConv<T, ScalarKernel<T>>(plan, input, weight, flipped, bias, output); break;
        }
    }

    static void WinogradConv<T, TK>(in WinogradPlan plan, T* input, T* weight, bool flipped, T* bias, T* output)
        where T : unmanaged, INumber<T> where TK : struct, IMicroKernel<T>
    {
        if (WideLanes<T>(plan.C, plan.O)) WinogradConv<T, Lanes512<T>, TK>(plan, input, weight, flipped, bias, output);
        else WinogradConv<T, Lanes256<T>, TK>(plan, input, weight, flipped, bias, output);
    }

    /// <summary>
    /// U = G k Gᵀ once as [36, C, ldo] (the micro-kernel reads its rows in place), then every image by
    /// <see cref="WinogradImage{T, TV, TK}"/>: the images spread over the workers, or, with few, each image's groups of tiles.
    /// </summary>
    static void WinogradConv<T, TV, TK>(in WinogradPlan plan, T* input, T* weight, bool flipped, T* bias, T* output)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T> where TK : struct, IMicroKernel<T>
    {
        int ldo = RoundUp(plan.O, Math.Max(TV.Count, TK.NR));
        var u = Tensor.Empty([36 * plan.C * ldo], typeof(T) == typeof(float) ? DType.Float32 : DType.Float64, zeroed: ldo > plan.O);
        using var alive = new KeepAlive(u);
        T* pu = Ptr<T>(u);
        WeightTiles<T, TV>(pu, weight, plan.C, plan.O, ldo, flipped);
        var p = plan;
        if (p.N >= 2 * GemmThreads.MaxParts) CpuParallel.For(p.N, image => WinogradImage<T, TV, TK>(p, image, input, pu, ldo, bias, output, false));
        else for (int image = 0; image < p.N; image++) WinogradImage<T, TV, TK>(p, image, input, pu, ldo, bias, output, true);
    }

    /// <summary>
    /// One image of a Winograd convolution: its channels moved last (so the transforms work on vectors of channels)
    /// into a zero-bordered field, its tiles done a group at a time (<see cref="WinogradGroup{T, TV, TK}"/>) into a
    /// channels-last result, which goes back to NCHW with the bias added. <paramref name="spread"/>: the groups spread
    /// over the workers.
    /// </summary>
    static void WinogradImage<T, TV, TK>(in WinogradPlan p, int image, T* input, T* u, int ldo, T* bias, T* output, bool spread)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T> where TK : struct, IMicroKernel<T>
    {
        int cp = RoundUp(p.C, TV.Count), groups = (p.PerImage + TK.MR - 1) / TK.MR;
        long plane = (long)p.H * p.W, outPlane = (long)p.OH * p.OW, fieldSize = (long)p.PatchRows * p.PatchCols * cp;
        T* field = ConvScratch.Get<T>(fieldSize + outPlane * ldo), result = field + fieldSize;
        ToChannelsLast(input + (long)image * p.C * plane, p.C, p.H, p.W, field, p.PatchRows, p.PatchCols, cp, p.PH, p.PW);
        var q = p;
        if (spread) CpuParallel.For(groups, g => WinogradGroup<T, TV, TK>(q, g, field, cp, u, ldo, result));
        else for (int g = 0; g < groups; g++) WinogradGroup<T, TV, TK>(p, g, field, cp, u, ldo, result);
        FromChannelsLast(result, output + (long)image * p.O * outPlane, p.O, outPlane, ldo, bias);
    }

    /// <summary>
    /// The tiles [g·MR, g·MR + MR) of one image (MR: the micro-kernel's rows), everything in cache: V = Bᵀ d B of each,
    /// M[ξ] = V[ξ] · U[ξ] by the micro-kernel straight away (no GEMM call, no pass over all tiles' V and M through
    /// memory; the AVX-512 kernel reads V's rows where they lie, the others from V packed as their A panel), then
    /// Aᵀ M A into the image's result.
    /// </summary>
    static void WinogradGroup<T, TV, TK>(in WinogradPlan p, int group, T* field, int cp, T* u, int ldo, T* result)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T> where TK : struct, IMicroKernel<T>
    {
        int mr = TK.MR, t0 = group * mr, count = Math.Min(mr, p.PerImage - t0);
        long vSize = (long)mr * cp, aSize = (long)mr * p.C, mSize = (long)mr * ldo;
        T* v = ConvScratch.Get<T>(36 * (vSize + aSize + mSize), slot: 1), a = v + 36 * vSize, m = a + 36 * aSize;
        if (count < mr)   // rows past the image's last tile multiply as zeros
            for (int xi = 0; xi < 36; xi++) new Span<T>(v + xi * vSize + count * cp, (mr - count) * cp).Clear();
        InputTiles<T, TV>(p, field, cp, t0, count, v, vSize);
        bool rowsA = typeof(TK) == typeof(Avx512Kernel<T>);   // the same tile read from V's rows: no pack
        for (int xi = 0; xi < 36; xi++)
        {
            T* panel = a + xi * aSize, ux = u + (long)xi * p.C * ldo, mx = m + xi * mSize;
            if (rowsA)
            {
                for (int j = 0; j < ldo; j += TK.NR) Avx512RowsAKernel<T>.Run(p.C, v + xi * vSize, cp, 1, ux + j, ldo, mx + j, ldo, false);
                continue;
            }
            GemmPack<T, TK>.Interleave(v + xi * vSize, cp, mr, p.C, mr, panel);
            for (int j = 0; j < ldo; j += TK.NR) TK.Run(p.C, panel, ux + j, ldo, mx + j, ldo, T.One, T.Zero);
        }
        OutputTiles<T, TV>(p, m, ldo, t0, count, mSize, result);
    }

    static int RoundUp(int n, int multiple) => (n + multiple - 1) / multiple * multiple;

    /// <summary>
    /// dst [rows, cols, cp] = src [c, h, w] with its channels moved last, placed at (top, left) of a zero field: every
    /// position outside the image, and the channels past c, are zero.
    /// </summary>
    static void ToChannelsLast<T>(T* src, int c, int h, int w, T* dst, int rows, int cols, int cp, int top, int left) where T : unmanaged, INumber<T>
    {
        long plane = (long)h * w;
        if (top == 0 && left == 0 && rows == h && cols == w) (h, w, rows, cols) = (1, h * w, 1, h * w);   // no border: one run of positions
        bool blocks = typeof(T) == typeof(float) && Avx.IsSupported && c % 8 == 0 && w >= 8;
        for (int y = 0; y < rows; y++)
        {
            T* row = dst + (long)y * cols * cp;
            if (y < top || y >= top + h)
            {
                new Span<T>(row, cols * cp).Clear();
                continue;
            }
            new Span<T>(row, left * cp).Clear();
            new Span<T>(row + (long)(left + w) * cp, (cols - left - w) * cp).Clear();
            T* at = row + (long)left * cp, from = src + (long)(y - top) * w;
            if (blocks)   // 8 positions × 8 channels at a time; the last block ends at the row's end (overlapping the one before)
                for (int x = 0; ; x += 8)
                {
                    x = Math.Min(x, w - 8);
                    for (int ch = 0; ch < c; ch += 8) Transpose8x8((float*)(from + ch * plane + x), plane, (float*)(at + (long)x * cp + ch), cp, null);
                    if (x == w - 8) break;
                }
            for (int x = 0; x < w; x++)
            {
                T* pos = at + (long)x * cp;
                if (!blocks)
                    for (int ch = 0; ch < c; ch++) pos[ch] = from[ch * plane + x];
                for (int ch = c; ch < cp; ch++) pos[ch] = T.Zero;
            }
        }
    }

    /// <summary>dst [o, plane] = src [plane, op]ᵀ (the first o channels) + bias.</summary>
    static void FromChannelsLast<T>(T* src, T* dst, int o, long plane, int op, T* bias) where T : unmanaged, INumber<T>
    {
        long i0 = 0;
        if (typeof(T) == typeof(float) && Avx.IsSupported && o % 8 == 0)
            for (; i0 + 8 <= plane; i0 += 8)
                for (int ch = 0; ch < o; ch += 8) Transpose8x8((float*)(src + i0 * op + ch), op, (float*)(dst + ch * plane + i0), plane, (float*)(bias == null ? null : bias + ch));
        for (int ch = 0; ch < o; ch++)
        {
            T b = bias == null ? T.Zero : bias[ch];
            T* row = dst + ch * plane;
            for (long i = i0; i < plane; i++) row[i] = src[i * op + ch] + b;
        }
    }

    /// <summary>The 8×8 block at src (rows srcStride apart) transposed into dst (rows dstStride apart), row k of it plus add[k] when add is given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, long srcStride, float* dst, long dstStride, float* add)
    {
        // rows 0-3 of the block into the low 128-bit halves and rows 4-7 into the high ones, left and right four
        // columns apart: two 4×4 transposes side by side then need no lane-crossing shuffle
        float* s4 = src + 4 * srcStride;
        Vector256<float> a0 = Half(src, s4), a1 = Half(src + srcStride, s4 + srcStride), a2 = Half(src + 2 * srcStride, s4 + 2 * srcStride), a3 = Half(src + 3 * srcStride, s4 + 3 * srcStride);
        Vector256<float> b0 = Half(src + 4, s4 + 4), b1 = Half(src + srcStride + 4, s4 + srcStride + 4), b2 = Half(src + 2 * srcStride + 4, s4 + 2 * srcStride + 4), b3 = Half(src + 3 * srcStride + 4, s4 + 3 * srcStride + 4);
        Vector256<float> t0 = Avx.UnpackLow(a0, a1), t1 = Avx.UnpackHigh(a0, a1), t2 = Avx.UnpackLow(a2, a3), t3 = Avx.UnpackHigh(a2, a3);
        Vector256<float> t4 = Avx.UnpackLow(b0, b1), t5 = Avx.UnpackHigh(b0, b1), t6 = Avx.UnpackLow(b2, b3), t7 = Avx.UnpackHigh(b2, b3);
        Store(dst, Avx.Shuffle(t0, t2, 0x44), add, 0);
        Store(dst + dstStride, Avx.Shuffle(t0, t2, 0xEE), add, 1);
        Store(dst + 2 * dstStride, Avx.Shuffle(t1, t3, 0x44), add, 2);
        Store(dst + 3 * dstStride, Avx.Shuffle(t1, t3, 0xEE), add, 3);
        Store(dst + 4 * dstStride, Avx.Shuffle(t4, t6, 0x44), add, 4);
        Store(dst + 5 * dstStride, Avx.Shuffle(t4, t6, 0xEE), add, 5);
        Store(dst + 6 * dstStride, Avx.Shuffle(t5, t7, 0x44), add, 6);
        Store(dst + 7 * dstStride, Avx.Shuffle(t5, t7, 0xEE), add, 7);

        static Vector256<float> Half(float* low, float* high) => Avx.InsertVector128(Sse.LoadVector128(low).ToVector256Unsafe(), Sse.LoadVector128(high), 1);
        static void Store(float* at, Vector256<float> row, float* add, int k) => Avx.Store(at, add == null ? row : row + Vector256.Create(add[k]));
    }

    /// <summary>
    /// U[ξ, c, o] = (G k(o, c) Gᵀ)[ξ] for every (o, c), rows of U <paramref name="ldo"/> apart: an input channel at a
    /// time, its kernels gathered as [9 taps, o] and transformed a vector of output channels at a time, so that U's
    /// rows are written in order (a kernel at a time wrote 36 elements 36 rows apart: 4 % of the CNN's step).
    /// </summary>
    static void WeightTiles<T, TV>(T* u, T* weight, int c, int o, int ldo, bool flipped)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        int oc = RoundUp(o, TV.Count);
        T* taps = ConvScratch.Get<T>(9L * oc, slot: 1);
        var t = stackalloc TV[36];
        for (int ci = 0; ci < c; ci++)
        {
            for (int co = 0; co < oc; co++)
                for (int tap = 0; tap < 9; tap++)
                    taps[tap * oc + co] = co >= o ? T.Zero
                        : flipped ? weight[((long)ci * o + co) * 9 + 8 - tap] : weight[((long)co * c + ci) * 9 + tap];
            for (int co = 0; co < oc; co += TV.Count)
            {
                // G g (6×3, by columns), then (G g) Gᵀ (6×6, by rows)
                for (int j = 0; j < 3; j++) G<T, TV>(TV.Load(taps + j * oc + co), TV.Load(taps + (3 + j) * oc + co), TV.Load(taps + (6 + j) * oc + co), t + j, 6);
                for (int r = 0; r < 6; r++) G<T, TV>(t[r * 6], t[r * 6 + 1], t[r * 6 + 2], t + r * 6, 1);
                for (int xi = 0; xi < 36; xi++) t[xi].Store(u + ((long)xi * c + ci) * ldo + co);
            }
        }
    }

    /// <summary>
    /// V[ξ, k, c] = (Bᵀ d B)[ξ] of the 6×6 patch d of tile t0 + k (k &lt; count, tiles of one image in row-major order)
    /// of the image moved channels last into its zero-bordered field [PatchRows, PatchCols, cp]
    /// (<see cref="ToChannelsLast{T}"/>), a vector of channels at a time; position ξ's rows start vSize apart.
    /// </summary>
    static void InputTiles<T, TV>(in WinogradPlan p, T* field, int cp, int t0, int count, T* v, long vSize)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        var t = stackalloc TV[36];
        long rowStride = (long)p.PatchCols * cp;
        for (int k = 0; k < count; k++)
        {
            int ty = (t0 + k) / p.TilesX, tx = (t0 + k) % p.TilesX;
            T* patch = field + 4 * ty * rowStride + 4L * tx * cp;
            T* vt = v + (long)k * cp;
            for (int c = 0; c < cp; c += TV.Count)
            {
                // t = d B a row at a time (Bᵀ on each row's six vectors), then Bᵀ t a column at a time, straight into
                // V: 36 vectors through the stack, where a 6×6 array transformed in place took three round trips
                for (int i = 0; i < 6; i++)
                {
                    T* row = patch + i * rowStride + c;
                    Bt<T, TV>(TV.Load(row), TV.Load(row + cp), TV.Load(row + 2 * cp), TV.Load(row + 3 * cp), TV.Load(row + 4 * cp), TV.Load(row + 5 * cp),
                        out t[i * 6], out t[i * 6 + 1], out t[i * 6 + 2], out t[i * 6 + 3], out t[i * 6 + 4], out t[i * 6 + 5]);
                }
                for (int j = 0; j < 6; j++)
                {
                    Bt<T, TV>(t[j], t[6 + j], t[12 + j], t[18 + j], t[24 + j], t[30 + j], out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
                    T* at = vt + j * vSize + c;
                    r0.Store(at);
                    r1.Store(at + 6 * vSize);
                    r2.Store(at + 12 * vSize);
                    r3.Store(at + 18 * vSize);
                    r4.Store(at + 24 * vSize);
                    r5.Store(at + 30 * vSize);
                }
            }
        }
    }

    /// <summary>
    /// The 4×4 block Aᵀ M A of tile t0 + k (k &lt; count) of one image from M[ξ, k, ·] (rows ld apart, position ξ's
    /// mSize apart), into the channels-last [OH·OW, ld] result (cut at the image's edge).
    /// </summary>
    static void OutputTiles<T, TV>(in WinogradPlan p, T* m, int ld, int t0, int count, long mSize, T* image)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        var t = stackalloc TV[24];
        int oh = p.OH, ow = p.OW, oc = RoundUp(p.O, TV.Count);
        for (int k = 0; k < count; k++)
        {
            int ty = (t0 + k) / p.TilesX, tx = (t0 + k) % p.TilesX;
            int y0 = 4 * ty, x0 = 4 * tx, rows = Math.Min(4, oh - y0), cols = Math.Min(4, ow - x0);
            T* mt = m + (long)k * ld;
            for (int o = 0; o < oc; o += TV.Count)
            {
                // t = M A a row at a time (6 → 4), then Aᵀ t a column at a time, straight into the result
                for (int i = 0; i < 6; i++)
                {
                    T* row = mt + 6 * i * mSize + o;
                    At<T, TV>(TV.Load(row), TV.Load(row + mSize), TV.Load(row + 2 * mSize), TV.Load(row + 3 * mSize), TV.Load(row + 4 * mSize), TV.Load(row + 5 * mSize),
                        out t[i * 4], out t[i * 4 + 1], out t[i * 4 + 2], out t[i * 4 + 3]);
                }
                for (int j = 0; j < cols; j++)
                {
                    At<T, TV>(t[j], t[4 + j], t[8 + j], t[12 + j], t[16 + j], t[20 + j], out var y0v, out var y1v, out var y2v, out var y3v);
                    T* at = image + ((long)y0 * ow + x0 + j) * ld + o;
                    long down = (long)ow * ld;
                    y0v.Store(at);
                    if (rows > 1) y1v.Store(at + down);
                    if (rows > 2) y2v.Store(at + 2 * down);
                    if (rows > 3) y3v.Store(at + 3 * down);
                }
            }
        }
    }

    /// <summary>(r0, ..., r5) = Bᵀ (d0, ..., d5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Bt<T, TV>(TV d0, TV d1, TV d2, TV d3, TV d4, TV d5, out TV r0, out TV r1, out TV r2, out TV r3, out TV r4, out TV r5)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        T four = T.CreateTruncating(4), five = T.CreateTruncating(5), two = T.CreateTruncating(2);
        TV a = d4 - d2 * four, b = d3 - d1 * four, c = d4 - d2, e = (d3 - d1) * two;
        r0 = d0 * four - d2 * five + d4;
        r1 = a + b;
        r2 = a - b;
        r3 = c + e;
        r4 = c - e;
        r5 = d1 * four - d3 * five + d5;
    }

    /// <summary>(y0, ..., y3) = Aᵀ (m0, ..., m5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void At<T, TV>(TV m0, TV m1, TV m2, TV m3, TV m4, TV m5, out TV y0, out TV y1, out TV y2, out TV y3)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        T two = T.CreateTruncating(2), four = T.CreateTruncating(4), eight = T.CreateTruncating(8);
        TV sum12 = m1 + m2, dif12 = m1 - m2, sum34 = m3 + m4, dif34 = m3 - m4;
        y0 = m0 + sum12 + sum34;
        y1 = dif12 + dif34 * two;
        y2 = sum12 + sum34 * four;
        y3 = dif12 + dif34 * eight + m5;
    }

    /// <summary>G g: the 3 vectors g0, g1, g2 to 6 at t[0], t[ts], ..., t[5ts].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void G<T, TV>(TV g0, TV g1, TV g2, TV* t, int ts) where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        T quarter = T.CreateTruncating(0.25), sixth = T.CreateTruncating(1.0 / 6), twelfth = T.CreateTruncating(1.0 / 12), twentyFourth = T.CreateTruncating(1.0 / 24);
        TV even = g0 + g2;
        t[0] = g0 * quarter;
        t[ts] = (even + g1) * -sixth;
        t[2 * ts] = (even - g1) * -sixth;
        t[3 * ts] = g0 * twentyFourth + g1 * twelfth + g2 * sixth;
        t[4 * ts] = g0 * twentyFourth - g1 * twelfth + g2 * sixth;
        t[5 * ts] = g2;
    }
}
