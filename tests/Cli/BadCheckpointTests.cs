using System.Text.Json.Nodes;
using Interp.Cli;
using Interp.Training;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// --resume from a damaged checkpoint.json: exit 2, one line naming the file and the field, no stack trace
/// (System.Text.Json's InvalidOperationException for a wrongly typed field used to escape with exit 134).
/// </summary>
[Collection("Console")]
public class BadCheckpointTests
{
    // a one-step modadd run, checkpointed once; each row damages a copy
    static readonly Lazy<string> saved = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"interp-tests-modadd-ckpt-{Environment.ProcessId}");
        var (exit, _, err) = InterpCli.Run("train", "modadd", "--steps", "1", "--checkpoint-every", "1", "--out", dir, "--quiet");
        Assert.True(exit == ExitStatus.NotReached, err);   // one step does not reach the target accuracy; the checkpoint is saved
        return dir;
    });

    public static TheoryData<string, string, string> Rows => new()
    {
        { "step", "\"1\"", "field 'step' must be an integer, got string" },
        { "format", "[]", "field 'format' must be a string, got array" },
        { "tensors", "7", "field 'tensors' must be a file name, got number 7" },
        { "config", "\"none\"", "field 'config' must be an object, got string" },
        { "config.Options", "\"fast\"", "field 'config.Options' does not fit" },
        { "config.Streak", "\"many\"", "field 'config.Streak' does not fit" },
        { "", "[1, 2]", "must hold a JSON object, got array" },
    };

    [Theory, MemberData(nameof(Rows))]
    public void ResumeRefusesAWronglyTypedFieldByFileAndField(string field, string json, string phrase)
    {
        using var tmp = new TempDir();
        string dir = tmp.File("run");
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(saved.Value)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        string record = Path.Combine(dir, Checkpoint.RecordFile);
        File.WriteAllText(record, Damaged(File.ReadAllText(record), field, json));
        InterpCli.Fails(["train", "modadd", "--resume", dir, "--steps", "2", "--quiet"], ExitStatus.BadInput, record, phrase);
    }

    static string Damaged(string text, string field, string json)
    {
        if (field == "") return json;
        var root = JsonNode.Parse(text)!.AsObject();
        var parts = field.Split('.');
        var owner = parts.Length == 1 ? root : root[parts[0]]!.AsObject();
        owner[parts[^1]] = JsonNode.Parse(json);
        return root.ToJsonString();
    }
}
