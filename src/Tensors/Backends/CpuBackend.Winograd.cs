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

    /// <summary>About this many tiles are transformed and multiplied at once on one thread.</summary>
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
        if (WideLanes<T>(plan.C, plan.O)) WinogradConv<T, Lanes512<T>>(plan, input, weight, flipped, bias, output);
        else WinogradConv<T, Lanes256<T>>(plan, input, weight, flipped, bias, output);
    }

    static void WinogradConv<T, TV>(in WinogradPlan plan, T* input, T* weight, bool flipped, T* bias, T* output)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        var u = Tensor.Empty([36 * plan.C * plan.O], typeof(T) == typeof(float) ? DType.Float32 : DType.Float64);
        using var alive = new KeepAlive(u);
        T* pu = Ptr<T>(u);
        WeightTiles(pu, weight, plan.C, plan.O, flipped);
        var p = plan;
        int chunks = plan.Chunks;
        // few chunks: one at a time, each GEMM on every core; else the chunks spread over the workers
        if (chunks < 2 * GemmThreads.MaxParts)
            for (int chunk = 0; chunk < chunks; chunk++) WinogradChunk<T, TV>(p, chunk, input, pu, bias, output, Environment.ProcessorCount);
        else CpuParallel.For(chunks, chunk => WinogradChunk<T, TV>(p, chunk, input, pu, bias, output, 1));
    }

    /// <summary>
    /// The images [chunk·Images, ...) of one Winograd convolution: each image's channels moved last (so the transforms
    /// work on vectors of channels) into a zero-bordered field and transformed in, 36 GEMMs, each image transformed out
    /// and moved back to NCHW with the bias added.
    /// </summary>
    static void WinogradChunk<T, TV>(in WinogradPlan p, int chunk, T* input, T* u, T* bias, T* output, int threads)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        int n0 = chunk * p.Images, n1 = Math.Min(p.N, n0 + p.Images), tiles = (n1 - n0) * p.PerImage, lanes = TV.Count;
        int cp = (p.C + lanes - 1) / lanes * lanes, op = (p.O + lanes - 1) / lanes * lanes;
        long plane = (long)p.H * p.W, outPlane = (long)p.OH * p.OW, vSize = (long)tiles * cp, mSize = (long)tiles * op;
        long stageSize = Math.Max((long)p.PatchRows * p.PatchCols * cp, outPlane * op);
        T* stage = ConvScratch.Get<T>(stageSize + 36 * (vSize + mSize)), v = stage + stageSize, m = v + 36 * vSize;
        for (int image = n0; image < n1; image++)
        {
            ToChannelsLast(input + (long)image * p.C * plane, p.C, p.H, p.W, stage, p.PatchRows, p.PatchCols, cp, p.PH, p.PW);
            InputTiles<T, TV>(p, stage, cp, v, (image - n0) * p.PerImage, vSize);
        }
        for (int xi = 0; xi < 36; xi++)
            Gemm.Run(new GemmProblem<T>(false, false, tiles, p.O, p.C, T.One, v + xi * vSize, cp, u + (long)xi * p.C * p.O, p.O,
                T.Zero, m + xi * mSize, op), threads);
        for (int image = n0; image < n1; image++)
        {
            OutputTiles<T, TV>(p, m, op, (image - n0) * p.PerImage, mSize, stage);
            FromChannelsLast(stage, output + (long)image * p.O * outPlane, p.O, outPlane, op, bias);
        }
    }

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

    /// <summary>U[ξ, c, o] = (G k(o, c) Gᵀ)[ξ] for every (o, c).</summary>
    static void WeightTiles<T>(T* u, T* weight, int c, int o, bool flipped) where T : unmanaged, INumber<T>
    {
        T* g = stackalloc T[18];
        T* t = stackalloc T[36];
        for (int ci = 0; ci < c; ci++)
            for (int co = 0; co < o; co++)   // innermost, so that each of the 36 rows of u is written in order
            {
                // g = k(co, ci) as 3×3; then G g (6×3, columns) and (G g) Gᵀ (6×6, rows)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                        g[i * 3 + j] = flipped ? weight[((long)ci * o + co) * 9 + (2 - i) * 3 + (2 - j)] : weight[((long)co * c + ci) * 9 + i * 3 + j];
                for (int j = 0; j < 3; j++) G(g + j, 3, t + j, 6);
                for (int r = 0; r < 6; r++) G(t + r * 6, 1, t + r * 6, 1);
                for (int xi = 0; xi < 36; xi++) u[((long)xi * c + ci) * o + co] = t[xi];
            }
    }

    /// <summary>
    /// V[ξ, tile, c] = (Bᵀ d B)[ξ] for each tile's 6×6 patch d of one image moved channels last into its zero-bordered
    /// field [PatchRows, PatchCols, cp] (<see cref="ToChannelsLast{T}"/>), a vector of channels at a time.
    /// </summary>
    static void InputTiles<T, TV>(in WinogradPlan p, T* field, int cp, T* v, int tile0, long vSize)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        var d = stackalloc TV[36];
        long rowStride = (long)p.PatchCols * cp;
        for (int ty = 0; ty < p.TilesY; ty++)
            for (int tx = 0; tx < p.TilesX; tx++)
            {
                T* patch = field + 4 * ty * rowStride + 4L * tx * cp;
                T* vt = v + (long)(tile0 + ty * p.TilesX + tx) * cp;
                for (int c = 0; c < cp; c += TV.Count)
                {
                    for (int i = 0; i < 6; i++)
                    {
                        T* row = patch + i * rowStride + c;
                        for (int j = 0; j < 6; j++) d[i * 6 + j] = TV.Load(row + j * cp);
                    }
                    for (int j = 0; j < 6; j++) Bt<T, TV>(d + j, 6);
                    for (int i = 0; i < 6; i++) Bt<T, TV>(d + i * 6, 1);
                    for (int xi = 0; xi < 36; xi++) d[xi].Store(vt + xi * vSize + c);
                }
            }
    }

    /// <summary>Each tile's 4×4 block Aᵀ M A of one image, into the channels-last [OH·OW, op] out (cut at the image's edge).</summary>
    static void OutputTiles<T, TV>(in WinogradPlan p, T* m, int op, int tile0, long mSize, T* image)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        var s = stackalloc TV[36];
        int oh = p.OH, ow = p.OW;
        for (int ty = 0; ty < p.TilesY; ty++)
            for (int tx = 0; tx < p.TilesX; tx++)
            {
                int y0 = 4 * ty, x0 = 4 * tx, rows = Math.Min(4, oh - y0), cols = Math.Min(4, ow - x0);
                T* mt = m + (long)(tile0 + ty * p.TilesX + tx) * op;
                for (int o = 0; o < op; o += TV.Count)
                {
                    for (int xi = 0; xi < 36; xi++) s[xi] = TV.Load(mt + xi * mSize + o);
                    for (int j = 0; j < 6; j++) At<T, TV>(s + j, 6);
                    for (int i = 0; i < 4; i++) At<T, TV>(s + i * 6, 1);
                    for (int i = 0; i < rows; i++)
                        for (int j = 0; j < cols; j++) s[i * 6 + j].Store(image + ((long)(y0 + i) * ow + x0 + j) * op + o);
                }
            }
    }

    /// <summary>Bᵀ d in place on the 6 vectors d[0], d[s], ..., d[5s].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Bt<T, TV>(TV* d, int s) where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        TV d0 = d[0], d1 = d[s], d2 = d[2 * s], d3 = d[3 * s], d4 = d[4 * s], d5 = d[5 * s];
        T four = T.CreateTruncating(4), five = T.CreateTruncating(5), two = T.CreateTruncating(2);
        TV a = d4 - d2 * four, b = d3 - d1 * four, c = d4 - d2, e = (d3 - d1) * two;
        d[0] = d0 * four - d2 * five + d4;
        d[s] = a + b;
        d[2 * s] = a - b;
        d[3 * s] = c + e;
        d[4 * s] = c - e;
        d[5 * s] = d1 * four - d3 * five + d5;
    }

    /// <summary>Aᵀ m: the 6 vectors m[0], m[s], ..., m[5s] to 4, written over m[0], ..., m[3s].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void At<T, TV>(TV* m, int s) where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        TV m0 = m[0], m1 = m[s], m2 = m[2 * s], m3 = m[3 * s], m4 = m[4 * s], m5 = m[5 * s];
        T two = T.CreateTruncating(2), four = T.CreateTruncating(4), eight = T.CreateTruncating(8);
        TV sum12 = m1 + m2, dif12 = m1 - m2, sum34 = m3 + m4, dif34 = m3 - m4;
        m[0] = m0 + sum12 + sum34;
        m[s] = dif12 + dif34 * two;
        m[2 * s] = sum12 + sum34 * four;
        m[3 * s] = dif12 + dif34 * eight + m5;
    }

    /// <summary>G g: the 3 values g[0], g[s], g[2s] to 6 at t[0], t[ts], ..., t[5ts] (t may be g when the strides allow).</summary>
    static void G<T>(T* g, int s, T* t, int ts) where T : unmanaged, INumber<T>
    {
        T g0 = g[0], g1 = g[s], g2 = g[2 * s];
        T quarter = T.CreateTruncating(0.25), sixth = T.CreateTruncating(1.0 / 6), twelfth = T.CreateTruncating(1.0 / 12), twentyFourth = T.CreateTruncating(1.0 / 24);
        T even = g0 + g2;
        t[0] = quarter * g0;
        t[ts] = -sixth * (even + g1);
        t[2 * ts] = -sixth * (even - g1);
        t[3 * ts] = twentyFourth * g0 + twelfth * g1 + sixth * g2;
        t[4 * ts] = twentyFourth * g0 - twelfth * g1 + sixth * g2;
        t[5 * ts] = g2;
    }
}
