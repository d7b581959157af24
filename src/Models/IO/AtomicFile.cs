using System.Text;

namespace Interp.IO;

/// <summary>
/// Writes a file through a temporary sibling (path + ".tmp"), flushed to disk and then renamed over the path, so a
/// reader or a crash sees the old file or the new one, never half of one. On any exception the temporary file is
/// deleted and the old file is left as it was.
/// </summary>
public static class AtomicFile
{
    /// <param name="write">writes the content into the temporary file</param>
    /// <param name="beforeRename">called between the flush and the rename (tests simulate a crash there)</param>
    public static void Write(string path, Action<Stream> write, Action? beforeRename = null)
    {
        string full = Path.GetFullPath(path), tmp = full + ".tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
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

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, f => f.Write(bytes));

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
}
