using System.Text;
using Interp.Data;
using Xunit;

namespace Interp.Tests.Models.Data;

public sealed class CodeCorpusTests
{
    static void Write(TempDir dir, string relative, string text)
    {
        string path = dir.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(text));
    }

    [Fact]
    public void TheHashIsSha256OfTheListingAsPythonComputesIt()
    {
        using var dir = new TempDir();
        Write(dir, "a.py", "print('a')\n");
        Write(dir, "pkg/b.py", "x = 1\n");
        Write(dir, "z.py", "é = 2\n");
        Write(dir, "pkg/test/c.py", "skipped = True\n");          // the test package
        Write(dir, "site-packages/d.py", "skipped = True\n");     // third-party code
        Write(dir, "notes.txt", "not python\n");
        var corpus = CodeCorpus.FromFolder(dir.Path);
        Assert.Equal(["a.py", "pkg/b.py", "z.py"], corpus.Files.Select(f => f.Path));
        // hashlib.sha256("".join(f"{p}\t{hashlib.sha256(c).hexdigest()}\n" for p, c in files).encode()), by /usr/bin/python3
        Assert.Equal("da28c991ee7401698c1fa7116e7a36e03df37d1e29ecc0d533dfad679be1c9ff", corpus.Sha256);
        Assert.Equal(Encoding.UTF8.GetByteCount("é = 2\n"), corpus.Files[2].Bytes);

        Write(dir, "z.py", "é = 3\n");
        Assert.NotEqual(corpus.Sha256, CodeCorpus.FromFolder(dir.Path).Sha256);
    }

    [Fact]
    public void TheSplitDependsOnlyOnTheFilesAndTheSeed()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 40; i++) Write(dir, $"m{i:D2}.py", $"value = {i}\n");
        var a = CodeCorpus.FromFolder(dir.Path, seed: 7);
        var b = CodeCorpus.FromFolder(dir.Path, seed: 7);
        var c = CodeCorpus.FromFolder(dir.Path, seed: 8);
        Assert.Equal(a.HeldOut.Select(f => f.Path), b.HeldOut.Select(f => f.Path));
        Assert.Equal(a.Train.Select(f => f.Path), b.Train.Select(f => f.Path));
        Assert.NotEqual(a.HeldOut.Select(f => f.Path), c.HeldOut.Select(f => f.Path));
        Assert.Equal(4, a.HeldOut.Count);
        Assert.Equal(a.Files.Select(f => f.Path).Order(StringComparer.Ordinal), a.Train.Concat(a.HeldOut).Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Empty(a.Train.Select(f => f.Path).Intersect(a.HeldOut.Select(f => f.Path)));

        using var json = new TempDir();
        a.Save(json.File("corpus.json"));
        var saved = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json.File("corpus.json"))).RootElement;
        Assert.Equal(a.Sha256, saved.GetProperty("sha256").GetString());
        Assert.Equal(36, saved.GetProperty("train").GetArrayLength());
    }

    [Fact]
    public void AMissingOrFailingPythonIsAClearError()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => CodeCorpus.FindStdlib("/no/such/python3"));
        Assert.Contains("/no/such/python3", missing.Message);
        var failing = Assert.Throws<InvalidDataException>(() => CodeCorpus.FindStdlib("false"));
        Assert.Contains("'false' failed to name its standard library", failing.Message);
        Assert.Throws<DirectoryNotFoundException>(() => CodeCorpus.FromFolder("/no/such/folder"));
    }

    [Fact]
    public void TheMachinesPythonNamesAStandardLibraryWithPythonFiles()
    {
        var (root, version) = CodeCorpus.FindStdlib("/usr/bin/python3");
        Assert.True(File.Exists(Path.Combine(root, "os.py")), root);
        Assert.Matches(@"^3\.\d+", version);
    }
}
