namespace Interp.Optim;

/// <summary>
/// An optimizer's parameters on an accelerator, packed into one flat buffer so that an update is one kernel launch
/// over all of them (as PyTorch's fused optimizers and DDP's gradient buckets): each parameter becomes a view of the
/// flat buffer (<see cref="Tensor.SetData"/>, so module fields follow), backward copies each parameter's gradient into
/// its view of a flat gradient buffer (<see cref="Tensor.GradHome"/>) instead of a fresh tensor, and every state
/// tensor (momentum, moments) is a view of a flat buffer per state key. Parameters start 64 elements (256 bytes)
/// apart, so their rows stay aligned for 128-bit loads; the gaps belong to no tensor.
/// </summary>
internal sealed class FlatParameters
{
    const int Align = 64;

    readonly Tensor[] parameters;
    readonly int[] offsets;
    readonly Tensor[] gradHomes;
    readonly Dictionary<string, (Tensor Flat, Tensor?[] Views)> state = new();

    FlatParameters(Tensor[] parameters, int[] offsets, Tensor flat, Tensor grads, Tensor[] gradHomes)
    {
        (this.parameters, this.offsets, Params, Grads, this.gradHomes) = (parameters, offsets, flat, grads, gradHomes);
    }

    /// <summary>All parameters, one flat 1-D tensor (gaps included).</summary>
    public Tensor Params { get; }

    /// <summary>All gradients, one flat 1-D tensor laid out as <see cref="Params"/> (gaps stay zero).</summary>
    public Tensor Grads { get; }

    /// <summary>
    /// Packs <paramref name="parameters"/> when they share an accelerator and a float dtype (on the CPU an update per
    /// parameter costs no launch, so they stay as they are) and no two share memory (tied weights must stay tied);
    /// null otherwise. Values and gradients are kept.
    /// </summary>
    public static FlatParameters? TryPack(Tensor[] parameters)
    {
        var (device, dtype) = (parameters[0].Device, parameters[0].DType);
        if (device == Device.Cpu || parameters.Any(p => p.Device != device || p.DType != dtype) || Overlap(parameters)) return null;
        var offsets = new int[parameters.Length];
        long total = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            offsets[i] = (int)total;
            total = (total + parameters[i].Numel + Align - 1) / Align * Align;
        }
        if (total > int.MaxValue) return null;
        var flat = Tensor.Empty([(int)total], dtype, device, zeroed: true);
        var grads = Tensor.Empty([(int)total], dtype, device, zeroed: true);
        var homes = new Tensor[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var view = new Tensor(flat.Storage, p.ShapeArray, null, offsets[i]);
            device.Backend.Copy(p, view);
            var grad = p.Grad;
            p.SetData(view);   // drops the gradient, given back below
            p.Grad = grad;
            homes[i] = p.GradHome = new Tensor(grads.Storage, p.ShapeArray, null, offsets[i]);
        }
        return new FlatParameters(parameters, offsets, flat, grads, homes);
    }

    static bool Overlap(Tensor[] parameters) =>
        parameters.GroupBy(p => p.Storage, ReferenceEqualityComparer.Instance).Any(g =>
        {
            var ranges = g.OrderBy(p => p.Offset).ToArray();
            return ranges.Zip(ranges.Skip(1)).Any(r => r.First.Offset + r.First.Numel > r.Second.Offset);
        });

    /// <summary>Whether every parameter is still the view it was packed into (moving a module elsewhere undoes it).</summary>
    public bool Holds() => parameters.Select((p, i) =>
        ReferenceEquals(p.Storage, Params.Storage) && p.Offset == offsets[i] && p.IsContiguous).All(x => x);

    /// <summary>
    /// Readies <see cref="Grads"/> for an update of all parameters: false (nothing done) when one has no gradient;
    /// a gradient that backward did not write into its home (set by hand, or accumulated over two backwards) is copied there.
    /// </summary>
    public bool GatherGrads()
    {
        if (parameters.Any(p => p.Grad is null)) return false;
        for (int i = 0; i < parameters.Length; i++)
            if (!ReferenceEquals(parameters[i].Grad, gradHomes[i])) parameters[i].Backend.Copy(parameters[i].Grad!, gradHomes[i]);
        return true;
    }

    /// <summary>
    /// The state tensor <paramref name="key"/> of parameter <paramref name="index"/>: its view of the flat buffer for
    /// that key, zeroed (a view never handed out is still zero from the allocation).
    /// </summary>
    public Tensor NewState(string key, int index)
    {
        var (flat, views) = StateBuffer(key);
        if (views[index] is { } old) { old.Backend.Fill(old, 0); return old; }
        return views[index] = new Tensor(flat.Storage, parameters[index].ShapeArray, null, offsets[index]);
    }

    /// <summary>
    /// The flat buffer of state <paramref name="key"/> with every parameter's state in its view: a missing state is
    /// made (zero), one held elsewhere (imported from a checkpoint) is copied into the view and replaced by it.
    /// </summary>
    public Tensor FlatState(string key, Dictionary<string, Tensor>[] states)
    {
        var (flat, views) = StateBuffer(key);
        for (int i = 0; i < parameters.Length; i++)
        {
            if (!states[i].TryGetValue(key, out var held)) { states[i][key] = NewState(key, i); continue; }
            if (ReferenceEquals(held, views[i])) continue;
            var home = views[i] ??= new Tensor(flat.Storage, parameters[i].ShapeArray, null, offsets[i]);
            home.Backend.Copy(held, home);
            states[i][key] = home;
        }
        return flat;
    }

    (Tensor Flat, Tensor?[] Views) StateBuffer(string key)
    {
        if (!state.TryGetValue(key, out var s))
            state[key] = s = (Tensor.Empty(Params.ShapeArray, Params.DType, Params.Device, zeroed: true), new Tensor?[parameters.Length]);
        return s;
    }
}
