using System.Globalization;

namespace Interp.Testing;

/// <summary>
/// One input of a gradient test as plain data: the shape the op sees, the chain of views that makes that shape from a
/// contiguous leaf, the leaf's values (row-major), and the dtype and device of the run. Shrinkers work on these fields
/// (fewer dims, smaller sizes, fewer views, simpler values), never on a random seed.
/// </summary>
public sealed record TensorCase(int[] Shape, ViewOp[] Views, double[] Values, DType DType, Device Device)
{
    /// <summary>The shape of every step's input, from the leaf's (first) to the op's (last, = Shape); null if the chain cannot make Shape.</summary>
    public static int[][]? StepShapes(int[] shape, IReadOnlyList<ViewOp> views)
    {
        var shapes = new int[views.Count + 1][];
        shapes[views.Count] = shape;
        for (int i = views.Count - 1; i >= 0; i--)
            if ((shapes[i] = views[i].InputShape(shapes[i + 1])!) is null) return null;
        return shapes;
    }

    /// <summary>The contiguous leaf's shape.</summary>
    public int[] LeafShape => StepShapes(Shape, Views)?[0] ?? throw new InvalidOperationException($"the view chain {ViewsToCSharp()} cannot make shape {ShapeUtil.Format(Shape)}");

    /// <summary>A new leaf holding Values (float64 on the CPU unless asked otherwise).</summary>
    public Tensor Leaf(DType? dtype = null, Device? device = null) =>
        Tensor.FromDoubles(Values, LeafShape, dtype ?? DType, device ?? Device);

    /// <summary>Applies the view chain to a leaf of LeafShape.</summary>
    public Tensor View(Tensor leaf)
    {
        var shapes = StepShapes(Shape, Views)!;
        var x = leaf;
        for (int i = 0; i < Views.Length; i++) x = Views[i].Apply(x, shapes[i + 1]);
        return x;
    }

    /// <summary>The chain as C# method calls, e.g. <c>.Permute(1, 0).Slice(0, 1, null, 2)</c>.</summary>
    public string ViewsToCSharp()
    {
        var shapes = StepShapes(Shape, Views);
        return shapes is null ? "(invalid chain)" : string.Concat(Views.Select((v, i) => v.ToCSharp(shapes[i + 1])));
    }

    /// <summary>A statement that rebuilds this input as <paramref name="name"/>: the leaf, then the view, with its strides.</summary>
    public string ToCSharp(string name)
    {
        var leaf = LeafShape;
        string values = string.Join(", ", Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        var view = View(Leaf(DType.Float64, Device.Cpu));
        return $"var {name}Leaf = Tensor.FromArray(new double[] {{ {values} }}, [{string.Join(", ", leaf)}]);\n" +
               $"Func<Tensor, Tensor> {name}View = t => t{ViewsToCSharp()};   // shape {ShapeUtil.Format(Shape)}, strides {ShapeUtil.Format(view.Strides.ToArray())}, offset {view.Offset}";
    }

    public override string ToString() =>
        $"{ShapeUtil.Format(Shape)} {DType.Name()} on {Device} from leaf {ShapeUtil.Format(LeafShape)}{ViewsToCSharp()}";
}
