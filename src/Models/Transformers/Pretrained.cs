using System.Text.Json;
using Interp.IO;

namespace Interp.Transformers;

/// <summary>Builds a HookedTransformer from weights saved elsewhere: Hugging Face GPT-2 checkpoints and TransformerLens state dicts.</summary>
public static class Pretrained
{
    /// <summary>
    /// A GPT-2 checkpoint in Hugging Face naming (`model.safetensors` or `pytorch_model.bin`). The head count comes
    /// from <paramref name="nHeads"/> or, when null, from `n_head` in the config.json beside the weights. As in
    /// TransformerLens, blocks.{l}.attn.hook_result (each head's output, [batch, pos, head, d_model]) exists only with
    /// <paramref name="useAttnResult"/>: it costs a product per head and n_heads x the memory of hook_attn_out.
    /// From safetensors whose dtype is <paramref name="dtype"/>'s, the weights (all but W_Q/W_K/W_V, which are copied
    /// out of c_attn) are views of a copy-on-write memory mapping of the file: no copy, and writes (fine-tuning) never
    /// reach the file. The file must not be modified or truncated while the model is alive (as with PyTorch's mmap
    /// loading); the mapping is released when the model's last tensor from it is collected. See docs/pretrained.md.
    /// </summary>
    public static HookedTransformer LoadGpt2(string path, int? nHeads = null, DType dtype = DType.Float32, bool useAttnResult = false)
    {
        int heads = nHeads ?? HeadsFromConfig(path);
        if (IsZip(path))
        {
            var hf = TorchStateDict.Load(path, dtype);
            return Build(Gpt2Weights.InferConfig(hf, heads), Gpt2Weights.TakeTransformerLens(hf, heads), dtype, useAttnResult);
        }
        using var file = SafeTensorsFile.Open(path);
        var c = Gpt2Weights.InferConfig(file, heads);
        return Build(c, Gpt2Weights.ReadTransformerLens(file, heads, dtype, tieUnembed: true), dtype, useAttnResult);
    }

    /// <summary>
    /// The model around weights already in TransformerLens layout: its parameters take those tensors (no copy, no
    /// random initialisation first). Its unembedding is embed.W_Eᵀ (tied, no bias), as in GPT-2 itself.
    /// </summary>
    static HookedTransformer Build(Gpt2Config c, Dictionary<string, Tensor> weights, DType dtype, bool useAttnResult)
    {
        var cfg = new TransformerConfig
        {
            NLayers = c.NLayers, DModel = c.DModel, NHeads = c.NHeads, DHead = c.DHead, DMlp = c.DMlp,
            DVocab = c.DVocab, NCtx = c.NCtx, ActFn = "gelu_new", Normalization = "LN", Dtype = dtype,
            TiedUnembed = true, UseUnembedBias = false, UseAttnResult = useAttnResult,
        };
        HookedTransformer model;
        using (Init.Placeholders()) model = new HookedTransformer(cfg);
        model.LoadStateDict(weights, assign: true);
        return model;
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
        return IsZip(path) ? TorchStateDict.Load(path, dtype) : SafeTensorsDict.Load(path, dtype);
    }

    /// <summary>A torch.save checkpoint is a zip file ("PK"); anything else is read as safetensors.</summary>
    static bool IsZip(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"weights: no file at '{path}'", path);
        Span<byte> head = stackalloc byte[2];
        using var f = File.OpenRead(path);
        return f.Length >= 2 && f.Read(head) == 2 && head[0] == (byte)'P' && head[1] == (byte)'K';
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
