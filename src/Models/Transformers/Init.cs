namespace Interp.Transformers;

/// <summary>TransformerLens's "gpt2" init: weight matrices ~ N(0, std²), biases 0, LayerNorm weights 1.</summary>
static class Init
{
    [ThreadStatic] static bool placeholders;

    public static Tensor Normal(int[] shape, TransformerConfig cfg, Generator gen) =>
        placeholders ? Placeholder(shape, cfg) : (Tensor.Randn(shape, gen, cfg.Dtype) * cfg.InitStd).Detach();

    public static Tensor Zeros(int[] shape, TransformerConfig cfg) => placeholders ? Placeholder(shape, cfg) : Tensor.Zeros(shape, cfg.Dtype);

    public static Tensor Ones(int[] shape, TransformerConfig cfg) => placeholders ? Placeholder(shape, cfg) : Tensor.Ones(shape, cfg.Dtype);

    /// <summary>
    /// While the scope is open, models built on this thread get placeholder parameters (one zero broadcast to the shape,
    /// no memory) that a <c>LoadStateDict(assign: true)</c> must replace: a pretrained model then never holds random
    /// weights beside the loaded ones (PyTorch's meta-device construction).
    /// </summary>
    public static IDisposable Placeholders()
    {
        bool was = placeholders;
        placeholders = true;
        return new Scope(() => placeholders = was);
    }

    static Tensor Placeholder(int[] shape, TransformerConfig cfg) => Tensor.Zeros([1], cfg.Dtype).Reshape(Enumerable.Repeat(1, shape.Length).ToArray()).Expand(shape);

    sealed class Scope(Action end) : IDisposable
    {
        public void Dispose() => end();
    }
}
