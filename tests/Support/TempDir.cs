namespace Interp.Tests;

/// <summary>A fresh temporary folder, deleted on Dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "interp-io-" + Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Path);
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    /// <summary>Whether <paramref name="dir"/> holds no file (at any depth) or does not exist: a refused run wrote nothing.</summary>
    public static bool IsEmptyOrMissing(string dir) => !Directory.Exists(dir) || !Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Any();
}
