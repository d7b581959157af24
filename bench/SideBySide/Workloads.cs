using Interp.Models;
using Interp.Optim;
using Interp.Transformers;

namespace Interp.Bench.SideBySide;

/// <summary>
/// The Interp half of the side-by-side workloads (bench/peers/torch_workloads.py is the PyTorch half: same shapes,
/// same model structure, same optimizer). Each workload returns named phases; a phase is one timed action.
/// </summary>
internal static class Workloads
{
    public static readonly string[] Names =
        ["matmul-128", "matmul-256", "matmul-512", "matmul-1024", "matmul-2048", "gpt", "cnn", "sae"];

    /// <summary>Phases to time, by name, in the order they run within one sample.</summary>
    public static IReadOnlyList<(string Phase, Action Run)> Create(string name) => name switch
    {
        _ when name.StartsWith("matmul-") => MatMul(int.Parse(name["matmul-".Length..])),
        "gpt" => Gpt(),
        "cnn" => CnnStep(),
        "sae" => Sae(),
        _ => throw new ArgumentException($"side-by-side: unknown workload '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>float32 C = A·B, n×n, no autograd (torch.mm on tensors that do not require grad).</summary>
    static IReadOnlyList<(string, Action)> MatMul(int n)
    {
        var gen = new Generator(1);
        var a = Tensor.Randn([n, n], gen);
        var b = Tensor.Randn([n, n], gen);
        return [("mm", () => a.MatMul(b))];
    }

    /// <summary>
    /// The toy GPT: vocab 512, 4 layers, d_model 256, 4 heads, d_mlp 1024, context 128, batch 8, LayerNorm, GELU (erf),
    /// causal attention, cross-entropy on next tokens, AdamW. No per-head hook_result (PyTorch's model has none).
    /// "forward" is forward + loss with the graph recorded; "step" is zero_grad, forward, loss, backward, AdamW step.
    /// </summary>
    static IReadOnlyList<(string, Action)> Gpt()
    {
        var cfg = GptConfig;
        var model = new HookedTransformer(cfg);
        var opt = new AdamW(model.Parameters(), lr: 1e-3);
        var gen = new Generator(2);
        var tokens = Tensor.RandInt(0, cfg.DVocab, [8, cfg.NCtx + 1], gen);
        var input = tokens.Narrow(1, 0, cfg.NCtx).Contiguous();
        var target = tokens.Narrow(1, 1, cfg.NCtx).Contiguous().Reshape(-1);
        Tensor Loss() => model.Forward(input).Reshape(-1, cfg.DVocab).CrossEntropy(target);
        return ForwardAndStep(Loss, opt);
    }

    /// <summary>The toy GPT's shape (also what `Interp.Bench gpt-step` takes apart).</summary>
    internal static TransformerConfig GptConfig => new()
    {
        NLayers = 4, DModel = 256, NHeads = 4, DHead = 64, DMlp = 1024, DVocab = 512, NCtx = 128,
        ActFn = "gelu", Normalization = "LN", UseAttnResult = false, Seed = 1,
    };

    /// <summary>PyTorch's MNIST CNN without dropout (conv 1→32 3×3, conv 32→64 3×3, maxpool 2, 9216→128→10), batch 64, Adam.</summary>
    static IReadOnlyList<(string, Action)> CnnStep()
    {
        var gen = new Generator(1);
        var model = new Cnn(new CnnConfig(), gen);
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var x = Tensor.Randn([64, 1, 28, 28], gen);
        var y = Tensor.RandInt(0, 10, [64], gen);
        return ForwardAndStep(() => model.Forward(x).CrossEntropy(y), opt);
    }

    /// <summary>
    /// A ReLU SAE with an L1 penalty: f = ReLU((x − b_dec)·W_enc + b_enc), x̂ = f·W_dec + b_dec,
    /// loss = mean((x̂ − x)²) + l1·mean_batch(Σ|f|); d_in 256, 4096 features, batch 4096, Adam. The encoder is one
    /// MatMulRelu (bias and ReLU in the GEMM's epilogue), the decoder one MatMul with a bias and Σ|f| one Norm(1, 1):
    /// the same math as the PyTorch twin's separate matmul, add, relu, abs and sum.
    /// </summary>
    static IReadOnlyList<(string, Action)> Sae()
    {
        const int dIn = 256, features = 4096, batch = 4096;
        const double l1 = 1e-3;
        var gen = new Generator(1);
        var wEnc = (Tensor.Randn([dIn, features], gen) * (1 / Math.Sqrt(dIn))).Detach();
        wEnc.RequiresGrad = true;
        var wDec = wEnc.Detach().T.Contiguous();
        wDec.RequiresGrad = true;
        var bEnc = Tensor.Zeros([features], requiresGrad: true);
        var bDec = Tensor.Zeros([dIn], requiresGrad: true);
        var opt = new Adam([wEnc, wDec, bEnc, bDec], lr: 1e-4);
        var x = Tensor.Randn([batch, dIn], gen);
        Tensor Loss()
        {
            var f = (x - bDec).MatMulRelu(wEnc, bEnc);
            var xHat = f.MatMul(wDec, bDec);
            return (xHat - x).Square().Mean() + l1 * f.Norm(1, 1).Mean();
        }
        return ForwardAndStep(Loss, opt);
    }

    /// <summary>"forward": the loss with its graph recorded; "step": zero_grad, loss, backward, optimizer step.</summary>
    static IReadOnlyList<(string, Action)> ForwardAndStep(Func<Tensor> loss, Optimizer opt) =>
    [
        ("forward", () => loss()),
        ("step", () =>
        {
            opt.ZeroGrad();
            loss().Backward();
            opt.Step();
        }),
    ];
}
