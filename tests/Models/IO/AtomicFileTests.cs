using Interp.IO;
using Xunit;

namespace Interp.Tests.Models.IO;

/// <summary>What a killed save leaves behind is removed when its folder is next written to; live saves are left alone.</summary>
public sealed class AtomicFileTests : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    [Fact]
    public void Temporary_files_of_processes_that_are_gone_are_removed_by_the_next_write()
    {
        int gone = int.MaxValue;   // no process has this id
        string killed = tmp.File($"weights-000500.safetensors.{gone}.tmp");
        string live = tmp.File($"weights-000600.safetensors.{Environment.ProcessId}.tmp");   // another save of this process, in flight
        string unrelated = tmp.File("notes.tmp");
        foreach (var f in new[] { killed, live, unrelated }) File.WriteAllText(f, "half a file");

        AtomicFile.WriteAllText(tmp.File("checkpoint.json"), "{}");

        Assert.False(File.Exists(killed));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(unrelated));
        Assert.Equal("{}", File.ReadAllText(tmp.File("checkpoint.json")));
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temporary_file()
    {
        string path = tmp.File("run.json");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, f => { f.WriteByte(1); throw new InvalidOperationException("disk full"); }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp"));
    }
}
