using System.Numerics;
using System.Runtime.Intrinsics;

using Interp.Cpu;

namespace Interp.Backends;

/// <summary>
/// conv2d and its weight gradient straight from the image for a stride-1 undilated window with few taps
/// (C·KH·KW ≤ <see cref="DirectMaxTaps"/>; a CNN's first conv on grey images has 9): there im2col's GEMM has a K of 9,
/// so packing, not multiplying, is its work. Each image is copied into a zero-bordered plane per channel whose rows
/// are Wp = W + 2·PW wide; on the plane flattened, output position q = oh·Wp + ow reads tap (c, i, j) at
/// q + c·plane + i·Wp + j, a 1-D convolution that runs along whole vectors of q. The Wp − OW positions of each row
/// past the output's edge are computed and dropped (forward) or meet a zero gradient (weight gradient).
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Most taps (C·KH·KW) a conv has to take the direct path (tests raise and lower it).</summary>
    internal static int DirectMaxTaps { get; set; } = 16;

    /// <summary>Stride 1, no dilation, few taps, and not 1×1 (there the image is its own columns: no im2col to save).</summary>
    static bool UsesDirectConv(Window2d w) =>
        w is { SH: 1, SW: 1, DH: 1, DW: 1 } && w.KH * w.KW > 1 && w.C * w.KH * w.KW <= DirectMaxTaps && w.OH > 0 && w.OW > 0;

    /// <summary>512-bit vectors where AVX-512 runs them, unless <see cref="ConvLaneBits"/> forces a width.</summary>
    static bool DirectWideLanes => ConvLaneBits != 0 ? ConvLaneBits == 512 : Vector512.IsHardwareAccelerated;

    /// <summary>The flattened zero-bordered planes of one direct conv and where its taps read them.</summary>
    readonly struct DirectPlan
    {
        public readonly Window2d W;
        public readonly int N, O, Taps, Wp, Plane, Positions, Lanes;
        public readonly int[] Offsets;

        public DirectPlan(Window2d w, int n, int o, int lanes)
        {
            (W, N, O, Lanes) = (w, n, o, lanes);
            Taps = w.C * w.KH * w.KW;
            Wp = w.W + 2 * w.PW;
            // OH rows of Wp positions, rounded up to whole vectors; the plane holds every tap's read of the last vector
            Positions = (w.OH * Wp + lanes - 1) / lanes * lanes;
            Plane = Positions + (w.KH - 1) * Wp + w.KW - 1;
            Offsets = new int[Taps];
            for (int c = 0, t = 0; c < w.C; c++)
                for (int i = 0; i < w.KH; i++)
                    for (int j = 0; j < w.KW; j++) Offsets[t++] = c * Plane + i * Wp + j;
        }

        /// <summary>image [C, H, W] into C zero-bordered planes of Plane elements at dst.</summary>
        public void Border<T>(T* image, T* dst) where T : unmanaged
        {
            new Span<T>(dst, W.C * Plane).Clear();
            for (int c = 0; c < W.C; c++)
                for (int y = 0; y < W.H; y++)
                    new ReadOnlySpan<T>(image + ((long)c * W.H + y) * W.W, W.W).CopyTo(new Span<T>(dst + (long)c * Plane + (long)(y + W.PH) * Wp + W.PW, W.W));
        }
    }

    static void DirectConv<T>(Window2d w, int n, int o, T* x, T* weight, T* bias, T* y) where T : unmanaged, INumber<T>
    {
        if (DirectWideLanes) DirectConv<T, Lanes512<T>>(new DirectPlan(w, n, o, Lanes512<T>.Count), x, weight, bias, y);
        else DirectConv<T, Lanes256<T>>(new DirectPlan(w, n, o, Lanes256<T>.Count), x, weight, bias, y);
    }

    // y[n, o, q] = bias[o] + Σ_t weight[o, t] · plane[q + offset t], each row's first OW positions kept
    static void DirectConv<T, TV>(DirectPlan p, T* x, T* weight, T* bias, T* y) where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        var w = p.W;
        CpuParallel.For(p.N, image =>
        {
            T* planes = ConvScratch.Get<T>((long)w.C * p.Plane + 4L * p.Positions);
            p.Border(x + (long)image * w.C * w.H * w.W, planes);
            fixed (int* offsets = p.Offsets)
                for (int o0 = 0; o0 < p.O; o0 += 4)
                    DirectOutputs<T, TV>(p, planes, offsets, weight, bias, o0, Math.Min(4, p.O - o0), planes + (long)w.C * p.Plane, y + ((long)image * p.O + o0) * w.OH * w.OW);
        });
    }

    /// <summary>Outputs o0 .. o0 + count (at most 4) of one image: each vector of positions read once per tap for all of them.</summary>
    static void DirectOutputs<T, TV>(in DirectPlan p, T* planes, int* offsets, T* weight, T* bias, int o0, int count, T* rows, T* y)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        int taps = p.Taps, positions = p.Positions;
        T* k0 = weight + (long)o0 * taps, k1 = k0 + (count > 1 ? taps : 0), k2 = k0 + (count > 2 ? 2 * taps : 0), k3 = k0 + (count > 3 ? 3 * taps : 0);
        TV b0 = TV.Create(bias == null ? T.Zero : bias[o0]), b1 = TV.Create(bias == null || count < 2 ? T.Zero : bias[o0 + 1]);
        TV b2 = TV.Create(bias == null || count < 3 ? T.Zero : bias[o0 + 2]), b3 = TV.Create(bias == null || count < 4 ? T.Zero : bias[o0 + 3]);
        for (int q = 0; q < positions; q += TV.Count)
        {
            TV a0 = b0, a1 = b1, a2 = b2, a3 = b3;
            for (int t = 0; t < taps; t++)
            {
                TV v = TV.Load(planes + offsets[t] + q);
                a0 += v * k0[t];
                a1 += v * k1[t];
                a2 += v * k2[t];
                a3 += v * k3[t];
            }
            a0.Store(rows + q);
            a1.Store(rows + positions + q);
            a2.Store(rows + 2 * positions + q);
            a3.Store(rows + 3 * positions + q);
        }
        int ow = p.W.OW, plane = p.W.OH * ow;
        for (int o = 0; o < count; o++)
            for (int r = 0; r < p.W.OH; r++)
                CopyRow<T, TV>(rows + (long)o * positions + r * p.Wp, y + (long)o * plane + r * ow, ow);
    }

    static void DirectWeightGrad<T>(Window2d w, int n, int o, T* x, T* g, T* dw) where T : unmanaged, INumber<T>
    {
        if (DirectWideLanes) DirectWeightGrad<T, Lanes512<T>>(new DirectPlan(w, n, o, Lanes512<T>.Count), x, g, dw);
        else DirectWeightGrad<T, Lanes256<T>>(new DirectPlan(w, n, o, Lanes256<T>.Count), x, g, dw);
    }

    // dW[o, t] = Σ_n Σ_q g[n, o, q] · plane[q + offset t], with g zero at the dropped positions: each part of the batch
    // keeps a vector of sums per (o, t), and the parts' vectors are added and their lanes summed at the end
    static void DirectWeightGrad<T, TV>(DirectPlan p, T* x, T* g, T* dw) where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        var w = p.W;
        int outPlane = w.OH * w.OW, parts = Math.Min(p.N, 2 * GemmThreads.MaxParts), sums = p.O * p.Taps * TV.Count;
        var partials = Tensor.Empty([parts, sums], typeof(T) == typeof(float) ? DType.Float32 : DType.Float64, zeroed: true);
        using var alive = new KeepAlive(partials);
        T* pp = Ptr<T>(partials);
        CpuParallel.For(parts, part =>
        {
            T* planes = ConvScratch.Get<T>((long)w.C * p.Plane + p.Positions);
            T* grad = planes + (long)w.C * p.Plane;
            new Span<T>(grad, p.Positions).Clear();   // the dropped positions stay zero: each row's copy fills the rest
            fixed (int* offsets = p.Offsets)
                for (int image = (int)((long)p.N * part / parts); image < (int)((long)p.N * (part + 1) / parts); image++)
                {
                    p.Border(x + (long)image * w.C * w.H * w.W, planes);
                    for (int oc = 0; oc < p.O; oc++)
                    {
                        T* go = g + ((long)image * p.O + oc) * outPlane;
                        for (int r = 0; r < w.OH; r++)
                            CopyRow<T, TV>(go + r * w.OW, grad + r * p.Wp, w.OW);
                        TV* acc = (TV*)(pp + (long)part * sums) + oc * p.Taps;
                        for (int t0 = 0; t0 < p.Taps; t0 += 4)
                            DirectTapSums(p, planes, offsets, t0, Math.Min(4, p.Taps - t0), grad, acc);
                    }
                }
        });
        for (int part = 1; part < parts; part++) AddRun(pp, pp + (long)part * sums, sums);
        for (int i = 0; i < p.O * p.Taps; i++)
        {
            T total = T.Zero;
            for (int lane = 0; lane < TV.Count; lane++) total += pp[(long)i * TV.Count + lane];
            dw[i] = total;
        }
    }

    /// <summary>acc[t] += Σ_q grad[q] · plane[q + offset t] in lanes for taps t0 .. t0 + count (at most 4): each gradient vector read once for all of them.</summary>
    static void DirectTapSums<T, TV>(in DirectPlan p, T* planes, int* offsets, int t0, int count, T* grad, TV* acc)
        where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        T* x0 = planes + offsets[t0], x1 = planes + offsets[t0 + (count > 1 ? 1 : 0)];
        T* x2 = planes + offsets[t0 + (count > 2 ? 2 : 0)], x3 = planes + offsets[t0 + (count > 3 ? 3 : 0)];
        TV s0 = TV.Zero, s1 = TV.Zero, s2 = TV.Zero, s3 = TV.Zero;
        for (int q = 0, positions = p.Positions; q < positions; q += TV.Count)
        {
            TV gv = TV.Load(grad + q);
            s0 += gv * TV.Load(x0 + q);
            s1 += gv * TV.Load(x1 + q);
            s2 += gv * TV.Load(x2 + q);
            s3 += gv * TV.Load(x3 + q);
        }
        acc[t0] += s0;
        if (count > 1) acc[t0 + 1] += s1;
        if (count > 2) acc[t0 + 2] += s2;
        if (count > 3) acc[t0 + 3] += s3;
    }

    /// <summary>dst[0 .. n) = src[0 .. n) by whole vectors, the last one ending at n (over the one before); a row of a small image is too short for memmove's call to pay.</summary>
    static void CopyRow<T, TV>(T* src, T* dst, int n) where T : unmanaged, INumber<T> where TV : unmanaged, ILanes<TV, T>
    {
        if (n < TV.Count)
        {
            for (int i = 0; i < n; i++) dst[i] = src[i];
            return;
        }
        for (int i = 0; ; i += TV.Count)
        {
            i = Math.Min(i, n - TV.Count);
            TV.Load(src + i).Store(dst + i);
            if (i == n - TV.Count) return;
        }
    }
}
