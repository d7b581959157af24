using System.Text.Json;
using System.Text.Json.Nodes;
using Interp.IO;
using Interp.Nn;
using Interp.Optim;

namespace Interp.Training;

/// <summary>Points of <see cref="Checkpoint.Save"/> at which a test may inject a crash.</summary>
public enum CheckpointStage
{
    /// <summary>Nothing written yet.</summary>
    BeforeWrite,
    /// <summary>The new tensor file is on disk; the record still names the previous one.</summary>
    MidWrite,
    /// <summary>The new record is written and flushed under a temporary name, not yet renamed.</summary>
    BeforeRename,
}

/// <summary>What <c>checkpoint.json</c> says: the step, the tensor file and the run's configuration.</summary>
public sealed record CheckpointRecord(int Step, string TensorFile, JsonObject Config);

/// <summary>
/// A training checkpoint in a directory: <c>weights-*.safetensors</c> holds the model (<c>model.*</c>), the optimizer
/// state (<c>optim.*</c>) and the RNG state (<c>rng</c>); <c>checkpoint.json</c> names that file and holds the step and
/// the run's configuration. Save writes a new tensor file (atomically), then the record to a temporary name
/// (flushed), and renames it over the old record last: the rename is the commit, so a save interrupted anywhere
/// leaves the previous checkpoint whole. Older tensor files are deleted only after the commit.
/// </summary>
public static class Checkpoint
{
    public const string RecordFile = "checkpoint.json";
    const string Format = "interp-checkpoint-1";

    public static bool Exists(string dir) => File.Exists(Path.Combine(dir, RecordFile));

    /// <param name="config">the run's settings (any JSON-serialisable object), kept in the record</param>
    /// <param name="onStage">called at each <see cref="CheckpointStage"/>; tests throw from it to simulate a crash</param>
    public static void Save(string dir, Trainer trainer, object config, Action<CheckpointStage>? onStage = null)
    {
        Directory.CreateDirectory(dir);
        onStage?.Invoke(CheckpointStage.BeforeWrite);
        string tensorFile = $"weights-{trainer.Step:D8}-{Guid.NewGuid():N}.safetensors";
        var entries = trainer.Model.NamedParameters().Select(p => TensorIO.Entry("model." + p.Name, p.Param))
            .Concat(trainer.Optimizer.ExportState().Select(kv => TensorIO.Entry("optim." + kv.Key, kv.Value)))
            .Append(SafeTensorsWriter.I64("rng", [6], trainer.Rng.GetState().Select(w => unchecked((long)w)).ToArray()));
        var metadata = new Dictionary<string, string>
        {
            ["step"] = trainer.Step.ToString(),
            ["lr"] = trainer.Optimizer.LearningRate.ToString("R"),
        };
        SafeTensorsWriter.Write(Path.Combine(dir, tensorFile), entries, metadata);
        onStage?.Invoke(CheckpointStage.MidWrite);

        var record = new JsonObject
        {
            ["format"] = Format,
            ["step"] = trainer.Step,
            ["tensors"] = tensorFile,
            ["config"] = JsonSerializer.SerializeToNode(config, config.GetType(), JsonFile.Options),
        };
        AtomicFile.Write(Path.Combine(dir, RecordFile),
            fs => fs.Write(JsonSerializer.SerializeToUtf8Bytes(record, JsonFile.Options)),
            beforeRename: () => onStage?.Invoke(CheckpointStage.BeforeRename));
        // committed: the previous tensor file, and any left by an interrupted save, are no longer referenced
        foreach (var old in Directory.EnumerateFiles(dir, "weights-*.safetensors"))
            if (Path.GetFileName(old) != tensorFile) TryDelete(old);
    }

    /// <summary>Reads and checks <c>checkpoint.json</c>: a field missing or of the wrong type is named with the file.</summary>
    public static CheckpointRecord ReadRecord(string dir)
    {
        string path = Path.Combine(dir, RecordFile);
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"checkpoint '{path}' is not valid JSON: {e.Message}", e); }
        if (node is not JsonObject o) throw new InvalidDataException($"checkpoint '{path}' must hold a JSON object, got {Describe(node)}");
        if (Field<string>(o, path, "format", "a string") != Format)
            throw new InvalidDataException($"checkpoint '{path}' is not an {Format} record (its format is {Describe(o["format"])})");
        int step = Field<int>(o, path, "step", "an integer");
        if (step < 0) throw new InvalidDataException($"checkpoint '{path}': field 'step' must be >= 0, got {step}");
        string tensors = Field<string>(o, path, "tensors", "a file name");
        if (Path.GetFileName(tensors) != tensors) throw new InvalidDataException($"checkpoint '{path}': tensor file '{tensors}' must be a plain file name");
        if (o["config"] is not JsonObject config) throw new InvalidDataException($"checkpoint '{path}': field 'config' must be an object, got {Describe(o["config"])}");
        return new CheckpointRecord(step, tensors, config);
    }

    /// <summary>The record's configuration as <typeparamref name="T"/>; a field of the wrong type is named with the file.</summary>
    public static T ReadConfig<T>(string dir)
    {
        var record = ReadRecord(dir);
        string path = Path.Combine(dir, RecordFile);
        try
        {
            return record.Config.Deserialize<T>(JsonFile.Options) ?? throw new InvalidDataException($"checkpoint '{path}': empty configuration");
        }
        catch (JsonException e)
        {
            string field = "config" + (e.Path ?? "$").TrimStart('$');
            throw new InvalidDataException($"checkpoint '{path}': field '{field}' does not fit this run's {typeof(T).Name} ({e.Message.Split(" Path:")[0]})", e);
        }
    }

    static T Field<T>(JsonObject o, string path, string name, string what) =>
        o[name] is JsonValue v && v.TryGetValue(out T? value) && value is not null ? value
            : throw new InvalidDataException($"checkpoint '{path}': field '{name}' must be {what}, got {Describe(o[name])}");

    // "string \"abc\"", "number 3.5", "nothing": what a field holds, short
    static string Describe(JsonNode? node)
    {
        if (node is null) return "nothing";
        string text = node.ToJsonString();
        return $"{node.GetValueKind().ToString().ToLowerInvariant()} {(text.Length > 40 ? text[..40] + "..." : text)}";
    }

    /// <summary>
    /// Restores the model, optimizer state, RNG state and step into <paramref name="trainer"/>, which must be built
    /// with the same configuration: a tensor missing or of another shape is refused by name and shapes, and nothing
    /// is changed.
    /// </summary>
    public static CheckpointRecord Load(string dir, Trainer trainer)
    {
        var record = ReadRecord(dir);
        string path = Path.Combine(dir, record.TensorFile);
        using var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("step", out var step) || step != record.Step.ToString())
            throw new InvalidDataException($"checkpoint '{path}': holds step {step ?? "(none)"}, the record says {record.Step}");
        if (!file.Tensors.TryGetValue("rng", out var rng) || rng.Shape is not [6])
            throw new InvalidDataException($"checkpoint '{path}': missing the RNG state 'rng' [6]");
        if (!file.Metadata.TryGetValue("lr", out var lr) || !double.TryParse(lr, System.Globalization.CultureInfo.InvariantCulture, out double rate))
            throw new InvalidDataException($"checkpoint '{path}': its metadata holds no learning rate 'lr'");
        try
        {
            var optimizerState = TensorIO.ReadAll(file, "optim.");
            var modelState = TensorIO.ReadAll(file, "model.");
            trainer.Model.CheckStateDict(modelState);
            CheckOptimizerState(trainer.Optimizer, optimizerState);
            trainer.Model.LoadStateDict(modelState);
            trainer.Optimizer.ImportState(optimizerState);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"checkpoint '{path}' does not fit this model: {e.Message}", e);
        }
        trainer.Rng.SetState(file.ReadWords("rng"));
        trainer.Optimizer.LearningRate = rate;
        trainer.Step = record.Step;
        return record;
    }

    // ImportState checks shapes too, but only after LoadStateDict has copied the weights: check first, change nothing on error
    static void CheckOptimizerState(Optimizer optimizer, Dictionary<string, Tensor> state)
    {
        foreach (var (name, t) in state)
        {
            var parts = name.Split('.');
            if (parts.Length == 3 && parts[2] != "step" && int.TryParse(parts[1], out int i) && i >= 0 && i < optimizer.Parameters.Count
                && !ShapeUtil.SameShape(t.ShapeArray, optimizer.Parameters[i].ShapeArray))
                throw new ArgumentException($"optimizer state 'optim.{name}' has shape {ShapeUtil.Format(t.ShapeArray)}, parameter {i} is {ShapeUtil.Format(optimizer.Parameters[i].ShapeArray)}");
        }
    }

    static ulong[] ReadWords(this SafeTensorsFile file, string name)
    {
        var bytes = file.ReadBytes(name);
        if (file[name].DType != "I64") throw new InvalidDataException($"checkpoint '{file.Path}': '{name}' must be I64, found {file[name].DType}");
        return Enumerable.Range(0, 6).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8 * i))).ToArray();
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
