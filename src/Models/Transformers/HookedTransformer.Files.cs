using System.Text.Json;
using Interp.Nn;

namespace Interp.Transformers;

public sealed partial class HookedTransformer
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes <c>model.safetensors</c> (TransformerLens names) and <c>config.json</c> into <paramref name="dir"/>.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        this.SaveSafeTensors(Path.Combine(dir, "model.safetensors"));
        string config = Path.Combine(dir, "config.json"), tmp = config + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(Config, Indented));
        File.Move(tmp, config, overwrite: true);
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
        var model = new HookedTransformer(cfg);
        model.LoadSafeTensors(weights);
        return model;
    }
}
