namespace Interp.Nn;

/// <summary>A multilayer perceptron: Linear layers (<c>layers.0</c>, <c>layers.1</c>, ...) with ReLU between them.</summary>
public sealed class Mlp : Module
{
    public ModuleList<Linear> Layers { get; }

    /// <summary><paramref name="sizes"/> = [input, hidden..., output], e.g. [784, 256, 10].</summary>
    public Mlp(int[] sizes, Generator? gen = null, DType dtype = DType.Float32)
    {
        if (sizes.Length < 2) throw new ArgumentException($"mlp: need at least an input and an output size, got {ShapeUtil.Format(sizes)}");
        Layers = RegisterModule("layers", new ModuleList<Linear>(
            Enumerable.Range(0, sizes.Length - 1).Select(i => new Linear(sizes[i], sizes[i + 1], gen: gen, dtype: dtype))));
    }

    public Tensor Forward(Tensor x)
    {
        for (int i = 0; i < Layers.Count; i++)
        {
            x = Layers[i].Forward(x);
            if (i < Layers.Count - 1) x = x.Relu();
        }
        return x;
    }
}
