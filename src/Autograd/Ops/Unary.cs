using Interp.Autograd;
using Interp.Backends;

namespace Interp;

/// <summary>Elementwise functions of one tensor and their derivatives.</summary>
public static class Unary
{
    /// <summary>What a unary op's backward reads, so only that stays alive until backward (as PyTorch's saved tensors).</summary>
    [Flags]
    public enum Saves { Nothing = 0, Input = 1, Output = 2 }

    /// <summary>
    /// Runs a unary kernel and records backward(x, y, g) → dx, where y is the output (see
    /// <see cref="Graph.RecordSavingOutput"/>: differentiable again under createGraph). Only what
    /// <paramref name="saves"/> names is kept; the other argument is null in backward.
    /// </summary>
    public static Tensor Apply(string name, UnaryOp op, Tensor x, double p1, double p2, Saves saves, Func<Tensor, Tensor, Tensor, Tensor> backward)
    {
        Check.Float(name, x);
        var y = x.Backend.Unary(op, x, p1, p2);
        var xSaved = saves.HasFlag(Saves.Input) ? x : null;
        if (saves.HasFlag(Saves.Output))
            return Graph.RecordSavingOutput(name, y, [x], (ySaved, g) => [backward(xSaved!, ySaved, g)]);
        return Graph.Record(name, y, [x], g => [backward(xSaved!, null!, g)]);
    }

    static Tensor K(Tensor x, UnaryOp op, double p1 = 0, double p2 = 0) => x.Backend.Unary(op, x.Detach(), p1, p2);

    /// <summary>g ∘ x in one fused kernel (g·sign(x), g·gelu'(x)); differentiable again through the composition it stands for.</summary>
    static Tensor Fused(Tensor g, Tensor x, BinaryOp op, UnaryOp factor) => GradMode.IsEnabled && g.RequiresGrad
        ? g * K(x, factor)
        : g.Backend.Binary(op, g, x.Detach());

    extension(Tensor x)
    {
        public Tensor Neg() => Apply("neg", UnaryOp.Neg, x, 0, 0, Saves.Nothing, (x, y, g) => -g);
        public Tensor Exp() => Apply("exp", UnaryOp.Exp, x, 0, 0, Saves.Output, (x, y, g) => g * y);
        public Tensor Log() => Apply("log", UnaryOp.Log, x, 0, 0, Saves.Input, (x, y, g) => g / x);
        public Tensor Sqrt() => Apply("sqrt", UnaryOp.Sqrt, x, 0, 0, Saves.Output, (x, y, g) => g / (2.0 * y));
        /// <summary>1/√x; d/dx = −½·x^(−3/2) = −½·y³.</summary>
        public Tensor Rsqrt() => Apply("rsqrt", UnaryOp.Rsqrt, x, 0, 0, Saves.Output, (x, y, g) => g * -0.5 * y * y * y);
        /// <summary>|x|, whose gradient g·sign(x) x's producer may take as g alone (<see cref="SignScaled"/>).</summary>
        public Tensor Abs()
        {
            Check.Float("abs", x);
            var y = x.Backend.Unary(UnaryOp.Abs, x, 0, 0);
            return Graph.RecordSignScaled("abs", y, x, g => [Fused(g, x, BinaryOp.MulSign, UnaryOp.Sign)], g => g);
        }
        public Tensor Sign() => Apply("sign", UnaryOp.Sign, x, 0, 0, Saves.Nothing, (x, y, g) => g * 0.0);
        public Tensor Square() => Apply("square", UnaryOp.Square, x, 0, 0, Saves.Input, (x, y, g) => g * 2.0 * x);
        public Tensor Reciprocal() => Apply("reciprocal", UnaryOp.Reciprocal, x, 0, 0, Saves.Output, (x, y, g) => -g * y * y);
        /// <summary>tanh' = 1 − tanh².</summary>
        public Tensor Tanh() => Apply("tanh", UnaryOp.Tanh, x, 0, 0, Saves.Output, (x, y, g) => g * (1.0 - y * y));
        /// <summary>σ' = σ·(1 − σ).</summary>
        public Tensor Sigmoid() => Apply("sigmoid", UnaryOp.Sigmoid, x, 0, 0, Saves.Output, (x, y, g) => g * y * (1.0 - y));
        // y = relu(x) is 0 or positive (or NaN), so sign(y) is the step mask 1[x > 0] in one pass
        // a part of g given as s·sign(y) (an L1 penalty on y, SignScaled) is read as s in the same pass
        public Tensor Relu()
        {
            Check.Float("relu", x);
            var y = x.Backend.Unary(UnaryOp.Relu, x, 0, 0);
            return Graph.RecordSavingOutput("relu", y, [x], (ySaved, g) => [Fused(g, ySaved, BinaryOp.MulSign, UnaryOp.Sign)], null,
                                            (ySaved, g, s) => [s.Backend.ReluBackwardOfSignScaled(g, s, ySaved).Grad]);
        }
        /// <summary>GELU; approximate "tanh" is GPT-2's gelu_new, "none" the exact erf form (as torch's gelu).</summary>
        public Tensor Gelu(string approximate = "none") => approximate switch
        {
            "none" => Apply("gelu", UnaryOp.Gelu, x, 0, 0, Saves.Input, (x, y, g) => Fused(g, x, BinaryOp.GeluBackward, UnaryOp.GeluGrad)),
            "tanh" => Apply("gelu_tanh", UnaryOp.GeluTanh, x, 0, 0, Saves.Input, (x, y, g) => g * K(x, UnaryOp.GeluTanhGrad)),
            _ => throw new ArgumentException($"gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\""),
        };
        public Tensor Erf() => Apply("erf", UnaryOp.Erf, x, 0, 0, Saves.Input, (x, y, g) => g * 1.1283791670955126 * (-(x * x)).Exp());
        /// <summary>
        /// log(1 + e^(β·x))/β, and x itself where β·x &gt; threshold (torch.nn.functional.softplus), computed as
        /// (relu(z) + log(1 + e^(−|z|)))/β with z = β·x, which never overflows. The gradient is σ(z) (1 past the
        /// threshold), recorded as such: the composition's own gradient would be 0 at z = 0, where relu and |·| have kinks.
        /// </summary>
        public Tensor Softplus(double beta = 1, double threshold = 20)
        {
            Check.Float("softplus", x);
            Tensor y;
            using (GradMode.NoGrad())
            {
                var z = x * beta;
                y = Tensor.Where(z.Gt(threshold), x, (z.Relu() + ((-z.Abs()).Exp() + 1.0).Log()) / beta);
            }
            return Graph.Record("softplus", y, [x], g =>
            {
                var z = x * beta;
                return [g * Tensor.Where(z.Detach().Gt(threshold), x.ScalarLike(1.0), z.Sigmoid())];
            });
        }
        /// <summary>
        /// min(max(x, min), max); the gradient passes where min ≤ x ≤ max. As in PyTorch, min &gt; max sets every element
        /// to max (and passes no gradient); a NaN bound is refused.
        /// </summary>
        public Tensor Clamp(double min = double.NegativeInfinity, double max = double.PositiveInfinity)
        {
            if (double.IsNaN(min) || double.IsNaN(max)) throw new ArgumentException($"clamp: a bound is NaN (min {min}, max {max})");
            return Apply("clamp", UnaryOp.Clamp, x, min, max, Saves.Input, (x, y, g) => g * K(x, UnaryOp.InRange, min, max));
        }
    }
}
