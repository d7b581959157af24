using System.Text.Json;
using Interp.IO;

namespace Interp.Transformers;

/// <summary>Builds a HookedTransformer from weights saved elsewhere: Hugging Face GPT-2 checkpoints and TransformerLens state dicts.</summary>
public static class Pretrained
{
    /// <summary>
    /// A GPT-2 checkpoint in Hugging Face naming (`model.safetensors` or `pytorch_model.bin`). The head count comes
    /// from <paramref name="nHeads"/> or, when null, from `n_head` in the config.json beside the weights.
    /// </summary>
    public static HookedTransformer LoadGpt2(string path, int? nHeads = null, DType dtype = DType.Float32)
    {
        var hf = LoadWeights(path, dtype);
        int heads = nHeads ?? HeadsFromConfig(path);
        var c = Gpt2Weights.InferConfig(hf, heads);
        var cfg = new TransformerConfig
        {
            NLayers = c.NLayers, DModel = c.DModel, NHeads = c.NHeads, DHead = c.DHead, DMlp = c.DMlp,
            DVocab = c.DVocab, NCtx = c.NCtx, ActFn = "gelu_new", Normalization = "LN", Dtype = dtype,
        };
        return FromStateDict(Gpt2Weights.ToTransformerLens(hf, heads), cfg);
    }

    /// <summary>A model of <paramref name="cfg"/> holding a TransformerLens-named state dict (shapes checked per tensor).</summary>
    public static HookedTransformer FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict, TransformerConfig cfg, bool strict = true)
    {
        var model = new HookedTransformer(cfg);
        model.LoadStateDict(stateDict, strict);
        return model;
    }

    /// <summary>Reads a safetensors file or a torch.save checkpoint, by content.</summary>
    public static IReadOnlyDictionary<string, Tensor> LoadWeights(string path, DType dtype = DType.Float32)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"weights: no file at '{path}'", path);
        Span<byte> head = stackalloc byte[2];
        using (var f = File.OpenRead(path)) f.ReadExactly(head[..Math.Min(2, (int)Math.Min(2, f.Length))]);
        bool zip = head[0] == (byte)'P' && head[1] == (byte)'K';
        return zip ? TorchStateDict.Load(path, dtype) : SafeTensorsDict.Load(path, dtype);
    }

    static int HeadsFromConfig(string weightsPath)
    {
        var config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!, "config.json");
        if (!File.Exists(config))
            throw new ArgumentException($"gpt2: the head count is not in the weights; pass nHeads or put the model's config.json (with n_head) beside '{weightsPath}'");
        using var doc = JsonDocument.Parse(File.ReadAllText(config));
        return doc.RootElement.TryGetProperty("n_head", out var n) ? n.GetInt32()
            : throw new ArgumentException($"gpt2: '{config}' has no n_head");
    }
}
