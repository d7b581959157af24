using System.Reflection;
using Interp.Autograd;
using Interp.Tests.Autograd.Ops;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Autograd;

/// <summary>
/// Bad arguments to the public core ops: each fails with the expected exception type, and its message names the op
/// and the offending shapes or values (never an IndexOutOfRange or NullReference from inside a kernel). The rows of
/// the ops in the op table live in their spec files (tests/Autograd/Ops/*Specs.cs, with the ones the table
/// generates); the rows here are the rest: factories, data access, devices, autograd entry points, diagonal, dropout.
/// </summary>
public class BadInputTests(ITestOutputHelper output)
{
    sealed record Case(Type Exception, Func<object> Act, params string[] Fragments);

    static Tensor F(params int[] shape) => Tensor.Zeros(shape, DType.Float64);
    static Tensor F32(params int[] shape) => Tensor.Zeros(shape, DType.Float32);
    static Tensor I32(params int[] shape) => Tensor.Zeros(shape, DType.Int32);

    static readonly Type Arg = typeof(ArgumentException), Range = typeof(ArgumentOutOfRangeException),
        Index = typeof(IndexOutOfRangeException), Invalid = typeof(InvalidOperationException);

    static readonly Dictionary<string, Case> Cases = new()
    {
        // data access and autograd
        ["Item of a multi-element tensor"] = new(Invalid, () => F(2, 3).Item(), "item", "6 elements", "[2, 3]"),
        ["GetValue with an index out of range"] = new(Index, () => F(2, 3).GetValue(0, 3), "get_value", "index 3", "size 3"),
        ["Backward of a non-scalar without a gradient"] = new(Invalid, () => { Tensor.Ones([2, 3], DType.Float64, requiresGrad: true).Exp().Backward(); return 0; }, "backward", "scalar", "[2, 3]"),
        ["Backward with a gradient of the wrong shape"] = new(Arg, () => { Tensor.Ones([2, 3], DType.Float64, requiresGrad: true).Exp().Backward(F(3, 2)); return 0; }, "backward", "[3, 2]", "[2, 3]"),
        ["Backward of a tensor that needs no grad"] = new(Invalid, () => { F().Backward(); return 0; }, "backward", "does not require grad"),
        ["RequiresGrad on int32"] = new(Invalid, () => I32(2).RequiresGrad = true, "RequiresGrad", "int32"),
        // factories
        ["FromArray with a shape that does not fit the data"] = new(Arg, () => Tensor.FromArray([1.0, 2, 3, 4, 5, 6], [2, 2]), "from_array", "6 values", "[2, 2]"),
        ["FromArray of ints with a shape that does not fit"] = new(Arg, () => Tensor.FromArray([1, 2, 3], [2, 2]), "from_array", "3 values", "[2, 2]"),
        ["Zeros with a negative size"] = new(Arg, () => Tensor.Zeros([2, -1]), "zeros", "[2, -1]"),
        ["Ones with a negative size"] = new(Arg, () => Tensor.Ones([-3]), "ones", "[-3]"),
        ["Full with a negative size"] = new(Arg, () => Tensor.Full([-1, 2], 7), "full", "[-1, 2]"),
        ["Randn with a negative size"] = new(Arg, () => Tensor.Randn([4, -2]), "randn", "[4, -2]"),
        ["RandInt with a negative size"] = new(Arg, () => Tensor.RandInt(0, 5, [-1]), "randint", "[-1]"),
        ["FromArray with a negative size"] = new(Arg, () => Tensor.FromArray([1.0, 2], [-1, -2]), "from_array", "[-1, -2]"),
        ["Arange with step 0"] = new(Arg, () => Tensor.Arange(0, 5, 0), "arange", "step"),
        // devices (the ILGPU CPU accelerator is a second device on any machine)
        ["To a CUDA device that does not exist"] = new(Invalid, () => F(2).To(Device.Cuda(99)), "cuda", "99"),
        // diagonal and dropout
        ["diagonal with equal dims"] = new(Arg, () => F(3, 3).Diagonal(0, 1, 1), "diagonal", "1"),
        ["diagonal with a dim out of range"] = new(Range, () => F(3, 3).Diagonal(0, 0, 2), "diagonal", "dim 2"),
        ["dropout with p above 1"] = new(Arg, () => F(3).Dropout(1.5), "dropout", "1.5"),
        ["dropout with a negative p"] = new(Arg, () => F(3).Dropout(-0.1), "dropout", "-0.1"),
        // autograd entry points
        ["requires_grad_ of a non-leaf"] = new(Invalid, () => (Tensor.Ones([2], DType.Float64, requiresGrad: true) * 2.0).RequiresGrad_(), "requires_grad_", "mul"),
        ["retain_grad of a tensor that needs no grad"] = new(Invalid, () => F(2).RetainGrad(), "retain_grad", "does not require grad"),
        ["register_hook on a tensor that needs no grad"] = new(Invalid, () => F(2).RegisterHook(g => g), "register_hook", "does not require grad"),
    };

    /// <summary>The rows here and the ones the op table generates (tests/Autograd/Ops/GeneratedBadInputs.cs); the table's other ops are properties (BadInputPropertyTests).</summary>
    static readonly Dictionary<string, Case> AllCases = Cases
        .Concat(GeneratedBadInputs.All().Select(b => KeyValuePair.Create(b.Description, new Case(b.Exception, b.Act, b.Fragments))))
        .ToDictionary();

    public static IEnumerable<object[]> Names() => AllCases.Keys.Select(k => new object[] { k });

    /// <summary>Public ops that accept every tensor (no shape, dtype or value can be wrong), so no row can exist.</summary>
    static readonly string[] AcceptAnything = ["ScalarLike", "Contiguous", "Clone", "Detach", "Neg", "Abs", "Sign", "Square", "Relu"];

    /// <summary>The public ops: methods of the public static classes in Interp.Autograd's namespace Interp (the extension members in src/Autograd/Ops and the autograd extensions).</summary>
    static IEnumerable<string> PublicOps() =>
        typeof(Graph).Assembly.GetExportedTypes()
            .Where(t => t is { IsAbstract: true, IsSealed: true, Namespace: "Interp" } && t.Name is not (nameof(Check) or nameof(GradCheck)))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => !m.Name.StartsWith("op_", StringComparison.Ordinal) && !m.Name.StartsWith('<') && m.Name != "Apply")
            .Select(m => m.Name switch { "get_Item" => "indexer", var n when n.StartsWith("get_", StringComparison.Ordinal) => n[4..], var n => n })
            .Distinct();

    static string Normalized(string name) => name.Replace("_", "").ToLowerInvariant();

    [Fact]
    public void EveryPublicOpThatCanGetBadInputHasARow()
    {
        var covered = AllCases.Keys.Select(k => Normalized(k.Split(' ')[0]))
            .Concat(BadInputPropertyTests.Covered().Select(Normalized)).ToHashSet();
        var ops = PublicOps().ToList();
        var missing = ops.Where(op => !covered.Contains(Normalized(op)) && !AcceptAnything.Contains(op)).ToList();
        output.WriteLine($"{ops.Count} public ops, {ops.Count - AcceptAnything.Length} that can get bad input, all with rows; {AllCases.Count} rows");
        Assert.True(missing.Count == 0, "public ops without a bad-input row: " + string.Join(", ", missing));
        foreach (var op in AcceptAnything) Assert.Contains(op, ops);   // the exemptions name real ops
    }

    [Theory, MemberData(nameof(Names))]
    public void FailsWithAClearMessage(string name)
    {
        var c = AllCases[name];
        var e = Record.Exception(c.Act);
        Assert.True(e is not null, $"{name}: no exception");
        Assert.True(e.GetType() == c.Exception, $"{name}: {e.GetType().Name} instead of {c.Exception.Name}: {e.Message}");
        foreach (var f in c.Fragments)
            Assert.True(e.Message.Contains(f, StringComparison.Ordinal), $"{name}: message lacks \"{f}\": {e.Message}");
    }
}
