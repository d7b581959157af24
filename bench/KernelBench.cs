using BenchmarkDotNet.Attributes;

namespace Interp.Bench;

// BenchmarkDotNet benchmarks of the ops the side-by-side workloads are made of, at the toy GPT's and the MNIST CNN's
// shapes (batch 8 × 128 positions, d_model 256, 4 heads of 64, d_mlp 1024; batch 64 of 28×28 images). Each "Backward"
// benchmark is forward + backward of sum(op(x)), so backward alone is the difference to the "Forward" row.
// Run: dotnet run -c Release --project bench -- --filter '*Kernel*' (square GEMMs: --filter '*GemmBench*').

/// <summary>MatMul at the toy GPT's shapes: [tokens, d_model]·[d_model, n] for the QKV/MLP/unembed projections.</summary>
public class MatMulShapesKernelBench
{
    Tensor a = null!, b = null!;

    [Params("1024x256x256", "1024x256x1024", "1024x1024x256", "1024x256x512", "64x9216x128")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var d = Shape.Split('x').Select(int.Parse).ToArray();
        var gen = new Generator(1);
        a = Tensor.Randn([d[0], d[1]], gen);
        b = Tensor.Randn([d[1], d[2]], gen);
    }

    [Benchmark]
    public Tensor MatMul() => a.MatMul(b);
}

/// <summary>Softmax over the last dim of attention scores [8, 4, 128, 128].</summary>
public class SoftmaxKernelBench
{
    Tensor x = null!, xg = null!;

    [GlobalSetup]
    public void Setup()
    {
        x = Tensor.Randn([8, 4, 128, 128], new Generator(1));
        xg = x.Detach().RequiresGrad_();
    }

    [Benchmark]
    public Tensor Forward() => x.Softmax(-1);

    [Benchmark]
    public void Backward() => xg.Softmax(-1).Sum().Backward();
}

/// <summary>LayerNorm over d_model = 256 of [8, 128, 256], with affine weight and bias.</summary>
public class LayerNormKernelBench
{
    Tensor x = null!, xg = null!, w = null!, b = null!;

    [GlobalSetup]
    public void Setup()
    {
        var gen = new Generator(1);
        x = Tensor.Randn([8, 128, 256], gen);
        xg = x.Detach().RequiresGrad_();
        w = Tensor.Randn([256], gen, requiresGrad: true);
        b = Tensor.Randn([256], gen, requiresGrad: true);
    }

    [Benchmark]
    public Tensor Forward() => x.LayerNorm([256], w.Detach(), b.Detach());

    [Benchmark]
    public void Backward() => xg.LayerNorm([256], w, b).Sum().Backward();
}

/// <summary>GELU (exact, erf) on the MLP's hidden activations [8, 128, 1024].</summary>
public class GeluKernelBench
{
    Tensor x = null!, xg = null!;

    [GlobalSetup]
    public void Setup()
    {
        x = Tensor.Randn([8, 128, 1024], new Generator(1));
        xg = x.Detach().RequiresGrad_();
    }

    [Benchmark]
    public Tensor Forward() => x.Gelu();

    [Benchmark]
    public void Backward() => xg.Gelu().Sum().Backward();
}

/// <summary>The MNIST CNN's two convolutions at batch 64: 1→32 on 28×28 and 32→64 on 26×26, 3×3, with bias.</summary>
public class Conv2dKernelBench
{
    Tensor x = null!, w = null!, b = null!;

    [Params("1->32", "32->64")]
    public string Layer { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var gen = new Generator(1);
        (int c, int o, int s) = Layer == "1->32" ? (1, 32, 28) : (32, 64, 26);
        x = Tensor.Randn([64, c, s, s], gen, requiresGrad: true);
        w = Tensor.Randn([o, c, 3, 3], gen, requiresGrad: true);
        b = Tensor.Randn([o], gen, requiresGrad: true);
    }

    [Benchmark]
    public Tensor Forward()
    {
        using var _ = Interp.Autograd.GradMode.NoGrad();
        return x.Conv2d(w, b);
    }

    [Benchmark]
    public void Backward()
    {
        x.Grad = w.Grad = b.Grad = null;
        x.Conv2d(w, b).Sum().Backward();
    }
}

/// <summary>
/// One causal attention layer of the toy GPT ([8, 128, 256] in, 4 heads of 64), as Interp's Attention module computes
/// it: einsum projections, scaled scores, causal mask, softmax, pattern·v, output projection.
/// </summary>
public class AttentionKernelBench
{
    Interp.Transformers.Attention attn = null!;
    Tensor x = null!, xg = null!;

    [GlobalSetup]
    public void Setup()
    {
        var cfg = new Interp.Transformers.TransformerConfig
        {
            NLayers = 1, DModel = 256, NHeads = 4, DHead = 64, DMlp = 1024, DVocab = 512, NCtx = 128, UseAttnResult = false,
        };
        attn = new Interp.Transformers.Attention(cfg, new Generator(1));
        x = Tensor.Randn([8, 128, 256], new Generator(2));
        xg = x.Detach().RequiresGrad_();
    }

    [Benchmark]
    public Tensor Forward()
    {
        using var _ = Interp.Autograd.GradMode.NoGrad();
        return attn.Forward(x, x);
    }

    [Benchmark]
    public void Backward()
    {
        foreach (var p in attn.Parameters()) p.Grad = null;
        xg.Grad = null;
        attn.Forward(xg, xg).Sum().Backward();
    }
}

/// <summary>Embedding backward: 1024 token ids (batch 8 × 128) scattered into a [512, 256] gradient table.</summary>
public class EmbeddingKernelBench
{
    Tensor table = null!, ids = null!, g = null!;

    [GlobalSetup]
    public void Setup()
    {
        var gen = new Generator(1);
        table = Tensor.Randn([512, 256], gen, requiresGrad: true);
        ids = Tensor.RandInt(0, 512, [8, 128], gen);
        g = Tensor.Randn([8, 128, 256], gen);
    }

    [Benchmark]
    public void Backward()
    {
        table.Grad = null;
        table.Embedding(ids).Backward(g);
    }
}
