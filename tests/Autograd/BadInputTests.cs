using System.Reflection;
using Interp.Autograd;
using Interp.Tests.Autograd.Ops;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Tests.Autograd;

/// <summary>
/// Bad arguments to the public core ops: each fails with the expected exception type, and its message names the op
/// and the offending shapes or values (never an IndexOutOfRange or NullReference from inside a kernel).
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
        // broadcasting and dtypes of the binary ops
        ["add of float32 and float64"] = new(Arg, () => F32(2) + F(2), "add", "float32", "float64"),
        ["mul of float64 and int32"] = new(Arg, () => F(2) * I32(2), "mul", "float64", "int32"),
        ["where with a condition that does not broadcast"] = new(Arg, () => Tensor.Where(F(3), F(2, 2), F(2, 2)), "where", "[3]", "[2, 2]"),
        ["masked_fill with a mask that does not broadcast"] = new(Arg, () => F(2, 3).MaskedFill(F(2), 1), "[2, 3]", "[2]"),
        // float-only ops
        ["gelu with an unknown approximation"] = new(Arg, () => F(2).Gelu("fast"), "gelu", "fast"),
        ["clamp with min above max"] = new(Arg, () => F(2).Clamp(1, 0), "clamp", "min 1", "max 0"),
        // matmul
        ["matmul with mismatched inner dims"] = new(Arg, () => F(2, 3).MatMul(F(4, 5)), "matmul", "[2, 3]", "[4, 5]"),
        ["matmul of vectors of different lengths"] = new(Arg, () => F(3).MatMul(F(4)), "matmul", "3", "4"),
        ["matmul with batch dims that do not broadcast"] = new(Arg, () => F(2, 3, 4).MatMul(F(5, 4, 6)), "matmul", "[2, 3, 4]", "[5, 4, 6]"),
        ["matmul of a rank-0 tensor"] = new(Arg, () => F().MatMul(F(3)), "matmul", "[]", "[3]"),
        ["matmul of float32 and float64"] = new(Arg, () => F32(2, 2).MatMul(F(2, 2)), "matmul", "float32", "float64"),
        // shapes and views
        ["reshape to a wrong numel"] = new(Arg, () => F(2, 3).Reshape(4), "reshape", "[2, 3]", "[4]"),
        ["reshape with two -1"] = new(Arg, () => F(2, 3).Reshape(-1, -1), "reshape", "[-1, -1]"),
        ["reshape with a negative size"] = new(Arg, () => F(2, 3).Reshape(-2, -3), "reshape", "[2, 3]", "[-2, -3]"),
        ["view of a non-viewable layout"] = new(Invalid, () => F(2, 3).T.View(6), "view", "[6]", "[3, 2]"),
        ["permute with too few dims"] = new(Arg, () => F(2, 3, 4).Permute(0, 1), "permute", "[2, 3, 4]"),
        ["permute with a duplicate dim"] = new(Arg, () => F(2, 3, 4).Permute(0, 0, 1), "permute", "[0, 0, 1]"),
        ["permute with a dim out of range"] = new(Range, () => F(2, 3, 4).Permute(0, 1, 3), "permute", "dim 3", "[2, 3, 4]"),
        ["transpose with a dim out of range"] = new(Range, () => F(2, 3).Transpose(0, 2), "transpose", "dim 2", "[2, 3]"),
        ["transpose with a negative dim out of range"] = new(Range, () => F(2, 3).Transpose(-3, 0), "transpose", "dim -3", "[2, 3]"),
        ["T of a rank-3 tensor"] = new(Arg, () => F(2, 3, 4).T, "T", "[2, 3, 4]"),
        ["squeeze with a dim out of range"] = new(Range, () => F(2, 1).Squeeze(2), "squeeze", "dim 2"),
        ["unsqueeze with a dim out of range"] = new(Range, () => F(2, 3).Unsqueeze(4), "unsqueeze", "dim 4"),
        ["flatten with start after end"] = new(Arg, () => F(2, 3, 4).Flatten(2, 0), "flatten", "2", "0"),
        ["slice with step 0"] = new(Arg, () => F(4, 5).Slice(1, 0, 4, 0), "slice", "step", "0", "[4, 5]"),
        ["slice with a dim out of range"] = new(Range, () => F(4, 5).Slice(2, 0, 1), "slice", "dim 2", "[4, 5]"),
        ["select with an index out of range"] = new(Index, () => F(2, 3).Select(1, 3), "select", "index 3", "size 3"),
        ["select with a negative index out of range"] = new(Index, () => F(2, 3).Select(0, -3), "select", "index -3", "size 2"),
        ["narrow past the end"] = new(Range, () => F(2, 3).Narrow(1, 2, 2), "narrow", "start 2", "length 2", "size 3"),
        ["narrow with a negative length"] = new(Range, () => F(2, 3).Narrow(1, 0, -1), "narrow", "length -1"),
        ["indexer with too many indices"] = new(Index, () => F(2, 3)[0, 1, 2], "index", "3 indices", "[2, 3]"),
        ["expand to an incompatible shape"] = new(Arg, () => F(2, 3).Expand(4, 3), "expand", "[2, 3]", "[4, 3]"),
        ["expand to fewer dims"] = new(Arg, () => F(2, 3).Expand(3), "expand", "[2, 3]", "[3]"),
        ["split with sizes that do not add up"] = new(Arg, () => F(5, 2).Split([2, 2]), "split", "[2, 2]", "5"),
        // joins
        ["cat of mismatched shapes"] = new(Arg, () => Tensor.Cat([F(2, 3), F(2, 4)], 0), "cat", "[2, 3]", "[2, 4]"),
        ["cat of mismatched ranks"] = new(Arg, () => Tensor.Cat([F(2, 3), F(3)], 0), "cat", "[2, 3]", "[3]"),
        ["cat of mismatched dtypes"] = new(Arg, () => Tensor.Cat([F32(2, 3), F(2, 3)], 0), "cat", "float32", "float64"),
        ["cat with a dim out of range"] = new(Range, () => Tensor.Cat([F(2, 3), F(2, 3)], 2), "cat", "dim 2"),
        ["cat of nothing"] = new(Arg, () => Tensor.Cat([], 0), "cat", "at least one"),
        ["stack of different shapes"] = new(Arg, () => Tensor.Stack([F(2, 3), F(3, 2)]), "stack", "[2, 3]", "[3, 2]"),
        ["stack of mismatched dtypes"] = new(Arg, () => Tensor.Stack([F(2), F32(2)]), "stack", "float64", "float32"),
        // reductions
        ["sum with a dim out of range"] = new(Range, () => F(2, 3).Sum(2), "sum", "dim 2", "[2, 3]"),
        ["sum with a duplicate dim"] = new(Arg, () => F(2, 3).Sum([1, -1]), "sum", "[1, -1]"),
        ["mean with a negative dim out of range"] = new(Range, () => F(2, 3).Mean(-3), "mean", "dim -3", "[2, 3]"),
        ["max with a dim out of range"] = new(Range, () => F(2, 3).Max(5), "max", "dim 5", "[2, 3]"),
        ["max over a list with a dim out of range"] = new(Range, () => F(2, 3).Max([0, 2]), "max", "dim 2", "[2, 3]"),
        ["min with a negative dim out of range"] = new(Range, () => F(2, 3).Min(-4), "min", "dim -4", "[2, 3]"),
        ["max over an empty dim"] = new(Arg, () => F(2, 0).Max(1), "max", "size 0", "[2, 0]"),
        ["argmax with a dim out of range"] = new(Range, () => F(2, 3).ArgMax(2), "argmax", "dim 2", "[2, 3]"),
        ["argmin with a negative dim out of range"] = new(Range, () => F(2, 3).ArgMin(-3), "argmin", "dim -3", "[2, 3]"),
        ["argmax of an empty tensor"] = new(Arg, () => F(0).ArgMax(), "argmax", "[0]"),
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
        // comparisons and the rest of the binary ops
        ["eq of shapes that do not broadcast"] = new(Arg, () => F(2, 3).Eq(F(2)), "eq", "[2, 3]", "[2]"),
        ["ne of float32 and float64"] = new(Arg, () => F32(2).Ne(F(2)), "ne", "float32", "float64"),
        ["lt of shapes that do not broadcast"] = new(Arg, () => F(4).Lt(F(3)), "lt", "[4]", "[3]"),
        ["le of float64 and int32"] = new(Arg, () => F(2).Le(I32(2)), "le", "float64", "int32"),
        ["gt of shapes that do not broadcast"] = new(Arg, () => F(2, 2).Gt(F(3, 1, 3)), "gt", "[2, 2]", "[3, 1, 3]"),
        ["ge of float32 and int32"] = new(Arg, () => F32(1).Ge(I32(1)), "ge", "float32", "int32"),
        ["pow of float32 and float64"] = new(Arg, () => F32(2).Pow(F(2)), "pow", "float32", "float64"),
        ["div of float64 and int32"] = new(Arg, () => F(2) / I32(2), "div", "float64", "int32"),
        ["sub of float32 and int32"] = new(Arg, () => F32(2) - I32(2), "sub", "float32", "int32"),
        // devices (the ILGPU CPU accelerator is a second device on any machine)
        ["add of tensors on different devices"] = new(Arg, () => F(2) + F(2).To(Device.IlgpuCpu), "add", "cpu", "ilgpu-cpu"),
        ["matmul of tensors on different devices"] = new(Arg, () => F(2, 2).MatMul(F(2, 2).To(Device.IlgpuCpu)), "matmul", "cpu", "ilgpu-cpu"),
        ["where of tensors on different devices"] = new(Arg, () => Tensor.Where(F(2).To(Device.IlgpuCpu), F(2), F(2)), "where", "cpu", "ilgpu-cpu"),
        ["cat of tensors on different devices"] = new(Arg, () => Tensor.Cat([F(2), F(2).To(Device.IlgpuCpu)]), "cat", "cpu", "ilgpu-cpu"),
        ["index_select with an index on another device"] = new(Arg, () => F(3).IndexSelect(0, Tensor.FromArray([0]).To(Device.IlgpuCpu)), "index_select", "cpu", "ilgpu-cpu"),
        ["To a CUDA device that does not exist"] = new(Invalid, () => F(2).To(Device.Cuda(99)), "cuda", "99"),
        // float-only unary ops
        ["pow of int32 by a scalar"] = new(Arg, () => I32(2).Pow(0.5), "pow", "int32"),
        // convolution and pooling
        ["conv2d of a rank-3 input"] = new(Arg, () => F(1, 3, 5).Conv2d(F(2, 1, 3, 3)), "conv2d", "[1, 3, 5]"),
        ["conv2d with mismatched channels"] = new(Arg, () => F(1, 3, 5, 5).Conv2d(F(2, 4, 3, 3)), "conv2d", "[1, 3, 5, 5]", "[2, 4, 3, 3]"),
        ["conv2d with a kernel larger than the input"] = new(Arg, () => F(1, 1, 2, 2).Conv2d(F(1, 1, 3, 3)), "conv2d", "[1, 1, 2, 2]", "3x3"),
        ["conv2d with stride 0"] = new(Arg, () => F(1, 1, 4, 4).Conv2d(F(1, 1, 3, 3), stride: 0), "conv2d", "stride", "0"),
        ["conv2d with groups that do not divide the channels"] = new(Arg, () => F(1, 3, 4, 4).Conv2d(F(2, 1, 3, 3), groups: 2), "conv2d", "groups 2", "[1, 3, 4, 4]"),
        ["conv2d with a weight of the wrong group width"] = new(Arg, () => F(1, 4, 4, 4).Conv2d(F(2, 1, 3, 3), groups: 2), "conv2d", "[1, 4, 4, 4]", "[2, 1, 3, 3]"),
        ["conv2d with a negative padding"] = new(Arg, () => F(1, 1, 4, 4).Conv2d(F(1, 1, 3, 3), padding: -1), "conv2d", "padding", "-1"),
        ["conv2d with a bias of the wrong size"] = new(Arg, () => F(1, 1, 4, 4).Conv2d(F(2, 1, 3, 3), F(3)), "conv2d", "bias", "[3]"),
        ["conv2d of float32 and float64"] = new(Arg, () => F32(1, 1, 4, 4).Conv2d(F(1, 1, 3, 3)), "conv2d", "float32", "float64"),
        ["max_pool2d of a rank-2 input"] = new(Arg, () => F(4, 4).MaxPool2d(2), "max_pool2d", "[4, 4]"),
        ["max_pool2d with a kernel larger than the input"] = new(Arg, () => F(1, 1, 2, 2).MaxPool2d(3), "max_pool2d", "[1, 1, 2, 2]", "3"),
        ["max_pool2d with padding over half the kernel"] = new(Arg, () => F(1, 1, 4, 4).MaxPool2d(2, padding: 2), "max_pool2d", "padding"),
        ["avg_pool2d with stride 0"] = new(Arg, () => F(1, 1, 4, 4).AvgPool2d(2, stride: 0), "avg_pool2d", "stride", "0"),
        // indexing
        ["index_select with an index out of range"] = new(Index, () => F(3, 4).IndexSelect(0, Tensor.FromArray([0, 3])), "index_select", "3", "size 3"),
        ["index_select with a float index"] = new(Arg, () => F(3).IndexSelect(0, F(2)), "index_select", "float64"),
        ["index_select with a dim out of range"] = new(Range, () => F(3).IndexSelect(1, Tensor.FromArray([0])), "index_select", "dim 1"),
        ["index_add with a source of the wrong shape"] = new(Arg, () => F(3, 2).IndexAdd(0, Tensor.FromArray([0, 1]), F(2, 3)), "index_add", "[2, 3]"),
        ["index_add with an index out of range"] = new(Index, () => F(3, 2).IndexAdd(0, Tensor.FromArray([0, -1]), F(2, 2)), "index_add", "-1"),
        ["gather with an index out of range"] = new(Index, () => F(2, 3).Gather(1, Tensor.FromArray([0, 5, 1, 2, 0, 0], [2, 3])), "gather", "5", "size 3"),
        ["gather with an index of another rank"] = new(Arg, () => F(2, 3).Gather(1, Tensor.FromArray([0, 1])), "gather", "[2]", "[2, 3]"),
        ["scatter_add with an index out of range"] = new(Index, () => F(2, 3).ScatterAdd(1, Tensor.FromArray([0, 3], [2, 1]), F(2, 1)), "scatter_add", "3", "size 3"),
        ["scatter_add with a source smaller than the index"] = new(Arg, () => F(2, 3).ScatterAdd(1, Tensor.FromArray([0, 1, 0, 1], [2, 2]), F(2, 1)), "scatter_add", "[2, 2]", "[2, 1]"),
        ["embedding with an id out of range"] = new(Index, () => F(4, 2).Embedding(Tensor.FromArray([1, 4])), "embedding", "index 4", "4 rows"),
        ["embedding with a negative id"] = new(Index, () => F(4, 2).Embedding(Tensor.FromArray([-1])), "embedding", "index -1", "4 rows"),
        ["embedding of a rank-1 table"] = new(Arg, () => F(4).Embedding(Tensor.FromArray([1])), "embedding", "[4]"),
        ["diagonal with equal dims"] = new(Arg, () => F(3, 3).Diagonal(0, 1, 1), "diagonal", "1"),
        ["diagonal with a dim out of range"] = new(Range, () => F(3, 3).Diagonal(0, 0, 2), "diagonal", "dim 2"),
        ["einsum with too few operands"] = new(Arg, () => Tensor.Einsum("ij,jk->ik", F(2, 3)), "einsum", "ij,jk->ik"),
        ["einsum with mismatched sizes"] = new(Arg, () => Tensor.Einsum("ij,jk->ik", F(2, 3), F(4, 5)), "einsum", "'j'", "3", "4"),
        ["einsum with subscripts that do not match the rank"] = new(Arg, () => Tensor.Einsum("ij->i", F(2)), "einsum", "ij", "[2]"),
        ["einsum with an output letter not in the inputs"] = new(Arg, () => Tensor.Einsum("ij->k", F(2, 2)), "einsum", "k"),
        ["matmul with a bias of the wrong size"] = new(Arg, () => F(2, 3).MatMul(F(3, 4), F(5)), "add", "[2, 4]", "[5]"),
        ["causal_attention with a rank-3 q"] = new(Arg, () => Tensor.CausalAttention(F(2, 3, 4), F(2, 3, 1, 4), F(2, 3, 1, 4), 1), "causal_attention", "[2, 3, 4]"),
        ["causal_attention with a negative offset"] = new(Arg, () => Tensor.CausalAttention(F(1, 2, 1, 4), F(1, 2, 1, 4), F(1, 2, 1, 4), 1, -1), "causal_attention", "offset", "-1"),
        ["causal_attention with keys and values of different lengths"] = new(Arg, () => Tensor.CausalAttention(F(1, 2, 1, 4), F(1, 3, 1, 4), F(1, 2, 1, 4), 1), "causal_attention", "[1, 3, 1, 4]", "[1, 2, 1, 4]"),
        // normalisation, softmax, losses, statistics
        ["layer_norm with a shape that is not the input's end"] = new(Arg, () => F(2, 3).LayerNorm([4]), "layer_norm", "[4]", "[2, 3]"),
        ["layer_norm with a weight of the wrong shape"] = new(Arg, () => F(2, 3).LayerNorm([3], F(2)), "layer_norm", "[2]", "[3]"),
        ["softmax with a dim out of range"] = new(Range, () => F(2, 3).Softmax(2), "softmax", "dim 2", "[2, 3]"),
        ["log_softmax with a negative dim out of range"] = new(Range, () => F(2, 3).LogSoftmax(-3), "log_softmax", "dim -3"),
        ["cross_entropy with a target out of range"] = new(Index, () => F(2, 3).CrossEntropy(Tensor.FromArray([0, 3])), "cross_entropy", "3"),
        ["cross_entropy with a batch that does not match"] = new(Arg, () => F(2, 3).CrossEntropy(Tensor.FromArray([0, 1, 2])), "cross_entropy", "[2, 3]", "[3]"),
        ["cross_entropy with an unknown reduction"] = new(Arg, () => F(2, 3).CrossEntropy(Tensor.FromArray([0, 1]), reduction: "sums"), "cross_entropy", "sums"),
        ["cross_entropy with label smoothing above 1"] = new(Arg, () => F(2, 3).CrossEntropy(Tensor.FromArray([0, 1]), labelSmoothing: 1.5), "cross_entropy", "1.5"),
        ["mse_loss of mismatched shapes"] = new(Arg, () => F(2).MseLoss(F(3)), "mse_loss", "[2]", "[3]"),
        ["mse_loss with an unknown reduction"] = new(Arg, () => F(2).MseLoss(F(2), "avg"), "mse_loss", "avg"),
        ["var with a dim out of range"] = new(Range, () => F(2, 3).Var(2), "var", "dim 2", "[2, 3]"),
        ["std with a negative dim out of range"] = new(Range, () => F(2, 3).Std(-3), "std", "dim -3"),
        ["norm with a dim out of range"] = new(Range, () => F(2, 3).Norm(2, 3), "norm", "dim 3"),
        ["logsumexp with a dim out of range"] = new(Range, () => F(2, 3).LogSumExp(2), "logsumexp", "dim 2"),
        ["dropout with p above 1"] = new(Arg, () => F(3).Dropout(1.5), "dropout", "1.5"),
        ["dropout with a negative p"] = new(Arg, () => F(3).Dropout(-0.1), "dropout", "-0.1"),
        // more views
        ["MT of a rank-1 tensor"] = new(Range, () => F(3).MT, "transpose", "dim -2", "[3]"),
        ["broadcast_to an incompatible shape"] = new(Arg, () => F(2, 3).BroadcastTo(3, 3), "expand", "[2, 3]", "[3, 3]"),
        ["chunk into 0 chunks"] = new(Arg, () => F(4).Chunk(0), "chunk", "0"),
        ["split into pieces of size 0"] = new(Arg, () => F(4).Split(0), "split", "0"),
        ["stack with a dim out of range"] = new(Range, () => Tensor.Stack([F(2), F(2)], 2), "stack", "dim 2"),
        // autograd entry points
        ["requires_grad_ of a non-leaf"] = new(Invalid, () => (Tensor.Ones([2], DType.Float64, requiresGrad: true) * 2.0).RequiresGrad_(), "requires_grad_", "mul"),
        ["retain_grad of a tensor that needs no grad"] = new(Invalid, () => F(2).RetainGrad(), "retain_grad", "does not require grad"),
        ["register_hook on a tensor that needs no grad"] = new(Invalid, () => F(2).RegisterHook(g => g), "register_hook", "does not require grad"),
    };

    /// <summary>The rows here and the ones the op table generates (tests/Autograd/Ops/GeneratedBadInputs.cs).</summary>
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
        var covered = AllCases.Keys.Select(k => Normalized(k.Split(' ')[0])).ToHashSet();
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
