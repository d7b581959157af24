using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Interp.IO;

/// <summary>
/// Writes a file through a temporary sibling (path + "." + process id + ".tmp"), flushed to disk and then renamed over
/// the path, so a reader or a crash sees the old file or the new one, never half of one. On any exception the temporary
/// file is deleted and the old file is left as it was. A process killed mid-save cannot delete its temporary file, so
/// each write first removes the ones in its folder whose process is gone (a checkpoint folder would otherwise collect
/// a weights-*.safetensors.*.tmp per killed save, forever). A device (a path under /dev, such as /dev/null or
/// /dev/stdout) is written directly: there is no file to replace, and a rename would replace the device.
/// </summary>
public static partial class AtomicFile
{
    /// <param name="write">writes the content into the temporary file</param>
    /// <param name="beforeRename">called between the flush and the rename (tests simulate a crash there)</param>
    public static void Write(string path, Action<Stream> write, Action? beforeRename = null)
    {
        string full = Path.GetFullPath(path), tmp = $"{full}.{Environment.ProcessId}.tmp";
        if (IsDevice(full))
        {
            using var device = new FileStream(full, FileMode.Open, FileAccess.Write);
            write(device);
            return;
        }
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        RemoveLeftovers(dir, full);
        try
        {
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(f);
                f.Flush(flushToDisk: true);
            }
            beforeRename?.Invoke();
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Whether <paramref name="path"/> names an existing device (on Unix, a file under /dev).</summary>
    public static bool IsDevice(string path)
    {
        string full = Path.GetFullPath(path);
        return !OperatingSystem.IsWindows() && full.StartsWith("/dev/", StringComparison.Ordinal) && File.Exists(full);
    }

    [GeneratedRegex(@"\.(\d+)\.tmp$")]
    private static partial Regex OwnedTemporary();

    /// <summary>Deletes the temporary files of saves whose process no longer runs (and this path's old-style path + ".tmp").</summary>
    static void RemoveLeftovers(string dir, string full)
    {
        foreach (var file in Directory.EnumerateFiles(dir, "*.tmp"))
        {
            var m = OwnedTemporary().Match(file);
            bool stale = m.Success ? int.TryParse(m.Groups[1].Value, out int pid) && pid != Environment.ProcessId && !Running(pid) : file == full + ".tmp";
            if (!stale) continue;
            try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    static bool Running(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, f => f.Write(bytes));

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
}
