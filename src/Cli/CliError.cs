namespace Interp.Cli;

/// <summary>A user mistake on the command line or in a named file: the program prints "interp VERB: message" and exits 2 (<see cref="ExitStatus.BadInput"/>).</summary>
public sealed class CliError(string message) : Exception(message);
