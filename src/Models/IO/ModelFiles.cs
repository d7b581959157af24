using System.Text.Json;
using Interp.Models;
using Interp.Nn;
using Interp.Training;
using Interp.Transformers;

namespace Interp.IO;

/// <summary>
/// Loads the models the tools work on from what a user names: a folder written by a training run, or a checkpoint
/// file from PyTorch or Hugging Face. Whatever goes wrong is an IOException or InvalidDataException naming the path.
/// </summary>
public static class ModelFiles
{
    /// <summary>
    /// A folder with model.safetensors + config.json (as <c>interp train induction|modadd</c> writes), or a Hugging Face
    /// GPT-2 checkpoint (.safetensors or torch zip; config.json beside it gives n_head).
    /// </summary>
    public static HookedTransformer LoadTransformer(string path, Device? device = null)
    {
        HookedTransformer model;
        try
        {
            model = Guard(path, () =>
            {
                if (Directory.Exists(path))
                {
                    if (!File.Exists(Path.Combine(path, "model.safetensors")))
                        throw new FileNotFoundException($"'{path}' has no model.safetensors (train one with: interp train induction --out {path})");
                    return HookedTransformer.Load(path);
                }
                if (!File.Exists(path)) throw new FileNotFoundException($"no model at '{path}' (a folder from `interp train induction`, or a GPT-2 .safetensors file)");
                return Pretrained.LoadGpt2(path);
            });
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException && ImageModelName(path) is string kind)
        {
            // a CNN or MLP failed as a transformer for want of a config.json or a head count: say what it is instead
            throw new InvalidDataException($"'{path}' is {kind}, not a transformer (a folder from `interp train induction|modadd`, or a GPT-2 checkpoint)");
        }
        if (device is { } d && d != Device.Cpu) model.To(d);
        return model;
    }

    /// <summary>
    /// A folder from <c>interp train cnn</c> (model.safetensors and its checkpoint config), or a PyTorch .pt / safetensors
    /// state dict whose layout is <paramref name="config"/> or, when null, inferred from the tensor shapes.
    /// </summary>
    public static Cnn LoadCnn(string path, CnnConfig? config = null) => Guard(path, () =>
    {
        if (Directory.Exists(path))
        {
            string weights = Path.Combine(path, "model.safetensors");
            if (!File.Exists(weights)) throw new FileNotFoundException($"'{path}' has no model.safetensors (train one with: interp train cnn --out {path})");
            var cfg = config ?? (Checkpoint.Exists(path) ? Checkpoint.ReadConfig<CnnRun>(path).Model : null);
            var state = ReadSafeTensors(weights);
            return Build(state, cfg ?? InferCnnConfig(state, weights));
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"no CNN at '{path}' (a folder from `interp train cnn`, or a PyTorch .pt state dict)");
        var dict = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? ReadSafeTensors(path) : TorchStateDict.Load(path);
        return Build(dict, config ?? InferCnnConfig(dict, path));
    });

    /// <summary>The kinds of model a path can hold.</summary>
    public enum ModelKind { Cnn, Mlp, Transformer }

    /// <summary>
    /// What a folder or file holds, from its tensor names (without loading the weights): a transformer (embed.W_E, or a
    /// GPT-2 checkpoint's wte), an MLP (layers.0.weight, as <c>interp train mlp --out</c> writes) or a CNN (anything else).
    /// </summary>
    public static ModelKind KindOf(string path) => Guard(path, () =>
    {
        string file = path;
        if (Directory.Exists(path))
        {
            file = Path.Combine(path, "model.safetensors");
            if (!File.Exists(file)) throw new FileNotFoundException($"'{path}' has no model.safetensors (train a model with: interp train cnn|mlp|induction|modadd --out {path})");
        }
        else if (!File.Exists(path)) throw new FileNotFoundException($"no model at '{path}' (a folder from `interp train`, a PyTorch .pt state dict or a GPT-2 checkpoint)");
        if (file.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)) return ModelKind.Transformer;   // pytorch_model.bin of GPT-2
        IEnumerable<string> names;
        if (file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using var st = SafeTensorsFile.Open(file);
            names = st.Names.ToList();
        }
        else names = TorchStateDict.Load(file).Keys.ToList();
        if (names.Any(n => n == "embed.W_E" || n.EndsWith("wte.weight", StringComparison.Ordinal))) return ModelKind.Transformer;
        return names.Contains("layers.0.weight") ? ModelKind.Mlp : ModelKind.Cnn;
    });

    /// <summary>
    /// A folder from <c>interp train mlp --out</c> (model.safetensors with layers.{i}.weight/bias), or such a state dict
    /// file (.safetensors or PyTorch .pt); the layer sizes come from the weight shapes.
    /// </summary>
    public static Mlp LoadMlp(string path) => Guard(path, () =>
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "model.safetensors") : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"no MLP at '{path}' (train one with: interp train mlp --out DIR)");
        var state = file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? ReadSafeTensors(file) : TorchStateDict.Load(file);
        var sizes = new List<int>();
        for (int i = 0; state.TryGetValue($"layers.{i}.weight", out var w); i++)
        {
            if (w.Rank != 2) throw new InvalidDataException($"'{file}': layers.{i}.weight is {ShapeUtil.Format(w.ShapeArray)}, not a matrix");
            if (i == 0) sizes.Add(w.Size(1));
            else if (w.Size(1) != sizes[^1]) throw new InvalidDataException($"'{file}': layers.{i}.weight reads {w.Size(1)} features, layers.{i - 1} writes {sizes[^1]}");
            sizes.Add(w.Size(0));
        }
        if (sizes.Count == 0) throw new InvalidDataException($"'{file}' is not an MLP state dict: no layers.0.weight");
        var mlp = new Mlp([.. sizes], new Generator(0));
        mlp.LoadStateDict(state);
        return mlp;
    });

    /// <summary>"a CNN (conv1, conv2, fc1, fc2)" or "an MLP (layers.0, ...)" when the path's tensor names say so, else null.</summary>
    static string? ImageModelName(string path)
    {
        try
        {
            string file = Directory.Exists(path) ? Path.Combine(path, "model.safetensors") : path;
            if (file.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)) return null;
            IReadOnlyCollection<string> names;
            if (file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            {
                using var st = SafeTensorsFile.Open(file);
                names = st.Names.ToList();
            }
            else names = TorchStateDict.Load(file).Keys.ToList();
            if (names.Contains("conv1.weight") && names.Contains("fc1.weight")) return "a CNN (conv1, conv2, fc1, fc2: for the image verbs, e.g. neurons, featviz)";
            if (names.Contains("layers.0.weight")) return "an MLP (layers.0, layers.1, ...: for the image verbs, e.g. neurons, ablate)";
            return null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SafeTensorsFormatException or TorchPickleException or ArgumentException)
        {
            return null;
        }
    }

    static Dictionary<string, Tensor> ReadSafeTensors(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return TensorIO.ReadAll(file);
    }

    static Cnn Build(IReadOnlyDictionary<string, Tensor> state, CnnConfig cfg)
    {
        var cnn = new Cnn(cfg, new Generator(0));
        cnn.LoadStateDict(state);
        return cnn;
    }

    /// <summary>conv1 [c1, in, k, k], conv2 [c2, c1, k, k], fc1 [hidden, flat], fc2 [classes, hidden]; the pool after conv1 from flat.</summary>
    public static CnnConfig InferCnnConfig(IReadOnlyDictionary<string, Tensor> state, string file)
    {
        Tensor Get(string name, int rank) => state.TryGetValue(name, out var t) && t.Rank == rank ? t
            : throw new InvalidDataException($"'{file}' is not a CNN state dict of conv1/conv2/fc1/fc2: '{name}' is missing or not {rank}-D");
        var (c1, c2, fc1, fc2) = (Get("conv1.weight", 4), Get("conv2.weight", 4), Get("fc1.weight", 2), Get("fc2.weight", 2));
        // the layout comes from conv1: a conv2 that does not fit it is named with both shapes, not blamed alone later
        if (c2.Size(1) != c1.Size(0) || c2.Size(2) != c1.Size(2) || c2.Size(3) != c1.Size(3) || c1.Size(2) != c1.Size(3))
            throw new InvalidDataException($"'{file}': conv1.weight {ShapeUtil.Format(c1.ShapeArray)} and conv2.weight {ShapeUtil.Format(c2.ShapeArray)} " +
                                           "do not fit together (conv2 [out, conv1's out, k, k] with conv1's square kernel k)");
        foreach (bool pool in new[] { false, true })
            foreach (int size in new[] { 28, 32, 64 })
            {
                var cfg = new CnnConfig(InChannels: c1.Size(1), ImageSize: size, Conv1Channels: c1.Size(0), Conv2Channels: c2.Size(0),
                    Kernel: c1.Size(2), PoolAfterConv1: pool, Hidden: fc1.Size(0), Classes: fc2.Size(0));
                if (cfg.FlatFeatures == fc1.Size(1)) return cfg;
            }
        throw new InvalidDataException($"'{file}': cannot infer the CNN layout (fc1 takes {fc1.Size(1)} inputs, conv2 has {c2.Size(0)} channels)");
    }

    // a file that is there but unreadable: one message naming it, whatever the reader threw
    static T Guard<T>(string path, Func<T> load)
    {
        try { return load(); }
        catch (FileNotFoundException) { throw; }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or JsonException or UnauthorizedAccessException or NotSupportedException or KeyNotFoundException)
        {
            throw new InvalidDataException($"cannot load '{path}': {e.Message}", e);
        }
    }
}
