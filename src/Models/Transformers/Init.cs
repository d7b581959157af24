namespace Interp.Transformers;

/// <summary>TransformerLens's "gpt2" init: weight matrices ~ N(0, std²), biases 0, LayerNorm weights 1.</summary>
static class Init
{
    public static Tensor Normal(int[] shape, TransformerConfig cfg, Generator gen) =>
        (Tensor.Randn(shape, gen, cfg.Dtype) * cfg.InitStd).Detach();

    public static Tensor Zeros(int[] shape, TransformerConfig cfg) => Tensor.Zeros(shape, cfg.Dtype);

    public static Tensor Ones(int[] shape, TransformerConfig cfg) => Tensor.Ones(shape, cfg.Dtype);
}
