using Interp.Testing;
using static Interp.Tests.Autograd.Ops.Bad;
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

    /// <summary>Bad calls of this file's ops (with the ones generated from the specs, run by BadInputTests).</summary>
    public static readonly BadInput[] BadInputs =
    [
        new("einsum with too few operands", Arg, () => Tensor.Einsum("ij,jk->ik", F(2, 3)), "einsum", "ij,jk->ik"),
        new("einsum with mismatched sizes", Arg, () => Tensor.Einsum("ij,jk->ik", F(2, 3), F(4, 5)), "einsum", "'j'", "3", "4"),
        new("einsum with subscripts that do not match the rank", Arg, () => Tensor.Einsum("ij->i", F(2)), "einsum", "ij", "[2]"),
        new("einsum with an output letter not in the inputs", Arg, () => Tensor.Einsum("ij->k", F(2, 2)), "einsum", "k"),
    ];
}
