namespace Interp.Autograd;

/// <summary>
/// Gradient parts given as a scale of a sign. The gradient of Σ|x| over some dims is s·sign(x), s the output gradient
/// spread over those dims (for an SAE's L1 penalty on its [batch, features] activations, one value per row): written
/// out it is a full pass over x, and its producer reads it again. When x's producer can take a part in that form
/// (<see cref="Node.TakesSignScaled"/>: a ReLU's backward computes (g + s·sign(x))·step(x) in its own pass) and
/// nothing observes x's gradient (no hook, no retained grad, the backward not recorded), the engine asks the reader
/// for s alone (<see cref="Node.SignScaleOf"/>) and hands the producer the other parts' sum and s. The result is the
/// one the written-out part gives, so this is only ever an optimisation.
/// </summary>
public static class SignScaled
{
    /// <summary>Whether <paramref name="reader"/>'s gradient for its one input goes to that input's producer as a scale (see above).</summary>
    internal static bool Wanted(Node reader, bool[]? rowSummed) =>
        rowSummed is null && reader.GivesSignScale
        && reader.Next[0].Node is { TakesSignScaled: true, OutputHooks: null, RetainedOutput: null };
}
