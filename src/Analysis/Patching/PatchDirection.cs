namespace Interp.Analysis.Patching;

/// <summary>
/// Which run is patched with activations of which. The two answer different questions:
/// <list type="bullet">
/// <item><see cref="Denoising"/> (clean → corrupt): run the corrupted prompt and restore one component's clean
/// activation. A high score says the component is <i>sufficient</i> (with the rest corrupted) to bring the behaviour back.</item>
/// <item><see cref="Noising"/> (corrupt → clean): run the clean prompt and break one component with its corrupted
/// activation. A low score says the component is <i>necessary</i>.</item>
/// </list>
/// For an AND of two components (both must be clean) denoising either alone restores nothing while noising either
/// alone destroys everything; for an OR it is the other way round.
/// </summary>
public enum PatchDirection
{
    /// <summary>Base run on the corrupted tokens, activations taken from the clean run.</summary>
    Denoising,
    /// <summary>Base run on the clean tokens, activations taken from the corrupted run.</summary>
    Noising,
}
