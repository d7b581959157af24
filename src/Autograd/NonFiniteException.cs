namespace Interp.Autograd;

/// <summary>
/// A NaN or an infinity where a finite number is needed: an op's output in anomaly mode, or the loss or a parameter
/// of an optimisation (<c>Interp.Training.Divergence</c>). Its own type, so that callers can tell a diverged run from
/// the other arithmetic errors (an overflowing size is bad input, not divergence).
/// </summary>
public sealed class NonFiniteException(string message) : ArithmeticException(message);
