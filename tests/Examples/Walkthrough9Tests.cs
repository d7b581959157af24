using System.Text.RegularExpressions;
using Interp.IO;
using Xunit;

namespace Interp.Tests.Examples;

/// <summary>Walkthrough 9 on a small randomly initialised GPT-2 written in Hugging Face's layout (vocabulary 50,257).</summary>
[Collection("Console")]
public class Walkthrough9Tests
{
    [Fact]
    public void LoadsAGpt2CheckpointAndItsLastLensLayerIsTheModelsPrediction()
    {
        string dir = ExampleRunner.TempDir("gpt2");
        try
        {
            string path = Path.Combine(dir, "model.safetensors");
            Gpt2Weights.WriteRandom(path, new Gpt2Config(NLayers: 2, DModel: 16, NHeads: 2, DHead: 8, DMlp: 64, DVocab: 50257, NCtx: 64), seed: 4);
            var (exit, output) = ExampleRunner.Run("Interp.Examples.Gpt2Small", path);
            Assert.Equal(0, exit);
            Assert.Contains("2 layers, d_model 16, 2 heads, vocabulary 50257", output);
            // resid_post and pattern of 2 layers: 2 x [1, pos, 16] + 2 x [1, 2, pos, pos] float32
            int pos = Interp.Tokenizer.Gpt2Tokenizer.Instance.ToTokens("When Mary and John went to the store, John gave a drink to", prependBos: true).Length;
            Assert.Contains($"cached 4 activations, {(2 * pos * 16 + 2 * 2 * pos * pos) * 4 / 1e6:F1} MB", output);
            // tied unembedding, no bias: the last layer's lens reading is exactly the model's own logits
            var lens = Regex.Match(output, @"layer  1: predicts '(.*)'\n");
            var model = Regex.Match(output, @"model's next token: '(.*)'\n");
            Assert.True(lens.Success && model.Success, output);
            Assert.Equal(model.Groups[1].Value, lens.Groups[1].Value);
            Assert.Matches(@"layer  0: previous-token head L0H[01] \(0\.\d\d\)", output);
        }
        finally { Directory.Delete(dir, true); }
    }
}
