using Interp.Backends;

namespace Interp;

/// <summary>
/// An n-dimensional array: a view (shape, strides, offset) over a <see cref="Storage"/> on a <see cref="Device"/>,
/// plus the autograd slots (RequiresGrad, Grad, GradFn). Differentiable operations live in Interp.Autograd as
/// extension members, so that `a + b`, `x.MatMul(w)` and `x.Softmax(-1)` record the graph.
/// </summary>
public sealed partial class Tensor
{
    internal readonly int[] shape;
    internal int[] strides;   // replaced (never mutated: views share the array) only by SetData

    public Storage Storage { get; private set; }
    public int Offset { get; private set; }

    public Tensor(Storage storage, int[] shape, int[]? strides = null, int offset = 0)
    {
        Storage = storage;
        this.shape = shape;
        this.strides = strides ?? ShapeUtil.ContiguousStrides(shape);
        Offset = offset;
        Numel = ShapeUtil.Numel(shape);
    }

    public IReadOnlyList<int> Shape => shape;
    public IReadOnlyList<int> Strides => strides;
    public int[] ShapeArray => (int[])shape.Clone();
    public int Rank => shape.Length;
    public int Numel { get; }
    public DType DType => Storage.DType;
    public Device Device => Storage.Device;
    public IBackend Backend => Storage.Device.Backend;

    /// <summary>Size of one dim; negative dims count from the end as in PyTorch.</summary>
    public int Size(int dim) => shape[ShapeUtil.NormalizeDim("size", dim, shape)];

    /// <summary>Row-major with no gaps; an empty tensor always is (as in PyTorch): it has no element to be out of place.</summary>
    public bool IsContiguous
    {
        get
        {
            if (Numel == 0) return true;
            int expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (shape[i] == 1) continue;
                if (strides[i] != expected) return false;
                expected *= shape[i];
            }
            return true;
        }
    }

    /// <summary>
    /// No two indices reach the same element (unlike an expanded view): contiguous tensors, transposes, and views of
    /// a part of each row of a matrix (W_Q as columns 0..d of GPT-2's fused c_attn) are; in-place updates of such a view
    /// touch each of its elements once.
    /// </summary>
    public bool IsNonOverlapping
    {
        get
        {
            if (Numel == 0) return true;
            var dims = new int[Rank];
            for (int i = 0; i < Rank; i++) dims[i] = i;
            Array.Sort(dims, (a, b) => strides[a].CompareTo(strides[b]));
            long reach = 0;   // the farthest offset the dims with smaller strides reach
            foreach (int i in dims)
            {
                if (shape[i] == 1) continue;
                if (strides[i] <= reach) return false;
                reach += (long)strides[i] * (shape[i] - 1);
            }
            return true;
        }
    }

    // ---- autograd slots (the engine and the ops are in Interp.Autograd) ----

    bool requiresGrad;

    /// <summary>Whether gradients flow to this tensor. Only leaves may be switched by hand.</summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (GradFn is not null && !value)
                throw new InvalidOperationException($"RequiresGrad: cannot turn off gradients of a non-leaf tensor (made by {GradFn.Op}); use Detach()");
            if (value && !DType.IsFloatingPoint())
                throw new InvalidOperationException($"RequiresGrad: only floating-point tensors can require gradients, not {DType.Name()}");
            requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of a leaf (or of a non-leaf after RetainGrad()).</summary>
    public Tensor? Grad { get; set; }

    /// <summary>
    /// Where backward writes a leaf's gradient when <see cref="Grad"/> is null (instead of a fresh tensor): an
    /// optimizer's flat gradient buffer on an accelerator, so its update is one launch. After ZeroGrad the next backward
    /// overwrites it: a gradient kept from an earlier step must be cloned.
    /// </summary>
    internal Tensor? GradHome { get; set; }

    /// <summary>The op that produced this tensor, or null for leaves.</summary>
    public Node? GradFn { get; internal set; }

    public bool IsLeaf => GradFn is null;

    /// <summary>Gradient hooks of a leaf (a non-leaf's live on its GradFn, so they do not keep it alive).</summary>
    internal List<Func<Tensor, Tensor?>>? GradHooks { get; set; }

    /// <summary>An optional name (a hook point, a parameter) used in error messages and anomaly reports.</summary>
    public string? Name { get; set; }

    /// <summary>Connects a freshly computed tensor to the graph (used by the differentiable ops).</summary>
    internal void SetGradFn(Node node)
    {
        GradFn = node;
        requiresGrad = true;
    }
}
