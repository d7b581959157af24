using System.Text;
using System.Text.Json;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

namespace Interp.Notebooks.Tests;

/// <summary>One code cell's outcome: what it printed, what it displayed (by MIME type), and its error if it failed.</summary>
public sealed record CellRun(int Index, string Code, string Output, IReadOnlyList<(string MimeType, string Value)> Displayed, string? Error);

/// <summary>
/// Runs a notebook's code cells in order through .NET Interactive's C# kernel, in this process (no Jupyter): a fresh
/// kernel per notebook, its working folder the notebook's, as in VS Code and Jupyter. After the cell tagged
/// "parameters" (papermill's convention) it submits <c>parameters</c>, the test's small sizes.
/// </summary>
public static class NotebookRunner
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string NotebooksDir => Path.Combine(RepoRoot, "notebooks");

    /// <summary>The code cells of an .ipynb: their source and tags.</summary>
    public static IReadOnlyList<(string Code, string[] Tags)> CodeCells(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var cells = new List<(string, string[])>();
        foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray())
        {
            if (cell.GetProperty("cell_type").GetString() != "code") continue;
            var source = cell.GetProperty("source");
            string code = source.ValueKind == JsonValueKind.Array ? string.Concat(source.EnumerateArray().Select(s => s.GetString())) : source.GetString()!;
            string[] tags = cell.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("tags", out var t)
                ? [.. t.EnumerateArray().Select(x => x.GetString()!)] : [];
            cells.Add((code, tags));
        }
        return cells;
    }

    public static async Task<IReadOnlyList<CellRun>> Run(string path, string parameters)
    {
        var cells = CodeCells(path);
        if (!cells.Any(c => c.Tags.Contains("parameters")))
            throw new InvalidOperationException($"{Path.GetFileName(path)}: no code cell tagged \"parameters\" for the test's sizes");
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Path.GetDirectoryName(path)!);
        try
        {
            using var kernel = new CompositeKernel { new CSharpKernel().UseKernelHelpers().UseValueSharing() };
            kernel.DefaultKernelName = "csharp";
            var runs = new List<CellRun>();
            for (int i = 0; i < cells.Count; i++)
            {
                var run = await Submit(kernel, i, Configured(cells[i].Code));
                runs.Add(run);
                if (run.Error is not null) break;
                if (cells[i].Tags.Contains("parameters"))
                {
                    var overrides = await Submit(kernel, i, parameters);
                    runs.Add(overrides.Error is null ? overrides : overrides with { Error = "the test's parameters: " + overrides.Error });
                    if (overrides.Error is not null) break;
                }
            }
            return runs;
        }
        finally { Directory.SetCurrentDirectory(previous); }
    }

    /// <summary>The notebooks #r the Release build; a test built in another configuration loads its own.</summary>
    static string Configured(string code) =>
        Configuration == "Release" ? code : code.Replace("/bin/Release/", $"/bin/{Configuration}/");

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    static async Task<CellRun> Submit(Kernel kernel, int index, string code)
    {
        var result = await kernel.SubmitCodeAsync(code);
        var output = new StringBuilder();
        var displayed = new List<(string, string)>();
        string? error = null;
        foreach (var e in result.Events)
            switch (e)
            {
                case StandardOutputValueProduced o: output.Append(o.FormattedValues.FirstOrDefault()?.Value); break;
                case StandardErrorValueProduced o: output.Append(o.FormattedValues.FirstOrDefault()?.Value); break;
                case DisplayEvent d: displayed.AddRange(d.FormattedValues.Select(v => (v.MimeType, v.Value))); break;
                case CommandFailed f: error = f.Message; break;
            }
        return new CellRun(index, code, output.ToString(), displayed, error);
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interp.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Interp.sln above {AppContext.BaseDirectory}");
    }
}
