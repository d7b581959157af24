using static Interp.Tests.Autograd.Ops.Samples;

namespace Interp.Tests.Autograd.Ops;

/// <summary>The spec of src/Autograd/Ops/Einsum.cs: einsum of one or two operands (its rules are tested in tests/Autograd/EinsumTests.cs).</summary>
[OpSpecs]
public static class EinsumSpecs
{
    static Fixture One(string name, string equation, Leaf a) => new(name, On([a, null], Kw(("equation", equation))));
    static Fixture Two(string name, string equation, Leaf a, Leaf b) => new(name, On([a, b], Kw(("equation", equation))));

    static readonly Fixture[] Cases =
    [
        Two("einsum_mm", "ij,jk->ik", new(3, 4), new(4, 5)),
        Two("einsum_bmm", "bij,bjk->bik", new(2, 3, 4), new(2, 4, 5)),
        One("einsum_diag", "ii->i", new(4, 4)),
        One("einsum_trace", "ii", new(4, 4)),
        One("einsum_transpose", "ij->ji", new(3, 4)),
        Two("einsum_ellipsis", "...ij,...jk->...ik", new(2, 3, 4), new(2, 4, 5)),
        Two("einsum_attn", "bhqd,bhkd->bhqk", new(2, 2, 3, 4), new(2, 2, 5, 4)),
        Two("einsum_dot", "i,i->", new(5), new(5)),
        Two("einsum_hadamard", "ij,ij->ij", new(3, 4), new(3, 4)),
    ];

    // torch.einsum takes the equation first: make_op_fixtures.py's interp.einsum puts it there
    public static readonly OpSpec Einsum = new("einsum", [new("a", Domain.Any), new("b", Domain.Any)],
        a => Tensor.Einsum(a.Kw.Str("equation", ""), a.Present))
    {
        // FloatOnly false: an int32 operand's error comes from matmul inside and names matmul, not einsum (left as is)
        Torch = "interp.einsum", FloatOnly = false, Sample = OneOf(Cases.Select(c => c.Call).ToArray()), Fixtures = Cases,
    };
}
