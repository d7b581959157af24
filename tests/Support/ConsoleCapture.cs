using System.Text;

namespace Interp.Tests;

/// <summary>
/// Runs code with Console.Out and Console.Error captured. Console is process-wide, so tests that use this belong to
/// the "Console" collection, which never runs beside another test.
/// </summary>
public static class ConsoleCapture
{
    static readonly object Lock = new();

    public static (int Exit, string Out, string Err) Run(Func<int> body)
    {
        lock (Lock)
        {
            var (stdout, stderr) = (Console.Out, Console.Error);
            var (o, e) = (new StringWriter(new StringBuilder()), new StringWriter(new StringBuilder()));
            Console.SetOut(o);
            Console.SetError(e);
            try { return (body(), o.ToString(), e.ToString()); }
            finally { Console.SetOut(stdout); Console.SetError(stderr); }
        }
    }
}
