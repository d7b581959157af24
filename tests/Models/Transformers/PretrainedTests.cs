using Interp.IO;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Models.Transformers;

/// <summary>The loaders end to end: HookedTransformer from Hugging Face GPT-2 and TransformerLens weights vs PyTorch's logits.</summary>
public class PretrainedTests
{
    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    static void AssertClose(Tensor expected, Tensor actual, double rtol)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        double scale = e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= rtol * scale, $"logit {i}: Interp {a[i]:G10}, PyTorch {e[i]:G10}");
    }

    [Fact]
    public void Gpt2FromHuggingFaceWeightsReproducesTorchLogits()
    {
        var io = SafeTensorsDict.Load(Fixture("tiny_gpt2_io.safetensors"), DType.Float64);
        var model = Pretrained.LoadGpt2(Fixture("tiny_gpt2.safetensors"), nHeads: 4, DType.Float64);
        Assert.Equal(2, model.Config.NLayers);
        AssertClose(io["logits"], model.Forward(io["input_ids"]), 1e-9);
        var f32 = Pretrained.LoadGpt2(Fixture("tiny_gpt2.safetensors"), nHeads: 4);
        AssertClose(io["logits"], f32.Forward(io["input_ids"]), 1e-4);
        // the same weights as GPT2LMHeadModel's torch.save ("transformer." names, lm_head tied to wte)
        var fromPt = Pretrained.LoadGpt2(Fixture(Path.Combine("torch", "tiny_gpt2.pt")), nHeads: 4, DType.Float64);
        AssertClose(io["logits"], fromPt.Forward(io["input_ids"]), 1e-9);
    }

    [Fact]
    public void ShortformerFromTransformerLensStateDictReproducesTorchLogits()
    {
        var sd = SafeTensorsDict.Load(Fixture("tiny_shortformer.safetensors"), DType.Float64);
        var cfg = new TransformerConfig
        {
            NLayers = 2, DModel = 64, NHeads = 4, DHead = 16, DMlp = 0, DVocab = 1000, NCtx = 32,
            PositionalEmbedding = "shortformer", Normalization = "LN", Dtype = DType.Float64,
        };
        var weights = sd.Where(p => p.Key is not ("input_ids" or "logits")).ToDictionary(p => p.Key, p => p.Value);
        var model = Pretrained.FromStateDict(weights, cfg);
        AssertClose(sd["logits"], model.Forward(sd["input_ids"]), 1e-9);
    }

    [Fact]
    public void AMismatchedCheckpointNamesTheTensorAndBothShapes()
    {
        var sd = SafeTensorsDict.Load(Fixture("tiny_shortformer.safetensors"), DType.Float64)
            .Where(p => p.Key is not ("input_ids" or "logits")).ToDictionary(p => p.Key, p => p.Value);
        var cfg = new TransformerConfig { NLayers = 2, DModel = 64, NHeads = 4, DHead = 16, DVocab = 1000, NCtx = 64, PositionalEmbedding = "shortformer" };
        var e = Assert.Throws<ArgumentException>(() => Pretrained.FromStateDict(sd, cfg));
        Assert.Contains("pos_embed.W_pos has shape [32, 64], the model expects [64, 64]", e.Message);
        Assert.Throws<FileNotFoundException>(() => Pretrained.LoadWeights("/nonexistent/model.safetensors"));
    }

    [Fact]
    public void Gpt2LoadsTiedWithoutCopiesAndFineTunesLikeACopiedModel()
    {
        var loaded = Pretrained.LoadGpt2(Fixture("tiny_gpt2.safetensors"), nHeads: 4, DType.Float64);
        Assert.Null(loaded.Unembed.W_U);
        var sd = loaded.StateDict();
        // b_Q, b_K, b_V are views of one c_attn.bias read; W_O a view of its c_proj read: no copies were made.
        Assert.Same(sd["blocks.0.attn.b_Q"].Storage, sd["blocks.0.attn.b_K"].Storage);
        // Every weight is a contiguous view of one storage read from the file (the training below shows they do not overlap).
        Assert.Single(sd.Values.Select(t => t.Storage).Distinct());
        Assert.All(sd.Values, t => Assert.True(t.IsContiguous));

        // The same weights copied into a freshly initialised tied model must train identically.
        var copied = Pretrained.FromStateDict(sd.ToDictionary(p => p.Key, p => p.Value.Detach().Clone()), loaded.Config);
        var io = SafeTensorsDict.Load(Fixture("tiny_gpt2_io.safetensors"), DType.Float64);
        var tokens = io["input_ids"];
        foreach (var model in new[] { loaded, copied }) NextTokenTraining.AdamWSteps(model, tokens);
        foreach (var (name, p) in loaded.StateDict())
            AssertClose(copied.StateDict()[name], p, 1e-12);
        Assert.NotNull(loaded.Embed.W_E.Grad);
    }
}
