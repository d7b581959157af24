using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

using Interp.Cpu;

namespace Interp.Backends;

/// <summary>
/// The weight gradient of a 3×3, stride-1 convolution in Winograd's F(4×4, 3×3) domain: the exact gradient of the
/// forward's Y = Aᵀ [Σ_c U ⊙ V] A with U = G k Gᵀ. Each tile's 4×4 block of output gradient ḡ becomes
/// M̄ = A ḡ Aᵀ (6×6), the 36 positions ξ are again 36 independent GEMMs, now summed over tiles,
/// dU[ξ] [C, O] = Σ_tiles V[ξ]ᵀ · M̄[ξ], and dk = Gᵀ dU G gives each 3×3 kernel back. That is 36 multiply-adds a
/// (tile, C, O) where im2col's Σ cols·gᵀ takes 144: the side-by-side CNN's second conv (32 → 64 channels on 26×26)
/// weight gradient does a quarter of the multiply-adds this way.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// dW[o, c] = Σₙ Σ_tiles of the gradient of out[n, o] = Σ_c in[n, c] ⋆ dW[o, c] (the plan of that forward conv);
    /// with <paramref name="inputGrad"/>, the input gradient too (<see cref="WinogradInputGrad{T}"/>).
    /// </summary>
    static void WinogradWeightGrad<T>(in WinogradPlan plan, T* input, T* grad, T* dw, WinogradInputGrad<T> inputGrad = default) where T : unmanaged, INumber<T>
    {
        switch (Gemm.ActivePath)
        {
            case GemmPath.Avx512: WinogradWeightGrad<T, Avx512Kernel<T>>(plan, input, grad, dw, inputGrad); break;
            case GemmPath.Avx2: WinogradWeightGrad<T, Avx2Kernel<T>>(plan, input, grad, dw, inputGrad); break;
            default: WinogradWeightGrad<T, ScalarKernel<T>>(plan, input, grad, dw, inputGrad); break;
        }
    }

    static void WinogradWeightGrad<T, TK>(in WinogradPlan plan, T* input, T* grad, T* dw, WinogradInputGrad<T> inputGrad)
        where T : unmanaged, INumber<T> where TK : struct, IMicroKernel<T>
    {
        if (WideLanes<T>(plan.C, plan.O)) WinogradWeightGrad<T, Lanes512<T>, TK>(plan, input, grad, dw, inputGrad);
        else WinogradWeightGrad<T, Lanes256<T>, TK>(plan, input, grad, dw, inputGrad);
    }

    /// <summary>
    /// The input gradient computed beside a weight gradient: dx = the Winograd conv of the output gradient bordered by
    /// 2 − p (<see cref="Plan"/>) with the forward's <see cref="Weight"/> flipped, whose tiles are <see cref="U"/>
    /// ([36, O, Ldo], made by the weight gradient), into <see cref="Dx"/>. Each image's output gradient then goes
    /// channels last once, into the field this conv reads, and the weight gradient's M̄ reads its tiles from there
    /// while they are in cache (each alone moves it: 2 × 2.4 M elements a step for the side-by-side CNN's conv2).
    /// </summary>
    readonly struct WinogradInputGrad<T>(WinogradPlan plan, T* weight, T* dx, T* u = null, int ldo = 0) where T : unmanaged
    {
        public readonly WinogradPlan Plan = plan;
        public readonly T* Weight = weight, Dx = dx, U = u;
        public readonly int Ldo = ldo;
        public bool Wanted => Dx != null;
        public WinogradInputGrad<T> WithTiles(T* tiles, int ld) => new(Plan, Weight, Dx, tiles, ld);

        /// <summary>
        /// Whether the weight gradient's whole tiles of g [4·TilesY, 4·TilesX] (zero past the image) lie inside this
        /// conv's field, where g sits at (Plan.PH, Plan.PW) with zeros around it.
        /// </summary>
        public static bool SharesField(in WinogradPlan forward, in WinogradPlan back) =>
            back.PH + 4 * forward.TilesY <= back.PatchRows && back.PW + 4 * forward.TilesX <= back.PatchCols;
    }

    static void WinogradWeightGrad<T, TV, TK>(in WinogradPlan plan, T* input, T* grad, T* dw, WinogradInputGrad<T> inputGrad)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T> where TK : struct, IMicroKernel<T>
    {
        int chunks = plan.Chunks, parts = chunks >= 2 * GemmThreads.MaxParts ? 2 * GemmThreads.MaxParts : 1;
        Tensor? tiles = null;
        if (inputGrad.Wanted)   // the flipped kernel's U, as the input gradient's own conv makes it
        {
            int ldo = RoundUp(plan.C, Math.Max(TV.Count, TK.NR));
            tiles = Tensor.Empty([36 * plan.O * ldo], typeof(T) == typeof(float) ? DType.Float32 : DType.Float64, zeroed: ldo > plan.C);
            WeightTiles<T, TV>(Ptr<T>(tiles), inputGrad.Weight, plan.O, plan.C, ldo, flipped: true);
            inputGrad = inputGrad.WithTiles(Ptr<T>(tiles), ldo);
        }
        using var tilesAlive = new KeepAlive(tiles);
        // the AVX-512 micro-kernel straight on V and M̄ (no GEMM call, no pack of Vᵀ), into dU padded to whole 12 × 2V tiles
        bool direct = Gemm.ActivePath == GemmPath.Avx512;
        var du = direct ? new WeightGradTiles(RoundUp(plan.C, Avx512RowsAKernel<T>.MR), RoundUp(plan.O, Avx512RowsAKernel<T>.NR)) : new WeightGradTiles(plan.C, plan.O);
        long size = 36L * du.Rows * du.Cols;
        var partials = Tensor.Empty([parts, (int)size], typeof(T) == typeof(float) ? DType.Float32 : DType.Float64);
        using var alive = new KeepAlive(partials);
        T* pp = Ptr<T>(partials);
        var p = plan;
        int threads = parts > 1 ? 1 : Environment.ProcessorCount;
        // each part of the batch sums its chunks into its own dU, then the parts are added
        void Part(int part)
        {
            T* acc = pp + part * size;
            int c0 = (int)((long)chunks * part / parts), c1 = (int)((long)chunks * (part + 1) / parts);
            for (int chunk = c0; chunk < c1; chunk++) WeightGradChunk<T, TV, TK>(p, chunk, input, grad, acc, du, direct, chunk == c0 ? T.Zero : T.One, threads, inputGrad);
            if (c0 == c1) new Span<T>(acc, (int)size).Clear();
        }
        if (parts == 1) Part(0);
        else CpuParallel.For(parts, Part);
        for (int part = 1; part < parts; part++) AddRun(pp, pp + part * size, (int)size);
        KernelTiles(pp, du, dw, plan.C, plan.O);
    }

    /// <summary>The shape of each ξ's dU [Rows, Cols] (at least C × O: the direct kernel's whole tiles).</summary>
    readonly record struct WeightGradTiles(int Rows, int Cols);

    /// <summary>
    /// The images [chunk·Images, ...) of one weight gradient: each image's input and output gradient moved channels
    /// last and transformed (V = Bᵀ d B, M̄ = A ḡ Aᵀ), then dU[ξ] = beta·dU[ξ] + V[ξ]ᵀ · M̄[ξ] for the 36 ξ. With
    /// <paramref name="inputGrad"/>, each image's input gradient from the same channels-last output gradient.
    /// </summary>
    static void WeightGradChunk<T, TV, TK>(in WinogradPlan p, int chunk, T* input, T* grad, T* acc, WeightGradTiles du, bool direct, T beta, int threads, WinogradInputGrad<T> inputGrad)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T> where TK : struct, IMicroKernel<T>
    {
        int n0 = chunk * p.Images, n1 = Math.Min(p.N, n0 + p.Images), tiles = (n1 - n0) * p.PerImage, lanes = TV.Count;
        int cp = (p.C + lanes - 1) / lanes * lanes, op = (p.O + lanes - 1) / lanes * lanes;
        long plane = (long)p.H * p.W, outPlane = (long)p.OH * p.OW, vSize = (long)tiles * cp, mSize = (long)tiles * op;
        var b = inputGrad.Plan;
        long fieldSize = inputGrad.Wanted ? (long)b.PatchRows * b.PatchCols * op : 16L * p.PerImage * op;
        long resultSize = inputGrad.Wanted ? plane * inputGrad.Ldo : 0;
        long stageSize = Math.Max((long)p.PatchRows * p.PatchCols * cp, fieldSize + resultSize);
        // the direct kernel's last tile may read past M̄'s last row (columns past O, thrown away): room for it
        T* stage = ConvScratch.Get<T>(stageSize + 36 * (vSize + mSize) + du.Cols), v = stage + stageSize, m = v + 36 * vSize;
        for (int image = n0; image < n1; image++)
        {
            ToChannelsLast(input + (long)image * p.C * plane, p.C, p.H, p.W, stage, p.PatchRows, p.PatchCols, cp, p.PH, p.PW);
            InputTiles<T, TV>(p, stage, cp, 0, p.PerImage, v + (long)(image - n0) * p.PerImage * cp, vSize);
            T* g = grad + (long)image * p.O * outPlane;
            if (!inputGrad.Wanted)
            {
                ToChannelsLast(g, p.O, p.OH, p.OW, stage, 4 * p.TilesY, 4 * p.TilesX, op, 0, 0);
                GradTiles<T, TV>(p, stage, 4L * p.TilesX * op, op, m, (image - n0) * p.PerImage, mSize);
                continue;
            }
            // g into the input gradient's zero-bordered field, at (b.PH, b.PW): that conv's tiles, then M̄'s from there
            T* result = stage + fieldSize;
            ToChannelsLast(g, p.O, p.OH, p.OW, stage, b.PatchRows, b.PatchCols, op, b.PH, b.PW);
            int groups = (b.PerImage + TK.MR - 1) / TK.MR;
            if (threads > 1)   // one part: the image's groups of tiles over the workers
            {
                var (bq, ig) = (b, inputGrad);
                T* field = stage;
                CpuParallel.For(groups, group => WinogradGroup<T, TV, TK>(bq, group, field, op, ig.U, ig.Ldo, result));
            }
            else for (int group = 0; group < groups; group++) WinogradGroup<T, TV, TK>(b, group, stage, op, inputGrad.U, inputGrad.Ldo, result);
            FromChannelsLast(result, inputGrad.Dx + (long)image * p.C * plane, p.C, plane, inputGrad.Ldo, null);
            GradTiles<T, TV>(p, stage + ((long)b.PH * b.PatchCols + b.PW) * op, (long)b.PatchCols * op, op, m, (image - n0) * p.PerImage, mSize);
        }
        if (direct)   // rows of dU past C read the next tile's channels and columns past O the next row's: both thrown away
        {
            int mr = Avx512RowsAKernel<T>.MR, nr = Avx512RowsAKernel<T>.NR;
            bool accumulate = beta != T.Zero;
            void Position(int xi)
            {
                for (int i = 0; i < du.Rows; i += mr)
                    for (int j = 0; j < du.Cols; j += nr)
                        Avx512RowsAKernel<T>.Run(tiles, v + xi * vSize + i, 1, cp, m + xi * mSize + j, op,
                            acc + ((long)xi * du.Rows + i) * du.Cols + j, du.Cols, accumulate);
            }
            if (threads > 1) CpuParallel.For(36, Position);   // one part: its positions over the workers
            else for (int xi = 0; xi < 36; xi++) Position(xi);
            return;
        }
        for (int xi = 0; xi < 36; xi++)
            Gemm.Run(new GemmProblem<T>(true, false, p.C, p.O, tiles, T.One, v + xi * vSize, cp, m + xi * mSize, op,
                beta, acc + (long)xi * p.C * p.O, p.O), threads);
    }

    /// <summary>
    /// M̄[ξ, tile, o] = (A ḡ Aᵀ)[ξ] for each tile's 4×4 block ḡ of one output gradient moved channels last into a
    /// zero field of whole tiles [4·TilesY, 4·TilesX, op] (rows rowStride apart; zero past the image's edge, where the
    /// forward's outputs were cut off), a vector of channels at a time.
    /// </summary>
    static void GradTiles<T, TV>(in WinogradPlan p, T* field, long rowStride, int op, T* m, int tile0, long mSize)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        var t = stackalloc TV[24];
        for (int ty = 0; ty < p.TilesY; ty++)
            for (int tx = 0; tx < p.TilesX; tx++)
            {
                T* block = field + 4 * ty * rowStride + 4L * tx * op;
                T* mt = m + (long)(tile0 + ty * p.TilesX + tx) * op;
                for (int o = 0; o < op; o += TV.Count)
                {
                    // t = ḡ Aᵀ a row at a time (4 → 6), then A t a column at a time, straight into M̄
                    for (int i = 0; i < 4; i++)
                    {
                        T* row = block + i * rowStride + o;
                        A<T, TV>(TV.Load(row), TV.Load(row + op), TV.Load(row + 2 * op), TV.Load(row + 3 * op),
                            out t[i * 6], out t[i * 6 + 1], out t[i * 6 + 2], out t[i * 6 + 3], out t[i * 6 + 4], out t[i * 6 + 5]);
                    }
                    for (int j = 0; j < 6; j++)
                    {
                        A<T, TV>(t[j], t[6 + j], t[12 + j], t[18 + j], out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
                        T* at = mt + j * mSize + o;
                        r0.Store(at);
                        r1.Store(at + 6 * mSize);
                        r2.Store(at + 12 * mSize);
                        r3.Store(at + 18 * mSize);
                        r4.Store(at + 24 * mSize);
                        r5.Store(at + 30 * mSize);
                    }
                }
            }
    }

    /// <summary>(r0, ..., r5) = A (y0, ..., y3) (the adjoint of <see cref="At"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void A<T, TV>(TV y0, TV y1, TV y2, TV y3, out TV r0, out TV r1, out TV r2, out TV r3, out TV r4, out TV r5)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        T two = T.CreateTruncating(2), four = T.CreateTruncating(4), eight = T.CreateTruncating(8);
        TV even1 = y0 + y2, odd1 = y1 + y3, even2 = y0 + y2 * four, odd2 = y1 * two + y3 * eight;
        r0 = y0;
        r1 = even1 + odd1;
        r2 = even1 - odd1;
        r3 = even2 + odd2;
        r4 = even2 - odd2;
        r5 = y3;
    }

    /// <summary>dW[o, c] = Gᵀ dU[·, c, o] G, each 6×6 dU (positions ξ of the [36, Rows, Cols] sum) to its 3×3 kernel gradient.</summary>
    static void KernelTiles<T>(T* du, WeightGradTiles shape, T* dw, int c, int o) where T : unmanaged, INumber<T>
    {
        T* t = stackalloc T[36];
        T* r = stackalloc T[18];
        for (int ci = 0; ci < c; ci++)
            for (int co = 0; co < o; co++)   // innermost, so that each of the 36 rows of du is read in order
            {
                for (int xi = 0; xi < 36; xi++) t[xi] = du[((long)xi * shape.Rows + ci) * shape.Cols + co];
                // Gᵀ t (3×6, by columns), then (Gᵀ t) G (3×3, by rows)
                for (int j = 0; j < 6; j++) Gt(t + j, 6, r + j, 6);
                T* k = dw + ((long)co * c + ci) * 9;
                for (int i = 0; i < 3; i++) Gt(r + i * 6, 1, k + i * 3, 1);
            }
    }

    /// <summary>Gᵀ t: the 6 values t[0], t[s], ..., t[5s] to 3 at r[0], r[rs], r[2rs] (the adjoint of <see cref="G"/>).</summary>
    static void Gt<T>(T* t, int s, T* r, int rs) where T : unmanaged, INumber<T>
    {
        T t0 = t[0], t1 = t[s], t2 = t[2 * s], t3 = t[3 * s], t4 = t[4 * s], t5 = t[5 * s];
        T quarter = T.CreateTruncating(0.25), sixth = T.CreateTruncating(1.0 / 6), twelfth = T.CreateTruncating(1.0 / 12), twentyFourth = T.CreateTruncating(1.0 / 24);
        T sum12 = t1 + t2, sum34 = t3 + t4;
        r[0] = quarter * t0 - sixth * sum12 + twentyFourth * sum34;
        r[rs] = sixth * (t2 - t1) + twelfth * (t3 - t4);
        r[2 * rs] = sixth * (sum34 - sum12) + t5;
    }
}
