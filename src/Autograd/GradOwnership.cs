namespace Interp.Autograd;

/// <summary>
/// Which gradients a backward pass may hand to a leaf as its .Grad without a copy, as PyTorch's AccumulateGrad takes a
/// gradient that nothing else holds: a tensor over the whole of a storage created during this pass, given to one vertex
/// only and seen by no hook. Anything else (the caller's output gradient, a saved or forward tensor that a rule
/// returned, one tensor given to two inputs as an addition's rule does, a view) is copied, so that an in-place change
/// of the leaf's .Grad afterwards (gradient clipping) never reaches another tensor. Copying every leaf's gradient cost
/// a toy GPT step (3.4 M parameters) 1.5 % of its time.
/// </summary>
internal sealed class GradOwnership
{
    /// <summary>Storages with this serial or a later one were created during the pass.</summary>
    readonly long firstSerial = Storage.NextSerial;
    /// <summary>How many times a tensor over each storage was handed to a vertex (2 stands for "or seen elsewhere").</summary>
    readonly Dictionary<Storage, int> handedOut = new(ReferenceEqualityComparer.Instance);

    /// <summary>g goes to a vertex as (a part of) its gradient.</summary>
    public void HandedOut(Tensor g) => handedOut[g.Storage] = handedOut.GetValueOrDefault(g.Storage) + 1;

    /// <summary>Something besides the pass may keep g (a hook saw it).</summary>
    public void Shared(Tensor g) => handedOut[g.Storage] = 2;

    /// <summary>Whether g may become a leaf's .Grad as it is (see the class).</summary>
    public bool Owns(Tensor g) => g.Storage.Serial >= firstSerial && handedOut.GetValueOrDefault(g.Storage) <= 1
        && g.Offset == 0 && g.IsContiguous && g.Numel == g.Storage.Length;
}
