using Interp.Autograd;
using Interp.Backends;

namespace Interp;

/// <summary>
/// torch.nn.functional.conv2d (NCHW). One group: the backend's conv2d kernel (IBackend.Conv2d, an image at a time on
/// the CPU, or by Winograd's F(4×4, 3×3) for 3×3 stride-1 windows) and its input and weight gradients. Several groups: im2col + one batched GEMM:
/// cols = im2col(x) [N, C·KH·KW, L], y = W [O, C·KH·KW] · cols → [N, O, OH, OW] (+ bias).
/// With G groups the channels split in G blocks and block g of the output sees only block g of the input: cols' rows
/// come channel by channel, so they regroup as [N, G, (C/G)·KH·KW, L], and W [O, C/G, KH, KW] as [G, O/G, (C/G)·KH·KW];
/// one matmul broadcast over N and G gives [N, G, O/G, L]. G = C = O is a depthwise convolution.
/// Composed from differentiable pieces, so the backward follows: dW = Σₙ g·colsᵀ (matmul's broadcast batch),
/// dcols = Wᵀ·g then col2im → dx, dbias = Σ g over N, OH, OW.
/// </summary>
public static class ConvOps
{
    extension(Tensor x)
    {
        public Tensor Conv2d(Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
            x.Conv2d(weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

        public Tensor Conv2d(Tensor weight, Tensor? bias, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups = 1)
        {
            var w = Geometry(x, weight, bias, stride, padding, dilation, groups);
            if (groups == 1) return Conv(x, weight, bias, w);
            int n = x.shape[0], o = weight.shape[0];
            var cols = Im2Col(x, w);
            var y = groups == 1
                ? weight.Reshape(o, -1).MatMul(cols)   // [O, K] · [N, K, L] → [N, O, L]
                : weight.Reshape(groups, o / groups, -1).MatMul(cols.Reshape(n, groups, -1, w.OH * w.OW)).Reshape(n, o, -1);
            if (bias is not null) y += bias.Reshape(o, 1);
            return y.Reshape(n, o, w.OH, w.OW);
        }
    }

    // One group: the backend's conv2d and its two gradients, each a recorded op whose backward is made of the other
    // two, so second derivatives work. The input gradient is linear in g and in W: ⟨h, dx⟩ = ⟨conv(h, W), g⟩ =
    // ⟨wgrad(h, g), W⟩; the weight gradient in x and in g: ⟨H, dW⟩ = ⟨conv(x, H), g⟩ = ⟨x, dx(g, H)⟩.
    // Both gradients wanted: the backend makes them in one call (Conv2dGrads), which may share work between them.
    static Tensor Conv(Tensor x, Tensor weight, Tensor? bias, Window2d w) =>
        Graph.Record("conv2d", x.Backend.Conv2d(x, weight, bias, w), [x, weight, bias], g =>
        {
            var db = bias is { RequiresGrad: true } ? g.Sum([0, 2, 3]) : null;
            if (x.RequiresGrad && weight.RequiresGrad)
            {
                var (dx, dw) = g.Backend.Conv2dGrads(x, weight, g, w);
                return [RecordInputGrad(dx, g, weight, w), RecordWeightGrad(dw, x, g, w), db];
            }
            return [x.RequiresGrad ? InputGrad(g, weight, w) : null, weight.RequiresGrad ? WeightGrad(x, g, w) : null, db];
        });

    static Tensor InputGrad(Tensor g, Tensor weight, Window2d w) => RecordInputGrad(g.Backend.Conv2dInputGrad(g, weight, w), g, weight, w);

    static Tensor WeightGrad(Tensor x, Tensor g, Window2d w) => RecordWeightGrad(x.Backend.Conv2dWeightGrad(x, g, w), x, g, w);

    static Tensor RecordInputGrad(Tensor dx, Tensor g, Tensor weight, Window2d w) =>
        Graph.Record("conv2d_input_grad", dx, [g, weight], h =>
            [g.RequiresGrad ? Conv(h, weight, null, w) : null, weight.RequiresGrad ? WeightGrad(h, g, w) : null]);

    static Tensor RecordWeightGrad(Tensor dw, Tensor x, Tensor g, Window2d w) =>
        Graph.Record("conv2d_weight_grad", dw, [x, g], h =>
            [x.RequiresGrad ? InputGrad(g, h, w) : null, g.RequiresGrad ? Conv(x, h, null, w) : null]);

    // im2col and col2im are each other's adjoints, so each one's backward is the other (double backward works too)
    static Tensor Im2Col(Tensor x, Window2d w) => Graph.Record("im2col", x.Backend.Im2Col(x, w), [x], g => [Col2Im(g, w)]);
    static Tensor Col2Im(Tensor cols, Window2d w) => Graph.Record("col2im", cols.Backend.Col2Im(cols, w), [cols], g => [Im2Col(g, w)]);

    static Window2d Geometry(Tensor x, Tensor weight, Tensor? bias, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups)
    {
        const string op = "conv2d";
        Check.SameDevice(op, x, weight);
        Check.SameDType(op, x, weight);
        Check.Float(op, x);
        Check.Rank(op, x, 4, "input [N, C, H, W]");
        Check.Rank(op, weight, 4, "weight [O, C, KH, KW]");
        if (groups < 1 || x.shape[1] % groups != 0 || weight.shape[0] % groups != 0)
            throw new ArgumentException($"{op}: groups {groups} must be positive and divide the input channels ({x.shape[1]} in {ShapeUtil.Format(x.shape)}) and the output channels ({weight.shape[0]} in weight {ShapeUtil.Format(weight.shape)})");
        if (weight.shape[1] * groups != x.shape[1])
            throw new ArgumentException($"{op}: input {ShapeUtil.Format(x.shape)} has {x.shape[1]} channels but weight {ShapeUtil.Format(weight.shape)} expects {(groups == 1 ? $"{weight.shape[1]}" : $"{weight.shape[1]} per group x {groups} groups")}");
        if (bias is not null)
        {
            Check.SameDevice(op, x, bias);
            Check.SameDType(op, x, bias);
            if (bias.Rank != 1 || bias.shape[0] != weight.shape[0])
                throw new ArgumentException($"{op}: bias must be [{weight.shape[0]}] for weight {ShapeUtil.Format(weight.shape)}, got {ShapeUtil.Format(bias.shape)}");
        }
        return Pooling2d.Window(op, x, weight.shape[2], weight.shape[3], stride, padding, dilation);
    }
}
