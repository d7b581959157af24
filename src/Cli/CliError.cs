namespace Interp.Cli;

/// <summary>A user mistake on the command line or in a named file: the program prints "interp VERB: message" and exits 1.</summary>
public sealed class CliError(string message) : Exception(message);
