namespace Interp.Tests.FixtureOps;

/// <summary>The einsum fixture cases: the equation is in the metadata, the operands are inputs a (and b).</summary>
internal static class EinsumFixtureOps
{
    [FixtureOp("einsum")]
    static Tensor Einsum(FixtureCase c) => c.Has("b")
        ? Tensor.Einsum(c.Str("equation"), c.In("a"), c.In("b"))
        : Tensor.Einsum(c.Str("equation"), c.In("a"));
}
