using Xunit;

namespace Interp.Tests;

/// <summary>Tests that redirect Console.Out/Error run alone, so no other test's output lands in what they capture.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;

public static class ConsoleCapture
{
    /// <summary>Runs <paramref name="run"/> with stdout and stderr captured; returns its result and both texts.</summary>
    public static (int Exit, string Out, string Error) Run(Func<int> run)
    {
        var (oldOut, oldError) = (Console.Out, Console.Error);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try { return (run(), stdout.ToString(), stderr.ToString()); }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}
