using System.Reflection;

namespace Interp.Tests.Examples;

/// <summary>Runs a walkthrough's real Main in-process and returns its exit code and what it printed.</summary>
public static class ExampleRunner
{
    public static (int Exit, string Output) Run(string assemblyName, params string[] args)
    {
        var entry = Assembly.Load(new AssemblyName(assemblyName)).EntryPoint
            ?? throw new InvalidOperationException($"{assemblyName} has no entry point");
        try
        {
            var (exit, output, _) = ConsoleCapture.Run(() =>
            {
                object? result = entry.GetParameters().Length == 0 ? entry.Invoke(null, null) : entry.Invoke(null, [args]);
                return result switch { int code => code, Task<int> t => t.GetAwaiter().GetResult(), _ => 0 };
            });
            return (exit, output);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new InvalidOperationException($"{assemblyName} threw {e.InnerException.GetType().Name}: {e.InnerException.Message}", e.InnerException);
        }
    }

    /// <summary>A fresh temporary folder for one example's output files.</summary>
    public static string TempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"interp-example-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
