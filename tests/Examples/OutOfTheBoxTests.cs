using System.Diagnostics;
using Xunit;

namespace Interp.Tests.Examples;

/// <summary>
/// The walkthroughs as a new user runs them, in their own process: with no arguments on a checkout where nothing was
/// trained they still run (report/model, or a small model trained in seconds); a missing input is one line on stderr
/// naming the command that makes it, not a stack trace.
/// </summary>
public class OutOfTheBoxTests
{
    static (int Exit, string Stdout, string Stderr) RunExample(string assembly, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath() };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly + ".dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000)) { p.Kill(true); throw new TimeoutException($"{assembly} ran past 5 minutes"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void TheForwardPassWalkthroughRunsWithNoArguments()
    {
        var (exit, stdout, stderr) = RunExample("Interp.Examples.ForwardPass");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("max |difference| from model.Forward", stdout);
    }

    [Theory]
    [InlineData("Interp.Examples.ForwardPass", "interp train induction")]
    [InlineData("Interp.Examples.ResidualNorms", "interp train induction")]
    [InlineData("Interp.Examples.FeatureVisualization", "INTERP_SHARED_DATA")]
    [InlineData("Interp.Examples.Gpt2Small", "model.safetensors")]
    public void AMissingInputIsOneLineNamingWhatMakesIt(string assembly, string remedy)
    {
        string missing = Path.Combine(Path.GetTempPath(), "interp-no-such-model-" + Guid.NewGuid().ToString("N"));
        var (exit, stdout, stderr) = RunExample(assembly, missing);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        var lines = stderr.Trim().Split('\n');
        Assert.True(lines.Length == 1, stderr);
        Assert.Contains(missing, lines[0]);
        Assert.Contains(remedy, lines[0]);
    }
}
