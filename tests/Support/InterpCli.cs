using Xunit;

namespace Interp.Tests;

/// <summary>The <c>interp</c> program run in-process with the console captured (tests using it join the "Console" collection).</summary>
public static class InterpCli
{
    public static (int Exit, string Out, string Err) Run(params string[] args) => ConsoleCapture.Run(() => CommandLine.Execute(args));

    /// <summary>What a refused command line printed on stderr (its exit status must be 2, bad input); its last line is the reason.</summary>
    public static string Refusal(params string[] args)
    {
        var (exit, _, stderr) = Run(args);
        Assert.True(exit == 2, $"expected exit 2, got {exit}: {stderr}");
        return stderr;
    }

    /// <summary>
    /// Runs a command that must fail: the exit status <paramref name="exit"/>, exactly one line on stderr starting
    /// "interp" (so no stack trace) that contains every phrase; returns that line.
    /// </summary>
    public static string Fails(string[] args, int exit, params string[] phrases)
    {
        var (code, _, stderr) = Run(args);
        string shown = $"interp {string.Join(' ', args)}\n{stderr}";
        Assert.True(code == exit, $"expected exit {exit}, got {code}: {shown}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}: {shown}");
        Assert.StartsWith("interp ", lines[0]);
        Assert.DoesNotContain(" at Interp.", stderr);
        foreach (var phrase in phrases) Assert.True(lines[0].Contains(phrase), $"'{phrase}' is not in: {lines[0]}");
        return lines[0];
    }
}
