namespace Interp.Analysis.Rules;

/// <summary>
/// A rule that does not parse or does not make sense, with the 1-based column where the problem starts.
/// <see cref="Pointer"/> shows the rule with a caret under that column.
/// </summary>
public sealed class RuleSyntaxError(string rule, int column, string problem)
    : ArgumentException($"rule, column {column}: {problem}")
{
    public string Rule { get; } = rule;
    public int Column { get; } = column;
    public string Problem { get; } = problem;

    /// <summary>The same error located in the rule's text (nodes that fail while evaluating do not know it).</summary>
    public RuleSyntaxError In(string rule) => new(rule, Column, Problem);

    /// <summary>Two lines: the rule, and a caret under the column.</summary>
    public string Pointer => $"{Rule}\n{new string(' ', Math.Max(0, Column - 1))}^";
}
