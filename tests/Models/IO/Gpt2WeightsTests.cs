using Interp.IO;
using Interp.Tests.Models;
using Interp.Tests.Models.Transformers;
using Xunit;

namespace Interp.Tests.Models.IO;

/// <summary>Gpt2Weights against tests/fixtures/tiny_gpt2*.safetensors (tests/fixtures/make_gpt2_fixtures.py).</summary>
public sealed class Gpt2WeightsTests
{
    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    static void AssertClose(Tensor expected, Tensor got, double rtol)
    {
        Assert.Equal(expected.Shape, got.Shape);
        double[] e = expected.ToDoubleArray(), g = got.ToDoubleArray();
        double scale = e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - g[i]) <= rtol * scale, $"element {i}: {g[i]} vs reference {e[i]} (rtol {rtol} of max |logit| {scale})");
    }

    [Theory]
    [InlineData(DType.Float64, 1e-10)]
    [InlineData(DType.Float32, 1e-4)]
    public void ConvertedWeightsReproduceHuggingFaceLogits(DType dtype, double rtol)
    {
        var hf = SafeTensorsDict.Load(Fixture("tiny_gpt2.safetensors"), dtype);
        var io = SafeTensorsDict.Load(Fixture("tiny_gpt2_io.safetensors"), DType.Float64);
        var tl = Gpt2Weights.ToTransformerLens(hf, nHeads: 4);
        Assert.All(tl.Values, t => Assert.Equal(dtype, t.DType));
        var logits = ReferenceTransformer.Forward(tl, io["input_ids"], nLayers: 2);
        AssertClose(io["logits"], logits, rtol);
    }

    [Fact]
    public void ShortformerReferenceReproducesTorchLogits()
    {
        var sf = SafeTensorsDict.Load(Fixture("tiny_shortformer.safetensors"), DType.Float64);
        var logits = ReferenceTransformer.Forward(sf, sf["input_ids"], nLayers: 2, shortformer: true, attnOnly: true);
        AssertClose(sf["logits"], logits, 1e-10);
    }

    [Fact]
    public void InfersTheConfigFromShapes()
    {
        var hf = SafeTensorsDict.Load(Fixture("tiny_gpt2.safetensors"));
        Assert.Equal(new Gpt2Config(NLayers: 2, DModel: 64, NHeads: 4, DHead: 16, DMlp: 256, DVocab: 1000, NCtx: 32), Gpt2Weights.InferConfig(hf, 4));
    }

    [Fact]
    public void LayoutsFollowConvertGpt2Weights()
    {
        var hf = SafeTensorsDict.Load(Fixture("tiny_gpt2.safetensors"), DType.Float64);
        var tl = Gpt2Weights.ToTransformerLens(hf, 4);
        Assert.Equal(2 + 2 * 16 + 4, tl.Count);
        double[] cAttn = hf["h.1.attn.c_attn.weight"].ToDoubleArray(), cAttnB = hf["h.1.attn.c_attn.bias"].ToDoubleArray();
        double[] cProj = hf["h.1.attn.c_proj.weight"].ToDoubleArray(), wte = hf["wte.weight"].ToDoubleArray();
        string[] parts = ["W_Q", "W_K", "W_V"];
        for (int p = 0; p < 3; p++)
        {
            var w = tl["blocks.1.attn." + parts[p]];
            Assert.Equal([4, 64, 16], w.Shape);
            double[] wv = w.ToDoubleArray(), bv = tl["blocks.1.attn.b_" + parts[p][2]].ToDoubleArray();
            for (int h = 0; h < 4; h++)
                for (int e = 0; e < 16; e++)
                {
                    Assert.Equal(cAttnB[p * 64 + h * 16 + e], bv[h * 16 + e]);
                    for (int m = 0; m < 64; m += 7) Assert.Equal(cAttn[m * 192 + p * 64 + h * 16 + e], wv[(h * 64 + m) * 16 + e]);
                }
        }
        double[] wo = tl["blocks.1.attn.W_O"].ToDoubleArray();
        Assert.Equal([4, 16, 64], tl["blocks.1.attn.W_O"].Shape);
        Assert.Equal(cProj, wo);   // (head, d_head) flattened is c_proj's input dim
        double[] wu = tl["unembed.W_U"].ToDoubleArray();
        Assert.Equal([64, 1000], tl["unembed.W_U"].Shape);
        Assert.Equal(wte[123 * 64 + 5], wu[5 * 1000 + 123]);
        Assert.All(tl["unembed.b_U"].ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.Equal(hf["h.0.mlp.c_fc.weight"].ToDoubleArray(), tl["blocks.0.mlp.W_in"].ToDoubleArray());
        Assert.Equal(hf["h.0.mlp.c_proj.weight"].ToDoubleArray(), tl["blocks.0.mlp.W_out"].ToDoubleArray());
    }

    [Fact]
    public void AcceptsTheLmHeadModelPrefix()
    {
        var hf = SafeTensorsDict.Load(Fixture("tiny_gpt2.safetensors"), DType.Float64);
        var prefixed = hf.ToDictionary(kv => "transformer." + kv.Key, kv => kv.Value);
        prefixed["lm_head.weight"] = hf["wte.weight"];
        var a = Gpt2Weights.ToTransformerLens(hf, 4);
        var b = Gpt2Weights.ToTransformerLens(prefixed, 4);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var k in a.Keys) Assert.Equal(a[k].ToDoubleArray(), b[k].ToDoubleArray());
    }

    [Fact]
    public void MissingOrMisShapedTensorsAreNamed()
    {
        var hf = SafeTensorsDict.Load(Fixture("tiny_gpt2.safetensors")).ToDictionary();
        var missing = new Dictionary<string, Tensor>(hf);
        missing.Remove("h.1.mlp.c_fc.bias");
        var e = Assert.Throws<ArgumentException>(() => Gpt2Weights.ToTransformerLens(missing, 4));
        Assert.Contains("missing tensor 'h.1.mlp.c_fc.bias' (expected shape [256])", e.Message);

        var bad = new Dictionary<string, Tensor>(hf) { ["h.0.attn.c_attn.weight"] = Tensor.Zeros([64, 190]) };
        e = Assert.Throws<ArgumentException>(() => Gpt2Weights.ToTransformerLens(bad, 4));
        Assert.Contains("tensor 'h.0.attn.c_attn.weight' has shape [64, 190], expected [64, 192]", e.Message);

        e = Assert.Throws<ArgumentException>(() => Gpt2Weights.ToTransformerLens(hf, 5));
        Assert.Contains("not divisible by n_heads 5", e.Message);
    }
}
