using System.Text.Json;
using Interp.IO;
using Interp.Nn;

namespace Interp.Transformers;

public sealed partial class HookedTransformer
{

    /// <summary>Writes <c>model.safetensors</c> and <c>config.json</c> (TransformerLens's parameter and config names) into <paramref name="dir"/>.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        this.SaveSafeTensors(Path.Combine(dir, "model.safetensors"));
        JsonFile.Write(Path.Combine(dir, "config.json"), Config);
    }

    /// <summary>
    /// A model saved by <see cref="Save"/> (or by <c>interp train induction|modadd</c>): a folder holding model.safetensors
    /// and config.json. A Hugging Face GPT-2 checkpoint file goes through <see cref="Pretrained.LoadGpt2"/> instead.
    /// </summary>
    public static HookedTransformer Load(string dir)
    {
        string weights = Path.Combine(dir, "model.safetensors"), config = Path.Combine(dir, "config.json");
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"HookedTransformer.Load: no folder '{dir}'");
        if (!File.Exists(weights)) throw new FileNotFoundException($"HookedTransformer.Load: '{dir}' has no model.safetensors", weights);
        if (!File.Exists(config)) throw new FileNotFoundException($"HookedTransformer.Load: '{dir}' has model.safetensors but no config.json", config);
        TransformerConfig cfg;
        try
        {
            cfg = JsonSerializer.Deserialize<TransformerConfig>(File.ReadAllText(config))
                ?? throw new InvalidDataException($"HookedTransformer.Load: '{config}' is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"HookedTransformer.Load: '{config}' is not a TransformerConfig: {e.Message}", e);
        }
        cfg.Validate();
        CheckSizesAgainstWeights(cfg, config, weights);
        var model = new HookedTransformer(cfg);
        model.LoadSafeTensors(weights);
        return model;
    }

    /// <summary>
    /// Compares every size in config.json with the shapes in model.safetensors' header before any parameter is
    /// allocated: a 400-byte config.json that declares a 5,000,000-token vocabulary fails on its shape at once instead
    /// of after allocating gigabytes. (Loading the weights then checks every tensor.)
    /// </summary>
    static void CheckSizesAgainstWeights(TransformerConfig cfg, string config, string weights)
    {
        using var file = SafeTensorsFile.Open(weights);
        void Expect(string name, params long[] shape)
        {
            if (!file.TryGetInfo(name, out var info))
                throw new InvalidDataException($"HookedTransformer.Load: '{weights}' has no {name}, which '{config}' implies ({cfg.NLayers} layers)");
            if (!info.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"HookedTransformer.Load: '{config}' makes {name} [{string.Join(", ", shape)}] but '{weights}' holds [{string.Join(", ", info.Shape)}]");
        }
        Expect("embed.W_E", cfg.DVocab, cfg.DModel);
        Expect("pos_embed.W_pos", cfg.NCtx, cfg.DModel);
        Expect($"blocks.{cfg.NLayers - 1}.attn.W_Q", cfg.NHeads, cfg.DModel, cfg.DHead);
        if (!cfg.AttnOnly) Expect($"blocks.{cfg.NLayers - 1}.mlp.W_in", cfg.DModel, cfg.DMlp);
    }
}
