using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Interp.IO;

namespace Interp.Data;

/// <summary>One file of a <see cref="CodeCorpus"/>: its path relative to the corpus root, size and SHA-256 (hex).</summary>
public sealed record CorpusFile(string Path, long Bytes, string Sha256);

/// <summary>
/// Real code to train language models on: the <c>.py</c> files under a folder — by default the standard library of the
/// machine's python3, found by asking it (<c>sysconfig.get_paths()['stdlib']</c>) — listed in ordinal order of their
/// relative paths, without third-party packages (site-packages, dist-packages), the regression-test package
/// (test/, tests/, idle_test/, whose presence differs between distributions) and caches. The files are split 90/10
/// into training and held-out files by a seeded shuffle, so the split depends only on the list and the seed.
/// <see cref="Sha256"/> fingerprints the whole corpus (every path and file hash), and corpus.json records it with the
/// file lists beside every model trained on it.
/// </summary>
public sealed class CodeCorpus
{
    static readonly string[] SkippedFolders = ["site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"];

    CodeCorpus(string root, string source, IReadOnlyList<CorpusFile> files, IReadOnlyList<CorpusFile> train, IReadOnlyList<CorpusFile> heldOut, ulong seed)
    {
        (Root, Source, Files, Train, HeldOut, Seed) = (root, source, files, train, heldOut, seed);
        Sha256 = HashOf(files);
    }

    /// <summary>The folder the paths are relative to.</summary>
    public string Root { get; }
    /// <summary>Where the corpus came from, e.g. "python3 3.11.7 standard library" or "folder".</summary>
    public string Source { get; }
    public IReadOnlyList<CorpusFile> Files { get; }
    public IReadOnlyList<CorpusFile> Train { get; }
    public IReadOnlyList<CorpusFile> HeldOut { get; }
    public ulong Seed { get; }
    /// <summary>SHA-256 (hex) of the lines "path\tsha256\n" of every file in list order.</summary>
    public string Sha256 { get; }
    public long TotalBytes => Files.Sum(f => f.Bytes);

    /// <summary>The standard library of <paramref name="python"/> (a command on PATH or a path); its failure is reported with what it printed.</summary>
    public static CodeCorpus FromPythonStdlib(string python = "python3", ulong seed = 0, double heldOutFraction = 0.1, int? maxFiles = null)
    {
        var (root, version) = FindStdlib(python);
        return FromFolder(root, seed, heldOutFraction, maxFiles, $"{python} {version} standard library");
    }

    /// <summary>Asks <paramref name="python"/> for its standard library folder and version.</summary>
    public static (string Root, string Version) FindStdlib(string python = "python3")
    {
        const string script = "import sys, sysconfig; print(sysconfig.get_paths()['stdlib']); print(sys.version.split()[0])";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        Process process;
        try { process = Process.Start(start) ?? throw new InvalidOperationException("no process"); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new FileNotFoundException($"code corpus: cannot run '{python}' to find the Python standard library ({e.Message}); install python3 or pass a folder of .py files");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
                throw new InvalidOperationException($"code corpus: '{python} -c ...' did not answer within 30 s");
            }
            var lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (process.ExitCode != 0 || lines.Length < 2)
                throw new InvalidDataException($"code corpus: '{python}' failed to name its standard library (exit {process.ExitCode}): {stderr.Result.Trim()}{stdout.Result.Trim()}");
            if (!Directory.Exists(lines[0])) throw new DirectoryNotFoundException($"code corpus: '{python}' names '{lines[0]}' as its standard library, which is not a folder");
            return (lines[0], lines[1]);
        }
    }

    /// <summary>The .py files under <paramref name="root"/> (see the class summary), split with <paramref name="seed"/>.</summary>
    /// <param name="maxFiles">keep only the first n files of the sorted list (small runs)</param>
    public static CodeCorpus FromFolder(string root, ulong seed = 0, double heldOutFraction = 0.1, int? maxFiles = null, string source = "folder")
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"code corpus: no folder '{root}'");
        if (!(heldOutFraction > 0 && heldOutFraction < 1)) throw new ArgumentException($"code corpus: the held-out fraction must lie in (0, 1), got {heldOutFraction}");
        var paths = Directory.EnumerateFiles(root, "*.py", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Where(p => !p.Split('/')[..^1].Any(SkippedFolders.Contains))
            .Order(StringComparer.Ordinal).ToList();
        if (maxFiles is int m) paths = paths.Take(m).ToList();
        if (paths.Count < 2) throw new InvalidDataException($"code corpus: '{root}' holds {paths.Count} .py file(s) outside tests and packages; a split needs at least 2");
        var files = paths.Select(p => Describe(root, p)).ToList();
        var order = Interp.Training.Trainer.Permutation(files.Count, new Generator(seed));
        int heldOut = Math.Clamp((int)Math.Round(files.Count * heldOutFraction), 1, files.Count - 1);
        var held = order.Take(heldOut).Order().Select(i => files[i]).ToList();
        var train = order.Skip(heldOut).Order().Select(i => files[i]).ToList();
        return new CodeCorpus(Path.GetFullPath(root), source, files, train, held, seed);
    }

    /// <summary>A file's text (UTF-8; undecodable bytes become U+FFFD).</summary>
    public string Read(CorpusFile file) => File.ReadAllText(Path.Combine(Root, file.Path), Encoding.UTF8);

    /// <summary>Writes corpus.json: source, root, seed, hash, sizes and both file lists.</summary>
    public void Save(string path) => JsonFile.Write(path, new
    {
        source = Source, root = Root, seed = Seed, sha256 = Sha256, files = Files.Count, bytes = TotalBytes,
        train = Train.Select(f => new { path = f.Path, bytes = f.Bytes, sha256 = f.Sha256 }),
        held_out = HeldOut.Select(f => new { path = f.Path, bytes = f.Bytes, sha256 = f.Sha256 }),
    });

    static CorpusFile Describe(string root, string relative)
    {
        var bytes = File.ReadAllBytes(Path.Combine(root, relative));
        return new CorpusFile(relative, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    static string HashOf(IEnumerable<CorpusFile> files)
    {
        var text = new StringBuilder();
        foreach (var f in files) text.Append(f.Path).Append('\t').Append(f.Sha256).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
