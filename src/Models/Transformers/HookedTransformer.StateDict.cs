using Interp.Autograd;

namespace Interp.Transformers;

public sealed partial class HookedTransformer
{
    /// <summary>The parameters by TransformerLens state_dict name (the live tensors, not copies).</summary>
    public Dictionary<string, Tensor> StateDict() => NamedParameters().ToDictionary(p => p.Name, p => p.Param);

    /// <summary>
    /// Copies values into the parameters (converting dtype). Every parameter must be given with its exact shape;
    /// with <paramref name="strict"/>, names the model does not have are an error too. With <paramref name="assign"/>
    /// (PyTorch's load_state_dict(assign=True)) each parameter takes the given tensor's memory instead of a copy of it
    /// (a copy only where the dtype or device differs, or where the tensor reaches an element twice, as an expanded view
    /// does): loading then costs no second copy of the weights. A strided view stays one (W_Q as a part of c_attn).
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true, bool assign = false)
    {
        var parameters = StateDict();
        var missing = parameters.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"load_state_dict: missing {missing.Count} parameter(s): {string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? ", ..." : "")}");
        var unexpected = stateDict.Keys.Where(k => !parameters.ContainsKey(k)).ToList();
        if (strict && unexpected.Count > 0)
            throw new ArgumentException($"load_state_dict: unexpected parameter(s): {string.Join(", ", unexpected.Take(8))}{(unexpected.Count > 8 ? ", ..." : "")}");
        foreach (var (name, p) in parameters)
        {
            var v = stateDict[name];
            if (!ShapeUtil.SameShape(v.ShapeArray, p.ShapeArray))
                throw new ArgumentException($"load_state_dict: {name} has shape {ShapeUtil.Format(v.ShapeArray)}, the model expects {ShapeUtil.Format(p.ShapeArray)}");
        }
        using var _ = GradMode.NoGrad();
        foreach (var (name, p) in parameters)
            if (assign) p.SetData(NonOverlapping(stateDict[name].To(p.DType).To(p.Device)).Detach());
            else p.Backend.Copy(stateDict[name], p);
    }

    /// <summary>The tensor itself, or a dense copy where it reaches an element twice (in-place updates would alias).</summary>
    static Tensor NonOverlapping(Tensor t) => t.IsNonOverlapping ? t : t.Contiguous();
}
