using Interp.Autograd;
using Interp.Backends;

namespace Interp;

/// <summary>torch.nn.functional.max_pool2d and avg_pool2d over NCHW input (floor mode).</summary>
public static class Pooling2d
{
    extension(Tensor x)
    {
        /// <summary>Max over each window, padding counting as −∞; the gradient goes to each window's argmax (kept from forward).</summary>
        public Tensor MaxPool2d(int kernel, int? stride = null, int padding = 0, int dilation = 1) =>
            x.MaxPool2d((kernel, kernel), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation));

        public Tensor MaxPool2d((int h, int w) kernel, (int h, int w)? stride, (int h, int w) padding, (int h, int w) dilation)
        {
            const string op = "max_pool2d";
            var w = PoolWindow(op, x, kernel, stride, padding, dilation);
            var (y, argmax) = x.Backend.MaxPool2d(x, w);
            return Graph.Record(op, y, [x], g => [MaxPoolBackward(g, argmax, w)]);
        }

        /// <summary>Mean over each window; with countIncludePad the zero padding counts in the divisor (PyTorch's default).</summary>
        public Tensor AvgPool2d(int kernel, int? stride = null, int padding = 0, bool countIncludePad = true) =>
            x.AvgPool2d((kernel, kernel), stride is int s ? (s, s) : null, (padding, padding), countIncludePad);

        public Tensor AvgPool2d((int h, int w) kernel, (int h, int w)? stride, (int h, int w) padding, bool countIncludePad = true)
        {
            const string op = "avg_pool2d";
            var w = PoolWindow(op, x, kernel, stride, padding, (1, 1));
            return AvgPool(x, w, countIncludePad);
        }
    }

    // Each backward is recorded too (its own backward being the adjoint), so gradients of gradients work.
    static Tensor AvgPool(Tensor x, Window2d w, bool countIncludePad) =>
        Graph.Record("avg_pool2d", x.Backend.AvgPool2d(x, w, countIncludePad), [x], g => [AvgPoolBackward(g, w, countIncludePad)]);

    static Tensor AvgPoolBackward(Tensor g, Window2d w, bool countIncludePad) =>
        Graph.Record("avg_pool2d_backward", g.Backend.AvgPool2dBackward(g, w, countIncludePad), [g], gg => [AvgPool(gg, w, countIncludePad)]);

    /// <summary>g routed to the argmaxes; its adjoint reads each window's argmax back out of gg (a gather).</summary>
    static Tensor MaxPoolBackward(Tensor g, Tensor argmax, Window2d w)
    {
        var gShape = g.ShapeArray;
        return Graph.Record("max_pool2d_backward", g.Backend.MaxPool2dBackward(g, argmax, w), [g], gg =>
            [gg.Flatten(2).Gather(2, argmax.Reshape(gShape[0], gShape[1], -1)).Reshape(gShape)]);
    }

    static Window2d PoolWindow(string op, Tensor x, (int h, int w) kernel, (int h, int w)? stride, (int h, int w) padding, (int h, int w) dilation)
    {
        Check.Float(op, x);
        Check.Rank(op, x, 4, "input [N, C, H, W]");
        if (padding.h > kernel.h / 2 || padding.w > kernel.w / 2)
            throw new ArgumentException($"{op}: padding ({padding.h}, {padding.w}) must be at most half the kernel ({kernel.h}, {kernel.w})");
        return Window(op, x, kernel.h, kernel.w, stride ?? kernel, padding, dilation);
    }

    /// <summary>The window geometry, checking that every parameter is positive and the window fits the padded input.</summary>
    internal static Window2d Window(string op, Tensor x, int kh, int kw, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation)
    {
        if (kh <= 0 || kw <= 0 || stride.h <= 0 || stride.w <= 0 || dilation.h <= 0 || dilation.w <= 0 || padding.h < 0 || padding.w < 0)
            throw new ArgumentException($"{op}: kernel ({kh}, {kw}), stride ({stride.h}, {stride.w}) and dilation ({dilation.h}, {dilation.w}) must be positive and padding ({padding.h}, {padding.w}) non-negative");
        var w = new Window2d(x.shape[1], x.shape[2], x.shape[3], kh, kw, stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w);
        int spanH = dilation.h * (kh - 1) + 1, spanW = dilation.w * (kw - 1) + 1;
        if (spanH > w.H + 2 * padding.h || spanW > w.W + 2 * padding.w)
            throw new ArgumentException($"{op}: the (dilated) kernel {spanH}x{spanW} is larger than the padded input {w.H + 2 * padding.h}x{w.W + 2 * padding.w} (input {ShapeUtil.Format(x.shape)}, padding ({padding.h}, {padding.w}))");
        return w;
    }
}
