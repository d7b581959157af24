using System.Text.Json;
using Interp.Autograd;
using Interp.IO;

namespace Interp.Cli;

/// <summary>
/// The exit statuses of <c>interp</c>, and how an exception that ends a verb becomes one of them and one line on
/// stderr. Bad input is what the user can fix (an argument, a model or data file, a checkpoint, an output folder that
/// cannot be written); a failure is the machine's (a full disk, an I/O error, out of memory) or, for an exception of
/// no known kind, the program's.
/// </summary>
public static class ExitStatus
{
    public const int Failure = 1;
    public const int BadInput = 2;
    /// <summary><c>train modadd</c>: the steps ran out before the target accuracy.</summary>
    public const int NotReached = 3;
    /// <summary>A NaN or infinite loss or parameter stopped an optimisation (<see cref="NonFiniteException"/>).</summary>
    public const int Diverged = 4;
    /// <summary>Ctrl-C stopped the run after saving a checkpoint.</summary>
    public const int Interrupted = 130;

    /// <summary>Set to 1 to have the stack trace printed after the one line (for debugging the program itself).</summary>
    public const string StackTraceVariable = "INTERP_STACK_TRACE";

    public static (int Status, string Line) Of(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Of(a.InnerExceptions[0]),   // from a parallel loop
        System.Reflection.TargetInvocationException { InnerException: { } inner } => Of(inner),
        NonFiniteException => (Diverged, FirstLine(e)),
        OutOfMemoryException or InsufficientExecutionStackException => (Failure, $"out of memory: {FirstLine(e)}"),
        _ when IsBadInput(e) => (BadInput, FirstLine(e)),
        IOException => (Failure, FirstLine(e)),
        _ => (Failure, $"internal error ({e.GetType().Name}): {FirstLine(e)}"),
    };

    // the library's own refusals of files and arguments (they name the file or argument); a file that is missing
    // or ends early is bad input, any other IOException the machine's
    static bool IsBadInput(Exception e) => e is CliError or ArgumentException or InvalidDataException or JsonException or FormatException
        or SafeTensorsFormatException or TorchPickleException or UnauthorizedAccessException or NotSupportedException or IndexOutOfRangeException
        or FileNotFoundException or DirectoryNotFoundException or EndOfStreamException or PathTooLongException;

    /// <summary>A diverged training run's error, saying what is left in its checkpoint folder.</summary>
    public static NonFiniteException NotingTheCheckpoint(NonFiniteException e, string dir) => new(e.Message +
        (Interp.Training.Checkpoint.Exists(dir) ? $" (the last checkpoint in '{dir}' is intact)" : " (no checkpoint was saved before it)"));

    static string FirstLine(Exception e) => e.Message.Split('\n')[0].TrimEnd('\r');
}
