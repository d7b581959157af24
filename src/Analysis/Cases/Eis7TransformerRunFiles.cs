using System.Text.Json;
using Interp.Analysis.Plot;
using Interp.Nn;
using Interp.IO;
using Interp.Transformers;

namespace Interp.Analysis.Cases;

/// <summary>
/// A trained challenge-2 run on disk, so the report can be rebuilt without retraining: model.safetensors
/// (TransformerLens names), config.json (the <see cref="TransformerConfig"/>, as `interp train` writes it) and run.json
/// (the options, which fix the split through its kind, the seed and the stop rule's validation slice, the accuracy curve
/// and the wall time). Under the validation rule the weights saved are the checkpoint kept, not the last step's.
/// </summary>
public static class Eis7TransformerRunFiles
{
    sealed record RunFile(Eis7TransformerOptions Options, List<Eis7Eval> Curve, double WallSeconds);


    public static void Save(Eis7TransformerRun run, string folder)
    {
        Directory.CreateDirectory(folder);
        run.Model.SaveSafeTensors(Path.Combine(folder, "model.safetensors"));
        JsonFile.Write(Path.Combine(folder, "config.json"), run.Model.Config);
        JsonFile.Write(Path.Combine(folder, "run.json"), new RunFile(run.Options, run.Curve.ToList(), run.Wall.TotalSeconds));
    }

    /// <summary>The run saved in <paramref name="folder"/>; its split is recomputed from the saved options for a p x p grid.</summary>
    public static Eis7TransformerRun Load(string folder, int p)
    {
        string weights = Path.Combine(folder, "model.safetensors"), config = Path.Combine(folder, "config.json"), runFile = Path.Combine(folder, "run.json");
        foreach (var f in new[] { weights, config, runFile })
            if (!File.Exists(f)) throw new FileNotFoundException($"eis7 transformer run: '{folder}' has no {Path.GetFileName(f)} (save a run with --save)", f);
        var cfg = JsonSerializer.Deserialize<TransformerConfig>(File.ReadAllText(config)) ?? throw new InvalidDataException($"'{config}' is empty");
        string runJson = File.ReadAllText(runFile);
        var run = JsonSerializer.Deserialize<RunFile>(runJson, JsonFile.Options) ?? throw new InvalidDataException($"'{runFile}' is empty");
        if (run.Options is null || run.Curve is null) throw new InvalidDataException($"eis7 transformer run: '{runFile}' lacks its options or curve");
        run = run with { Options = OlderRunDefaults(run.Options, runJson) };
        if (cfg.DVocab != p + 1) throw new InvalidDataException($"eis7 transformer run: the model in '{folder}' has vocabulary {cfg.DVocab}, the labels need {p + 1}");
        var model = new HookedTransformer(cfg);
        model.LoadSafeTensors(weights);
        model.Eval();
        var (train, validation, test) = Eis7Transformer.Pairs(p, run.Options);
        return new Eis7TransformerRun(model, run.Options, train, test, run.Curve, TimeSpan.FromSeconds(run.WallSeconds), validation);
    }

    /// <summary>
    /// Runs saved before the split and the init were options trained on the seeded split with TransformerLens's init:
    /// a run.json whose options do not name them gets those, not today's defaults.
    /// </summary>
    static Eis7TransformerOptions OlderRunDefaults(Eis7TransformerOptions options, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var saved = doc.RootElement.EnumerateObject().FirstOrDefault(p => p.Name.Equals("Options", StringComparison.OrdinalIgnoreCase)).Value;
        bool Names(string key) => saved.ValueKind == JsonValueKind.Object && saved.EnumerateObject().Any(p => p.Name.Equals(key, StringComparison.OrdinalIgnoreCase));
        return options with
        {
            Split = Names(nameof(options.Split)) ? options.Split : "seeded",
            Init = Names(nameof(options.Init)) ? options.Init : "transformer-lens",
        };
    }
}
