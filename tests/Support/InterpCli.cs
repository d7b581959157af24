using Xunit;

namespace Interp.Tests;

/// <summary>The <c>interp</c> program run in-process with the console captured (tests using it join the "Console" collection).</summary>
public static class InterpCli
{
    public static (int Exit, string Out, string Err) Run(params string[] args) => ConsoleCapture.Run(() => CommandLine.Execute(args));

    /// <summary>What a refused command line printed on stderr (its exit status must be 1); its last line is the reason.</summary>
    public static string Refusal(params string[] args)
    {
        var (exit, _, stderr) = Run(args);
        Assert.True(exit == 1, $"expected exit 1, got {exit}: {stderr}");
        return stderr;
    }
}
