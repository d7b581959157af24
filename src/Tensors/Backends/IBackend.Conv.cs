namespace Interp.Backends;

/// <summary>
/// The geometry of a 2-d sliding window over NCHW input: kernel (KH, KW), stride, zero padding and dilation, and the
/// output size OH = ⌊(H + 2·PH − DH·(KH − 1) − 1) / SH⌋ + 1 (likewise OW). Shared by conv2d and the pools.
/// </summary>
public readonly record struct Window2d(int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
{
    public int OH => (H + 2 * PH - DH * (KH - 1) - 1) / SH + 1;
    public int OW => (W + 2 * PW - DW * (KW - 1) - 1) / SW + 1;
}

public partial interface IBackend
{
    /// <summary>x [N, C, H, W] → cols [N, C·KH·KW, OH·OW]: cols[n, (c, i, j), (oh, ow)] = x[n, c, oh·SH − PH + i·DH, ow·SW − PW + j·DW] (0 outside).</summary>
    Tensor Im2Col(Tensor x, Window2d w);

    /// <summary>The adjoint of Im2Col: cols [N, C·KH·KW, OH·OW] → [N, C, H, W], overlapping patches summed.</summary>
    Tensor Col2Im(Tensor cols, Window2d w);

    /// <summary>
    /// conv2d with one group: y [N, O, OH, OW] = weight [O, C, KH, KW] · Im2Col(x) (+ bias [O] at every position).
    /// This default stores every image's columns at once; a backend may make them an image at a time, so they stay in
    /// cache between their making and the GEMM that reads them.
    /// </summary>
    Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Window2d w)
    {
        ConvShapes.Check("conv2d", x, weight, null, w);
        int n = x.shape[0], o = weight.shape[0];
        var y = MatMul(Matrix(this, weight), Im2Col(x, w));   // [O, K] · [N, K, L] → [N, O, L]
        if (bias is not null) y = Binary(BinaryOp.Add, y, new Tensor(bias.Storage, [o, 1], [bias.strides[0], 0], bias.Offset));
        return new Tensor(y.Storage, [n, o, w.OH, w.OW], null, y.Offset);
    }

    /// <summary>conv2d's gradient for its input: g [N, O, OH, OW] → Col2Im(weightᵀ · g) [N, C, H, W].</summary>
    Tensor Conv2dInputGrad(Tensor g, Tensor weight, Window2d w)
    {
        ConvShapes.Check("conv2d_input_grad", null, weight, g, w);
        var wm = Matrix(this, weight);
        var dcols = MatMul(new Tensor(wm.Storage, [wm.shape[1], wm.shape[0]], [1, wm.shape[1]], wm.Offset), Flat(this, g));
        return Col2Im(dcols, w);
    }

    /// <summary>conv2d's gradient for its weight: Σₙ gₙ · Im2Col(x)ₙᵀ [O, C, KH, KW] for g [N, O, OH, OW].</summary>
    Tensor Conv2dWeightGrad(Tensor x, Tensor g, Window2d w)
    {
        ConvShapes.Check("conv2d_weight_grad", x, null, g, w);
        int n = x.shape[0], o = g.shape[1], k = w.C * w.KH * w.KW, l = w.OH * w.OW;
        var cols = Im2Col(x, w);
        var perImage = MatMul(Flat(this, g), new Tensor(cols.Storage, [n, l, k], [k * l, 1, l], cols.Offset));
        var dw = Reduce(ReduceOp.Sum, perImage, [0], keepDim: false);
        return new Tensor(dw.Storage, [o, w.C, w.KH, w.KW], null, dw.Offset);
    }

    /// <summary>
    /// conv2d's input and weight gradients together, (Conv2dInputGrad(g, weight), Conv2dWeightGrad(x, g)): a backend
    /// may share work between them (the CPU's Winograd path moves g's channels last once for both).
    /// </summary>
    (Tensor InputGrad, Tensor WeightGrad) Conv2dGrads(Tensor x, Tensor weight, Tensor g, Window2d w)
    {
        ConvShapes.Check("conv2d_grads", x, weight, g, w);
        return (Conv2dInputGrad(g, weight, w), Conv2dWeightGrad(x, g, w));
    }

    /// <summary>A contiguous copy of t on this backend (t itself when it already is).</summary>
    private static Tensor Dense(IBackend b, Tensor t)
    {
        if (t.IsContiguous) return t;
        var d = new Tensor(b.Allocate(t.DType, t.Numel, zeroed: false), t.ShapeArray);
        b.Copy(t, d);
        return d;
    }

    /// <summary>weight [O, C, KH, KW] as the [O, C·KH·KW] matrix.</summary>
    private static Tensor Matrix(IBackend b, Tensor weight)
    {
        var d = Dense(b, weight);
        return new Tensor(d.Storage, [d.shape[0], d.Numel / Math.Max(1, d.shape[0])], null, d.Offset);
    }

    /// <summary>g [N, O, OH, OW] as [N, O, OH·OW].</summary>
    private static Tensor Flat(IBackend b, Tensor g)
    {
        var d = Dense(b, g);
        return new Tensor(d.Storage, [d.shape[0], d.shape[1], d.shape[2] * d.shape[3]], null, d.Offset);
    }
}

/// <summary>The shape checks of the conv2d kernels, so a wrong call names the kernel and the shapes it got.</summary>
public static class ConvShapes
{
    /// <summary>x [N, C, H, W], weight [O, C, KH, KW] and g [N, O, OH, OW] must agree with the window (a null one is not checked).</summary>
    public static void Check(string op, Tensor? x, Tensor? weight, Tensor? g, Window2d w)
    {
        string Got() => string.Join(", ", new[] { ("x", x), ("weight", weight), ("grad", g) }
            .Where(p => p.Item2 is not null).Select(p => $"{p.Item1} {ShapeUtil.Format(p.Item2!.shape)}"));
        int[]? xs = x?.ShapeArray, ws = weight?.ShapeArray, gs = g?.ShapeArray;
        bool ok = (xs is null || (xs.Length == 4 && xs[1] == w.C && xs[2] == w.H && xs[3] == w.W))
               && (ws is null || (ws.Length == 4 && ws[1] == w.C && ws[2] == w.KH && ws[3] == w.KW))
               && (gs is null || (gs.Length == 4 && gs[2] == w.OH && gs[3] == w.OW))
               && (xs is null || gs is null || xs[0] == gs[0])
               && (ws is null || gs is null || ws[0] == gs[1]);
        if (!ok)
            throw new ArgumentException($"{op}: shapes do not fit a {w.KH}x{w.KW} window over [C={w.C}, H={w.H}, W={w.W}] with output {w.OH}x{w.OW}: {Got()}");
        foreach (var t in new[] { x, weight, g })
            if (t is not null && !t.DType.IsFloatingPoint())
                throw new ArgumentException($"{op}: needs float32 or float64, got {t.DType.Name()} {ShapeUtil.Format(t.shape)}");
    }
}
