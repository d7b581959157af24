namespace Interp.Tests.Autograd.Ops;

/// <summary>What an op's forward receives: its input tensors (views applied) by position or name, and its keyword arguments.</summary>
public sealed class OpArgs(Input[] inputs, Tensor?[] tensors, Kwargs kwargs)
{
    public Kwargs Kw => kwargs;

    public Tensor this[int i] => tensors[i] ?? throw new ArgumentException($"input {inputs[i].Name} is absent");

    /// <summary>An optional input (layer_norm's weight, conv2d's bias): null when the call leaves it out.</summary>
    public Tensor? Optional(string name) => tensors[Array.FindIndex(inputs, i => i.Name == name)];

    /// <summary>The inputs present, in order (cat, stack, einsum).</summary>
    public Tensor[] Present => tensors.OfType<Tensor>().ToArray();

    public int Int(string key) => kwargs.Int(key);
    public int[]? Ints(string key) => kwargs.Ints(key);
    public bool Bool(string key, bool fallback = false) => kwargs.Bool(key, fallback);
    public double Double(string key, double fallback) => kwargs.Double(key, fallback);
}
